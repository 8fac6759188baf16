import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IssuerChannelClient } from '../card/issuer-channel-client';
import { PcscReader } from '../card/pcsc-reader';
import type { CardConnection } from '../card/reader';
import { VIRTUAL_READER_NAME, VirtualReader } from '../card/virtual-reader';
import type { CardImage } from '../simulation/card/card-image';
import { loadPersona, resolvePersona, type ResolvedPersona } from '../simulation/personas';
import { startPcscd } from '../harness/pcscd-sandbox';
import { writeCardState } from '../simulation/card/card-state';
import { VirtualMyNumberCard } from '../simulation/card/virtual-my-number-card';
import { openRemoteWorld, openSimulatedWorld, type TerminalWorld } from '../simulation/world';
import type { SimulatedJlis } from '../simulation/jlis/service';
import { readServiceConnection, serviceOfTerminalFolder } from '../kiosk/config';
import { runRenewal } from '../session/renewal';
import { silentLogger } from '../base/log';
import type { IssuanceGateway } from '../issuance/gateway';
import { startEmbeddedService } from '../service/embedded-service';
import { CustomerSession } from '../session/session-runner';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk bench renewal [--json] [--runs 20] [--sessions 1000] [--service <https url> --terminal <folder>]`
 *
 * Measures a standard renewal (the card and issuing steps: issuer proof to
 * revocation of the old certificates) in process, through the issuing
 * service's network path (the HTTPS client, mutual TLS and the API on
 * loopback), and through the real PC/SC stack, and the memory of
 * back-to-back sessions. A script that measures,
 * not a test: it prints what it saw.
 */

const PERSONA = 'standard-in-window';

export async function runBenchRenewal(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '20' },
      sessions: { type: 'string', default: '1000' },
      service: { type: 'string' },
      terminal: { type: 'string' },
    },
    strict: true,
  });
  if ((values.service === undefined) !== (values.terminal === undefined)) {
    throw new UsageError('--service <https url> and --terminal <folder written by "myna-kiosk service enrol-terminal"> go together');
  }
  const runs = Number(values.runs);
  const sessions = Number(values.sessions);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a whole number ≥ 1 (got "${values.runs}")`);
  if (!Number.isInteger(sessions) || sessions < 10)
    throw new UsageError(`--sessions must be a whole number ≥ 10 (got "${values.sessions}")`);

  const world = await openWorld(
    values.service !== undefined && values.terminal !== undefined ? { url: values.service, terminal: values.terminal } : undefined,
  );
  try {
    const virtualCard = async (image: CardImage) => {
      const reader = new VirtualReader();
      reader.insert(new VirtualMyNumberCard(image));
      return { connection: await reader.connect(VIRTUAL_READER_NAME, { exclusive: true }), close: async () => reader.stop() };
    };
    let renewalMs: { inProcess?: Timing; throughService: Timing; pcsc: Timing };
    const jlis = world.jlis;
    if (jlis) {
      const inProcess = await timeRenewals(world, runs, virtualCard);
      // The same renewal through the network path a deployed terminal takes: the HTTPS client, mutual TLS
      // and the service's API on loopback, in front of the same simulated J-LIS.
      const service = await startEmbeddedService({ issuer: jlis, terminalId: 'bench', role: 'lobby', log: silentLogger });
      let throughService;
      try {
        throughService = await timeRenewals(world, runs, virtualCard, service.gateway);
      } finally {
        await service.close();
      }
      renewalMs = { inProcess, throughService, pcsc: await timeThroughPcsc(world, runs) };
    } else {
      // A separate service (--service): every renewal goes through it; there is no J-LIS here to time in process.
      renewalMs = { throughService: await timeRenewals(world, runs, virtualCard), pcsc: await timeThroughPcsc(world, runs) };
    }
    const memory = await measureMemory(world, sessions);
    const result = { persona: PERSONA, runs, service: values.service ?? 'embedded, on loopback', renewalMs, memory };
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
  } finally {
    await world.close();
    // The benchmark's world, its records and card states are its own: nothing of it is left behind.
    rmSync(world.dir, { recursive: true, force: true });
  }
  return 0;
}

