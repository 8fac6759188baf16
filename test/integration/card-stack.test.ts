import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommand, parseResponse } from '../../main/card/apdu';
import { JpkiClient } from '../../main/card/jpki-client';
import { PcscReader } from '../../main/card/pcsc-reader';
import type { CardConnection } from '../../main/card/reader';
import { ReaderError } from '../../main/card/reader-errors';
import type { CardStatusReport } from '../../main/cli/card-status';
import { listPersonas, resolvePersona } from '../../main/simulation/personas';
import { readCardState } from '../../main/simulation/card/card-state';
import { CLI, usePcscdSandbox } from '../support/cli-harness';
import { comparableStatus, expectedCardStatus } from '../support/persona-expectations';
import { scratchForFile } from '../support/scratch';

// The whole card stack on the real PC/SC path, as the kiosk and its tools use it:
//   virtual-card CLI (own process) → vpcd → pcscd → libpcsclite → smartcard → PcscReader → JpkiClient / card status CLI

const simDir = scratchForFile('myna-kiosk-sim-');
const cards: VirtualCardProcess[] = [];
const sandbox = usePcscdSandbox({ needsCli: true });

interface VirtualCardProcess {
  child: ChildProcess;
  events: string[];
  stderr(): string;
  stop(): Promise<void>;
}

function requirePcscd() {
  return sandbox.require();
}

