import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PcscReader } from '../../main/card/pcsc-reader';
import { ReaderStatusService, type ReaderStatus } from '../../main/card/reader-status';
import { startPcscd, type PcscdHandle } from '../../main/harness/pcscd-sandbox';

// The real stack: PcscReader → smartcard → libpcsclite → pcscd → vpcd → TCP → fake card.

const T1_ATR = '3be000ff8131fe4514';
const SELECT_JPKI_AP = Uint8Array.from([0x00, 0xa4, 0x04, 0x0c, 0x0a, 0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]);

/**
 * A minimal vpcd card, as plain JS for an eval'd worker thread: it must not
 * share the PC/SC client's thread, because a synchronous SCardDisconnect
 * waits on pcscd, which waits on this card's socket.
 */
const FAKE_CARD_SOURCE = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const atr = Buffer.from(workerData.atrHex, 'hex');
const socket = net.connect(workerData.port, '127.0.0.1');
socket.setNoDelay(true);
socket.on('connect', () => parentPort.postMessage({ type: 'connected', at: performance.timeOrigin + performance.now() }));
socket.on('error', (error) => parentPort.postMessage({ type: 'error', message: error.message }));
socket.on('close', () => parentPort.postMessage({ type: 'closed', at: performance.timeOrigin + performance.now() }));
let pending = Buffer.alloc(0);
function reply(payload) {
  const header = Buffer.alloc(2);
  header.writeUInt16BE(payload.length);
  socket.write(Buffer.concat([header, payload]));
}
socket.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
    const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
    pending = pending.subarray(2 + message.length);
    if (message.length === 1) {
      // 00 power off, 01 power on, 02 reset: no answer. 04: the ATR.
      if (message[0] === 0x04) reply(atr);
      else parentPort.postMessage({ type: 'control', code: message[0], at: performance.timeOrigin + performance.now() });
    } else {
      reply(Buffer.from([0x6a, 0x82]));
    }
  }
});
parentPort.on('message', (command) => {
  if (command === 'remove') socket.destroy();
});
`;

interface CardMessage {
  type: 'connected' | 'closed' | 'control' | 'error';
  at?: number;
  code?: number;
  message?: string;
}

class FakeCard {
  readonly messages: CardMessage[] = [];
  private readonly worker: Worker;

  constructor(port: number) {
    this.worker = new Worker(FAKE_CARD_SOURCE, { eval: true, workerData: { port, atrHex: T1_ATR } });
    this.worker.on('message', (message: CardMessage) => this.messages.push(message));
  }

  async next(type: CardMessage['type'], after = 0, timeoutMs = 3_000): Promise<CardMessage> {
    return until(() => this.messages.find((m) => m.type === type && (m.at ?? 0) >= after), timeoutMs, `fake card "${type}"`);
  }

  remove(): void {
    this.worker.postMessage('remove');
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}

async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function waitForStatus(service: ReaderStatusService, expected: ReaderStatus, timeoutMs = 5_000): Promise<number> {
  const matches = (): boolean => JSON.stringify(service.status) === JSON.stringify(expected);
  return until(
    () => (matches() ? now() : undefined),
    timeoutMs,
    `status ${JSON.stringify(expected)}, last ${JSON.stringify(service.status)}`,
  );
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('PcscReader on pcscd with two vpcd readers', () => {
  let pcscd: PcscdHandle | undefined;
  let startFailure: unknown;
  let service: ReaderStatusService | undefined;
  let card: FakeCard | undefined;

  beforeAll(async () => {
    // Kept, not thrown: a throwing beforeAll reports these tests as skipped,
    // and a machine without pcscd or vpcd must show up as failures.
    try {
      pcscd = await startPcscd();
    } catch (error) {
      startFailure = error;
    }
  });

  afterEach(async () => {
    await card?.dispose();
    await service?.stop();
    card = undefined;
    service = undefined;
  });

  afterAll(async () => {
    await pcscd?.stop();
  });

  async function startService(): Promise<{ service: ReaderStatusService; reader: PcscReader; pcscd: PcscdHandle }> {
    if (!pcscd) throw startFailure;
    // A test that failed half-way through a restart must not take the next one down with it.
    if (!pcscd.running) await pcscd.start();
    const reader = new PcscReader({ pollIntervalMs: 250 });
    service = new ReaderStatusService(reader);
    service.start();
    return { service, reader, pcscd };
  }

  it('lists both virtual readers and no card', { timeout: 10_000 }, async () => {
    const { service, pcscd } = await startService();
    await waitForStatus(service, { state: 'waiting_for_card', readers: pcscd.readerNames });
    expect(pcscd.readerNames).toEqual(['myna-kiosk test reader 00 00', 'myna-kiosk test reader 00 01']);
  });

  it('reports unavailable while pcscd is stopped and recovers when it is back', { timeout: 20_000 }, async () => {
    const { service, pcscd } = await startService();
    const readers = pcscd.readerNames;
    await waitForStatus(service, { state: 'waiting_for_card', readers });

    await pcscd.stop();
    await waitForStatus(service, { state: 'unavailable', reason: 'service-not-running' });

    await pcscd.start();
    await waitForStatus(service, { state: 'waiting_for_card', readers });
  });

  it('runs pcscd with the TCP_NODELAY shim, and vpcd listening on loopback only', async () => {
    const { pcscd } = await startService();
    // Without the shim every APDU waits ~40 ms (Nagle + delayed ACK); scripts, not tests, measure that.
    expect(readFileSync(`/proc/${pcscd.pid}/maps`, 'utf8')).toContain('libpcscd-sandbox.so');
    const listening = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === '0A') // LISTEN
      .map((fields) => fields[1]!);
    for (const port of pcscd.vpcdPorts) {
      const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
      expect(listening).toContain(`0100007F:${hexPort}`);
    }
    // Nothing of vpcd's on any other IPv4 address.
    expect(
      listening.filter(
        (address) =>
          pcscd.vpcdPorts.some((port) => address.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`)) &&
          !address.startsWith('0100007F'),
      ),
    ).toEqual([]);
  });

  it('sees a card, exchanges an APDU, unpowers it, and sees it leave', { timeout: 20_000 }, async () => {
    const { service, reader, pcscd } = await startService();
    const readers = pcscd.readerNames;
    const [first] = readers as [string, string];
    await waitForStatus(service, { state: 'waiting_for_card', readers });

    card = new FakeCard(pcscd.vpcdPorts[0]!);
    await card.next('connected');
    await waitForStatus(service, { state: 'card_present', reader: first, readers });

    const connection = await reader.connect(first, { exclusive: true });
    expect(hex(connection.atr)).toBe(T1_ATR);
    expect(hex(await connection.transmit(SELECT_JPKI_AP))).toBe('6a82');

    const unpowered = now();
    await connection.disconnect({ unpower: true });
    // Power-off (00) reaches the card: the PIN state it held is gone.
    expect((await card.next('control', unpowered)).code).toBe(0x00);
    await expect(connection.transmit(SELECT_JPKI_AP)).rejects.toMatchObject({ code: 'not-connected' });

    card.remove();
    await card.next('closed');
    await waitForStatus(service, { state: 'waiting_for_card', readers });
  });
});