interface World extends TerminalWorld {
  /** A folder of the benchmark's own, for its world and the card state files. */
  dir: string;
  persona: ResolvedPersona;
  /** The simulated J-LIS of this process; absent against a separate service. */
  jlis?: SimulatedJlis;
  /** What the renewals call: the J-LIS in process, or the separate service's client. */
  gateway: IssuanceGateway;
  /** A new card (new keys, new serials) for every renewal: a renewed card is no longer in its window. */
  nextCard(): Promise<CardImage>;
}

/** A simulated world of the benchmark's own, or a terminal's world against a separate service (its cards from the card factory). */
async function openWorld(service: { url: string; terminal: string } | undefined): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-bench-'));
  const persona = resolvePersona(loadPersona(PERSONA));
  const dbPath = join(dir, 'kiosk.sqlite');
  if (service) {
    const connection = readServiceConnection(serviceOfTerminalFolder(service.url, service.terminal));
    const world = await openRemoteWorld({ terminalId: 'bench', dbPath, service: connection });
    return { ...world, dir, persona, gateway: world.sessions.gateway, nextCard: async () => (await world.freshCard(persona)).image };
  }
  const world = await openSimulatedWorld({ terminalId: 'bench', simDir: join(dir, 'jlis'), dbPath });
  return { ...world, dir, persona, gateway: world.jlis, nextCard: async () => (await world.freshCard(persona)).image };
}

/** The median wall time of runRenewal alone (PINs verified beforehand, card set-up excluded). */
async function timeRenewals(
  world: World,
  runs: number,
  insert: (image: CardImage) => Promise<{ connection: CardConnection; close: () => Promise<void> }>,
  gateway: IssuanceGateway = world.gateway,
) {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const image = await world.nextCard();
    const { connection, close } = await insert(image);
    try {
      const client = new IssuerChannelClient(connection);
      const pins = world.persona.pins!;
      await client.verify('authentication', pins.authentication!.value);
      await client.verify('signature', pins.signature!.value);
      const status = await client.readStatus();
      const identity = { tokenLabel: status.tokenLabel!, authenticationSerial: status.authenticationCertificate!.serialNumber };
      const renewalId = world.journal.beginRenewal(identity, 'in-person');
      const started = performance.now();
      await runRenewal(
        {
          client,
          gateway,
          journal: world.journal,
          now: () => new Date(),
          replaceRenewal: (old) => {
            world.journal.abandon(old, 'rolled-back');
            return world.journal.beginRenewal(identity, 'in-person');
          },
        },
        { renewalId, oldAuthenticationSerial: identity.authenticationSerial, signature: true, route: 'in-person' },
      );
      times.push(performance.now() - started);
      await connection.disconnect({ unpower: true });
    } finally {
      await close();
    }
  }
  times.sort((a, b) => a - b);
  return { median: round(times[Math.floor(times.length / 2)]!), min: round(times[0]!), max: round(times.at(-1)!) };
}

/** The same through pcscd + vpcd: the card in its own process, as in a real terminal. */
async function timeThroughPcsc(world: World, runs: number) {
  const pcscd = await startPcscd({ friendlyName: 'myna-kiosk bench reader' });
  const reader = new PcscReader({ pollIntervalMs: 50 });
  const name = pcscd.readerNames[0]!;
  const present = new Set<string>();
  const waiters: Array<() => void> = [];
  reader.start((event) => {
    if (event.type === 'card-inserted') present.add(event.reader);
    if (event.type === 'card-removed') present.delete(event.reader);
    waiters.splice(0).forEach((wake) => wake());
  });
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  try {
    return await timeRenewals(world, runs, async (image) => {
      const state = join(world.dir, 'bench-card.json');
      writeCardState(state, image);
      const card = spawn(
        process.execPath,
        [process.argv[1]!, 'virtual-card', '--persona', PERSONA, '--state', state, '--vpcd-port', String(pcscd.vpcdPorts[0]), '--json'],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: card.stdout! }).on(
          'line',
          (line) => (JSON.parse(line) as { event: string }).event === 'inserted' && resolve(),
        );
        card.once('exit', (code) => reject(new Error(`the virtual card exited with ${code}`)));
      });
      await until(() => present.has(name));
      return {
        connection: await reader.connect(name, { exclusive: true }),
        close: async () => {
          card.kill('SIGTERM');
          if (card.exitCode === null) await once(card, 'exit');
          await until(() => !present.has(name));
        },
      };
    });
  } finally {
    await reader.stop();
    await pcscd.stop();
  }
}