/** Runs `myna-kiosk virtual-card` and waits until the card is in the reader. */
async function insertVirtualCard(persona: string, slot: number, extra: string[] = []): Promise<VirtualCardProcess> {
  const port = requirePcscd().vpcdPorts[slot]!;
  const child = spawn(
    process.execPath,
    [CLI, 'virtual-card', '--persona', persona, '--vpcd-port', String(port), '--sim-dir', simDir, '--json', ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const events: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => events.push((JSON.parse(line) as { event: string }).event));
  const card: VirtualCardProcess = {
    child,
    events,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
  cards.push(card);
  await waitForEvent(card, 'inserted', 0);
  return card;
}

async function waitForEvent(card: VirtualCardProcess, event: string, alreadySeen: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (card.events.filter((e) => e === event).length <= alreadySeen) {
    if (card.child.exitCode !== null) throw new Error(`virtual-card exited with ${card.child.exitCode}: ${card.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${event}"`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function cardStatusCli(reader: string): Promise<CardStatusReport> {
  const child = spawn(process.execPath, [CLI, 'card', 'status', '--json', '--reader', reader, '--timeout', '10000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`card status exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as CardStatusReport;
}

/** Connects through PC/SC once the reader reports the card. */
async function connect(slot: number): Promise<{ reader: PcscReader; connection: CardConnection }> {
  const name = requirePcscd().readerNames[slot]!;
  const reader = new PcscReader({ pollIntervalMs: 100 });
  await new Promise<void>((resolve) => {
    reader.start((event) => {
      if (event.type === 'card-inserted' && event.reader === name) resolve();
    });
  });
  return { reader, connection: await reader.connect(name, { exclusive: true }) };
}

afterEach(async () => {
  await Promise.all(cards.splice(0).map((card) => card.stop()));
});

describe('card status over PC/SC', () => {
  it.each(listPersonas().map((persona) => [persona.id] as const))(
    'reads %s as its persona says, spending nothing',
    async (id) => {
      const card = await insertVirtualCard(id, 0, ['--state', join(simDir, `${id}.state.json`)]);
      const before = readCardState(join(simDir, `${id}.state.json`));
      const report = await cardStatusCli(requirePcscd().readerNames[0]!);
      expect(comparableStatus(report)).toEqual(expectedCardStatus(resolvePersona(listPersonas().find((p) => p.id === id)!)));
      await card.stop();
      // The card's saved state is what it was: no try spent, nothing written.
      expect(readCardState(join(simDir, `${id}.state.json`))).toEqual(before);
    },
    40_000,
  );
});

describe('PINs over PC/SC', () => {
  it('counts wrong entries down, blocks on the last, then answers 6984; the service never retries', async () => {
    await insertVirtualCard('standard-in-window', 0);
    const { reader, connection } = await connect(0);
    try {
      const client = new JpkiClient(connection);
      expect(await client.pinStatus('authentication')).toEqual({ state: 'available', triesLeft: 3 });
      expect(await client.verify('authentication', '0000')).toEqual({ result: 'wrong', triesLeft: 2 });
      expect(await client.verify('authentication', '0001')).toEqual({ result: 'wrong', triesLeft: 1 });
      expect(await client.verify('authentication', '0002')).toEqual({ result: 'blocked' });
      expect(await client.pinStatus('authentication')).toEqual({ state: 'blocked' });
      // Raw: the right PIN now gets 6984, and the tries-left query 63C0.
      const persona = resolvePersona(listPersonas().find((p) => p.id === 'standard-in-window')!);
      const right = new TextEncoder().encode(persona.pins!.authentication!.value);
      const verify = parseResponse(await connection.transmit(encodeCommand({ cla: 0, ins: 0x20, p1: 0, p2: 0x98, data: right })));
      expect(verify.sw).toBe(0x6984);
      const query = parseResponse(await connection.transmit(encodeCommand({ cla: 0, ins: 0x20, p1: 0, p2: 0x98 })));
      expect(query.sw).toBe(0x63c0);
    } finally {
      await connection.disconnect({ unpower: true });
      await reader.stop();
    }
  }, 40_000);

  it('restores the counter on a correct entry, and forgets the verification at power-down', async () => {
    await insertVirtualCard('standard-in-window', 1);
    const persona = resolvePersona(listPersonas().find((p) => p.id === 'standard-in-window')!);
    const first = await connect(1);
    try {
      const client = new JpkiClient(first.connection);
      expect(await client.verify('signature', 'WRONG1')).toEqual({ result: 'wrong', triesLeft: 4 });
      expect(await client.verify('signature', persona.pins!.signature!.value)).toEqual({ result: 'verified' });
      expect(await client.pinStatus('signature')).toEqual({ state: 'verified' });
    } finally {
      await first.connection.disconnect({ unpower: true });
    }
    const again = await first.reader.connect(requirePcscd().readerNames[1]!, { exclusive: true });
    try {
      expect(await new JpkiClient(again).pinStatus('signature')).toEqual({ state: 'available', triesLeft: 5 });
    } finally {
      await again.disconnect({ unpower: true });
      await first.reader.stop();
    }
  }, 40_000);
});

describe('a card pulled during a read', () => {
  it('gives a typed "card removed" error, and the next insertion reads cleanly', async () => {
    const card = await insertVirtualCard('standard-in-window', 0);
    const { reader, connection } = await connect(0);
    const expected = await new JpkiClient(connection).readCertificate('authentication');
    let failure: unknown;
    const reading = (async () => {
      const client = new JpkiClient(connection, { extendedLength: 'never' });
      for (;;) {
        try {
          await client.readCertificate('authentication');
        } catch (error) {
          failure = error;
          return;
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await card.stop(); // the card leaves the reader mid-read
    await reading;
    expect(failure).toBeInstanceOf(ReaderError);
    expect((failure as ReaderError).code).toBe('card-removed');
    await connection.disconnect({ unpower: true });

    await insertVirtualCard('standard-in-window', 0);
    const name = requirePcscd().readerNames[0]!;
    for (let i = 0; i < 100; i++) {
      try {
        const fresh = await reader.connect(name, { exclusive: true });
        try {
          expect(await new JpkiClient(fresh).readCertificate('authentication')).toEqual(expected);
        } finally {
          await fresh.disconnect({ unpower: true });
        }
        break;
      } catch (error) {
        // Until pcscd has seen the new card, connecting fails with "no card".
        if (!(error instanceof ReaderError) || error.code !== 'no-card' || i === 99) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await reader.stop();
  }, 40_000);
});

describe('the virtual-card tool', () => {
  it('pulls the card and puts it back on cue (--remove-after, --reinsert-after)', async () => {
    const name = requirePcscd().readerNames[1]!;
    const seen: string[] = [];
    const reader = new PcscReader({ pollIntervalMs: 100 });
    reader.start((event) => {
      if ((event.type === 'card-inserted' || event.type === 'card-removed') && event.reader === name) seen.push(event.type);
    });
    try {
      const card = await insertVirtualCard('standard-in-window', 1, ['--remove-after', '700', '--reinsert-after', '700']);
      await waitForEvent(card, 'inserted', 1);
      const deadline = Date.now() + 5_000;
      while (seen.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(seen).toEqual(['card-inserted', 'card-removed', 'card-inserted']);
    } finally {
      await reader.stop();
    }
  }, 40_000);

  it('keeps the card state in --state across runs, and only there', async () => {
    const state = join(simDir, 'persisted.state.json');
    await insertVirtualCard('standard-in-window', 0, ['--state', state]);
    const { reader, connection } = await connect(0);
    try {
      expect(await new JpkiClient(connection).verify('registry', '0000')).toEqual({ result: 'wrong', triesLeft: 2 });
    } finally {
      await connection.disconnect({ unpower: true });
      await reader.stop();
    }
    await Promise.all(cards.splice(0).map((card) => card.stop()));
    expect(readCardState(state).residentRegistry?.pin?.triesLeft).toBe(2);

    await insertVirtualCard('standard-in-window', 0, ['--state', state]);
    expect((await cardStatusCli(requirePcscd().readerNames[0]!)).pins.registry).toEqual({ state: 'available', triesLeft: 2 });
    await Promise.all(cards.splice(0).map((card) => card.stop()));

    // Without --state the same persona starts fresh.
    await insertVirtualCard('standard-in-window', 0);
    expect((await cardStatusCli(requirePcscd().readerNames[0]!)).pins.registry).toEqual({ state: 'available', triesLeft: 3 });
  }, 60_000);
});