/** Heap and RSS after 10 and after N whole sessions (read, three PINs, renewal, card out), after a full GC. */
async function measureMemory(world: World, sessions: number) {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const sample = () => {
    gc();
    const usage = process.memoryUsage();
    return { heapUsedMb: mb(usage.heapUsed), rssMb: mb(usage.rss) };
  };
  let after10: ReturnType<typeof sample> | undefined;
  // Intermediate samples show whether growth is warm-up (flattening) or per-session (steady).
  const samples: Array<{ sessions: number } & ReturnType<typeof sample>> = [];
  const pins = world.persona.pins!;
  for (let index = 1; index <= sessions; index++) {
    const image = await world.nextCard();
    const reader = new VirtualReader();
    reader.insert(new VirtualMyNumberCard(image));
    const session = new CustomerSession({
      profile: 'lobby',
      connect: () => reader.connect(VIRTUAL_READER_NAME, { exclusive: true }),
      gateway: world.gateway,
      journal: world.journal,
      audit: world.audit,
      now: () => new Date(world.persona.resolvedOn + 'T01:00:00Z'),
    });
    session.subscribe((view) => {
      const send = (intent: Parameters<CustomerSession['send']>[0]) => queueMicrotask(() => session.send(intent));
      if (view.screen === 'status') send({ type: 'CONTINUE' });
      if (view.screen === 'pin-entry') {
        const pin = view.pin!.name as 'authentication' | 'signature' | 'registry';
        send({ type: 'SUBMIT_PIN', value: pins[pin]!.value });
      }
      if (view.screen === 'confirm') send({ type: 'CONFIRM_RENEWAL' });
      if (['done', 'hand-off', 'not-yet', 'card-renewal'].includes(view.screen)) queueMicrotask(() => session.cardRemoved());
    });
    await session.done;
    await reader.stop();
    if (index === 10) after10 = sample();
    if (index % 100 === 0) samples.push({ sessions: index, ...sample() });
  }
  return { sessions, after10: after10!, afterAll: sample(), samples };
}

function describe(result: {
  runs: number;
  service: string;
  renewalMs: { inProcess?: Timing; throughService: Timing; pcsc: Timing };
  memory: Awaited<ReturnType<typeof measureMemory>>;
}): string {
  const line = (label: string, timing: Timing) =>
    `${label}: median ${timing.median} ms (min ${timing.min}, max ${timing.max}) over ${result.runs}`;
  return [
    'Standard renewal, card and issuing steps (issuer proof … old certificates revoked)',
    ...(result.renewalMs.inProcess ? [line('in process', result.renewalMs.inProcess)] : []),
    line(`through the issuing service (${result.service}: HTTPS, mutual TLS)`, result.renewalMs.throughService),
    line('through PC/SC', result.renewalMs.pcsc),
    `memory after 10 sessions: heap ${result.memory.after10.heapUsedMb} MB, RSS ${result.memory.after10.rssMb} MB`,
    ...result.memory.samples.map((point) => `memory after ${point.sessions} sessions: heap ${point.heapUsedMb} MB, RSS ${point.rssMb} MB`),
    `memory after ${result.memory.sessions} sessions: heap ${result.memory.afterAll.heapUsedMb} MB, RSS ${result.memory.afterAll.rssMb} MB`,
    '',
  ].join('\n');
}

type Timing = { median: number; min: number; max: number };

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function mb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}
