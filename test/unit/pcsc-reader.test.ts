import { afterEach, describe, expect, it } from 'vitest';
import {
  PcscReader,
  type PcscCard,
  type PcscContext,
  type PcscReaderHandle,
  type PcscReaderState,
  type SmartcardBinding,
} from '../../main/card/pcsc-reader';
import type { Logger, LogFields } from '../../main/base/log';
import type { ReaderEvent } from '../../main/card/reader';
import { ReaderError } from '../../main/card/reader-errors';

// pcsc-lite's values, so the fake speaks the same bit layout as the real binding.
const CHANGED = 0x2;
const EMPTY = 0x10;
const PRESENT = 0x20;
const ATR = [0x3b, 0xe0, 0x00, 0xff, 0x81, 0x31, 0xfe, 0x45, 0x14];

interface FakeSlot {
  present: boolean;
  /** pcsc-lite's per-reader card event counter. */
  events: number;
}

/** A pcscd in memory: readers, cards, and the service going away. */
class FakeDaemon {
  up = true;
  /** A card that answers without even a status word (vpcd does this when the card vanishes mid-command). */
  mute = false;
  /** What a pending wait fails with when the service goes away. */
  lostWith = 'Communication error';
  /** What transmit fails with (pcsc-lite's message), when it fails. */
  transmitFailure: string | undefined;
  /** What SCardStatus answers instead of the slot's own state, or the message it fails with. */
  status: { state: number } | string | undefined;
  /** What disconnecting fails with, when it fails. */
  disconnectFailure: string | undefined;
  /** A card that refuses T=1 (pcsc-lite: "Protocol mismatch"). */
  t1Refused = false;
  /** Readers whose status query failed: the binding reports state 0 for them. */
  readonly stateless = new Set<string>();
  /** Contexts opened and closed: each connection's own and the watcher's. */
  contextsOpened = 0;
  contextsClosed = 0;
  /** Cards whose ATR neither the card nor the reader reports (a card that does not answer the reset). */
  readonly atrless = new Set<string>();
  /** What making a context fails with while the service is up, when it fails. */
  contextFailure: string | undefined;
  /** What listing the readers fails with while the service is up, when it fails. */
  listFailure: string | undefined;
  /** What connecting fails with, when it fails for a card that is there. */
  connectFailure: string | undefined;
  /** A pcscd that dies as the watcher is cancelled: the wait fails instead of ending. */
  cancelFailsWith: string | undefined;
  /** The readers and timeout of every wait for a change. */
  readonly waits: { readers: PcscReaderState[]; timeoutMs: number }[] = [];
  /** The options each transmit was given. */
  readonly transmitOptions: ({ maxRecvLength?: number } | undefined)[] = [];
  readonly slots = new Map<string, FakeSlot>();
  readonly dispositions: number[] = [];
  readonly connects: { shareMode: number; protocols: number }[] = [];
  /** Every command the binding was handed, the object itself. */
  readonly transmitted: Buffer[] = [];
  readonly waiters = new Set<(outcome: 'change' | 'down') => void>();
  readonly binding: SmartcardBinding = bindingFor(this);

  stateOf(slot: FakeSlot): number {
    return (slot.events << 16) | (slot.present ? PRESENT : EMPTY);
  }

  stateOfName(name: string): number | undefined {
    const slot = this.slots.get(name);
    return slot && this.stateOf(slot);
  }

  attach(name: string, withCard = false): void {
    this.slots.set(name, { present: withCard, events: withCard ? 1 : 0 });
    this.notify('change');
  }

  detach(name: string): void {
    this.slots.delete(name);
    this.notify('change');
  }

  insert(name: string): void {
    const slot = this.slots.get(name)!;
    slot.present = true;
    slot.events++;
    this.notify('change');
  }

  /** Out and in again between two polls: only the event counter shows it. */
  swap(name: string): void {
    this.slots.get(name)!.events += 2;
    this.notify('change');
  }

  /** A wake-up with nothing new, as when a handle connects (INUSE) or pcscd re-reads a card. */
  spuriousWakeUp(): void {
    this.notify('change');
  }

  stopService(lostWith = 'Communication error'): void {
    this.lostWith = lostWith;
    this.up = false;
    this.notify('down');
  }

  startService(): void {
    this.up = true;
  }

  private notify(outcome: 'change' | 'down'): void {
    for (const wake of [...this.waiters]) wake(outcome);
  }

  async connect(name: string, shareMode: number, protocols: number): Promise<PcscCard> {
    this.connects.push({ shareMode, protocols });
    if (!this.slots.get(name)?.present) throw new Error('No smart card present');
    if (this.t1Refused && protocols === this.binding.SCARD_PROTOCOL_T1) throw new Error('Protocol mismatch');
    if (this.connectFailure) throw new Error(this.connectFailure);
    return {
      atr: this.atrless.has(name) ? null : Uint8Array.from(ATR),
      transmit: async (command: Buffer, options?: { maxRecvLength?: number }) => {
        this.transmitted.push(command);
        this.transmitOptions.push(options);
        if (this.transmitFailure) throw new Error(this.transmitFailure);
        return this.mute ? new Uint8Array(0) : Uint8Array.from([0x6a, 0x82]);
      },
      getStatus: () => {
        if (typeof this.status === 'string') throw new Error(this.status);
        if (this.status) return this.status;
        if (!this.slots.get(name)?.present) throw new Error('Card was removed');
        return { state: 0x0034 };
      },
      disconnect: (disposition: number) => {
        this.dispositions.push(disposition);
        if (this.disconnectFailure) throw new Error(this.disconnectFailure);
      },
    };
  }
}

/** The binding's surface over a FakeDaemon: contexts fail while it is down, waits wake on its changes. */
function bindingFor(daemon: FakeDaemon): SmartcardBinding {
  return {
    Context: class implements PcscContext {
      private cancelPending: (() => void) | undefined;
      constructor() {
        if (!daemon.up) throw new Error('PC/SC service not running');
        if (daemon.contextFailure) throw new Error(daemon.contextFailure);
        daemon.contextsOpened++;
      }
      listReaders(): PcscReaderHandle[] {
        if (!daemon.up) throw new Error('PC/SC service not running');
        if (daemon.listFailure) throw new Error(daemon.listFailure);
        return [...daemon.slots].map(([name, slot]) => ({
          name,
          state: daemon.stateless.has(name) ? 0 : daemon.stateOf(slot) | CHANGED,
          atr: slot.present && !daemon.atrless.has(name) ? Uint8Array.from(ATR) : null,
          connect: (shareMode: number, protocols: number) => daemon.connect(name, shareMode, protocols),
        }));
      }
      waitForChange(readers: PcscReaderState[], timeoutMs: number): Promise<PcscReaderState[] | null> {
        if (!daemon.up) return Promise.reject(new Error('PC/SC service not running'));
        daemon.waits.push({ readers, timeoutMs });
        if (readers.some((r) => !r.name.startsWith('\\\\?PnP') && daemon.stateOfName(r.name) !== r.state)) {
          return Promise.resolve([]);
        }
        return new Promise((resolve, reject) => {
          const finish = (outcome: 'change' | 'down' | 'timeout' | 'cancel'): void => {
            clearTimeout(timer);
            daemon.waiters.delete(wake);
            this.cancelPending = undefined;
            if (outcome === 'down') reject(new Error(daemon.lostWith));
            else if (outcome === 'cancel' && daemon.cancelFailsWith) reject(new Error(daemon.cancelFailsWith));
            else resolve(outcome === 'cancel' ? null : []);
          };
          const wake = (outcome: 'change' | 'down'): void => finish(outcome);
          const timer = setTimeout(() => finish('timeout'), timeoutMs);
          daemon.waiters.add(wake);
          this.cancelPending = () => finish('cancel');
        });
      }
      cancel(): void {
        this.cancelPending?.();
      }
      close(): void {
        daemon.contextsClosed++;
      }
    },
    SCARD_SHARE_SHARED: 2,
    SCARD_SHARE_EXCLUSIVE: 1,
    SCARD_PROTOCOL_T0: 1,
    SCARD_PROTOCOL_T1: 2,
    SCARD_LEAVE_CARD: 0,
    SCARD_UNPOWER_CARD: 2,
    SCARD_STATE_CHANGED: CHANGED,
    SCARD_STATE_PRESENT: PRESENT,
  };
}

const POLL_MS = 10;
let reader: PcscReader | undefined;

afterEach(async () => {
  await reader?.stop();
  reader = undefined;
});

function watch(daemon: FakeDaemon, log?: Logger): ReaderEvent[] {
  const events: ReaderEvent[] = [];
  reader = new PcscReader({ loadBinding: () => daemon.binding, pollIntervalMs: POLL_MS, ...(log ? { log } : {}) });
  reader.start((event) => events.push(event));
  return events;
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Reader A with a card in it, connected to by a reader that is not watching. */
async function connected(daemon: FakeDaemon, exclusive = true) {
  daemon.attach('Reader A', true);
  return new PcscReader({ loadBinding: () => daemon.binding }).connect('Reader A', { exclusive });
}

/** Several poll intervals, so a duplicate would have had every chance to appear. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, POLL_MS * 8));
}

function names(events: ReaderEvent[]): string[] {
  return events.map((e) => ('reader' in e ? `${e.type} ${e.reader}` : e.type === 'stack-unavailable' ? `${e.type} ${e.reason}` : e.type));
}

describe('PcscReader (fake PC/SC stack)', () => {
  it('reports binding-missing once when smartcard cannot load, and keeps running', async () => {
    const events: ReaderEvent[] = [];
    reader = new PcscReader({
      loadBinding: () => {
        throw new Error("Cannot find module 'smartcard'");
      },
    });
    reader.start((event) => events.push(event));
    await settle();

    expect(events).toEqual([{ type: 'stack-unavailable', reason: 'binding-missing' }]);
    const failure = await reader.connect('any', { exclusive: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReaderError);
    expect(failure).toMatchObject({ code: 'binding-missing' });
  });

  it('announces the current state once, then each change exactly once', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A');
    daemon.attach('Reader B', true);
    const events = watch(daemon);
    await until(() => events.length >= 3);
    daemon.spuriousWakeUp();
    await settle();
    expect(names(events)).toEqual(['reader-attached Reader A', 'reader-attached Reader B', 'card-inserted Reader B']);
    expect(events[2]).toEqual({ type: 'card-inserted', reader: 'Reader B', atr: Uint8Array.from(ATR) });

    daemon.insert('Reader A');
    await until(() => events.length >= 4);
    daemon.spuriousWakeUp();
    await settle();
    daemon.swap('Reader B');
    await until(() => events.length >= 6);
    await settle();
    expect(names(events.slice(3))).toEqual(['card-inserted Reader A', 'card-removed Reader B', 'card-inserted Reader B']);
  });

  it('emits card-removed before reader-detached when a reader with a card is unplugged', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    daemon.attach('Reader B');
    const events = watch(daemon);
    await until(() => events.length >= 3);

    daemon.detach('Reader A');
    await until(() => events.length >= 5);
    await settle();
    expect(names(events.slice(3))).toEqual(['card-removed Reader A', 'reader-detached Reader A']);
  });

  it('reports a stopped service once, retries, and re-announces readers when it returns', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    const events = watch(daemon);
    await until(() => events.length >= 2);

    daemon.stopService();
    await until(() => events.length >= 3);
    await settle();
    expect(names(events.slice(2))).toEqual(['stack-unavailable service-not-running']);

    daemon.startService();
    await until(() => events.length >= 6);
    await settle();
    expect(names(events.slice(3))).toEqual(['stack-available', 'reader-attached Reader A', 'card-inserted Reader A']);
  });

  it('names the fault by whether pcscd can be reached, not by the message of the call that failed', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A');
    const events = watch(daemon);
    await until(() => events.length >= 1);

    // pcsc-lite answers assorted codes while pcscd shuts down.
    daemon.stopService('Unknown PC/SC error');
    await until(() => events.length >= 2);
    await settle();
    expect(names(events.slice(1))).toEqual(['stack-unavailable service-not-running']);
  });

  it('starts as unavailable when the service is down, and connects exclusively with T=1 and unpowers', async () => {
    const daemon = new FakeDaemon();
    daemon.stopService();
    const events = watch(daemon);
    await until(() => events.length >= 1);
    daemon.attach('Reader A', true);
    daemon.startService();
    await until(() => events.length >= 4);
    expect(names(events)).toEqual([
      'stack-unavailable service-not-running',
      'stack-available',
      'reader-attached Reader A',
      'card-inserted Reader A',
    ]);

    const connection = await reader!.connect('Reader A', { exclusive: true });
    expect(daemon.connects).toEqual([{ shareMode: 1, protocols: 2 }]);
    expect(await connection.transmit(Uint8Array.from([0x00, 0xa4, 0x04, 0x0c]))).toEqual(Uint8Array.from([0x6a, 0x82]));
    await connection.disconnect({ unpower: true });
    expect(daemon.dispositions).toEqual([2]);
    await expect(reader!.connect('Reader B', { exclusive: false })).rejects.toMatchObject({ code: 'no-reader' });
  });

  it("hands the binding a view of the caller's command, not a copy in Node's shared pool: wiping one wipes the other", async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    const connection = await new PcscReader({ loadBinding: () => daemon.binding }).connect('Reader A', { exclusive: true });
    const verify = Uint8Array.from([0x00, 0x20, 0x00, 0x98, 0x04, 0x31, 0x32, 0x33, 0x34]);
    await connection.transmit(verify);
    // What the JPKI client does once the transmit settled (docs/card-protocol.md, "Handling PIN bytes").
    verify.fill(0);
    expect(daemon.transmitted).toHaveLength(1);
    expect(Buffer.from(daemon.transmitted[0]!).toString('hex')).toBe('00'.repeat(verify.length));
  });

  it('calls a card pulled mid-command "card removed", and a mute card that stays "unresponsive"', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    const events = watch(daemon);
    await until(() => events.length >= 2);
    const connection = await reader!.connect('Reader A', { exclusive: true });
    daemon.mute = true;
    await expect(connection.transmit(Uint8Array.from([0x00, 0xb0, 0x00, 0x00, 0x00]))).rejects.toMatchObject({ code: 'card-unresponsive' });
    daemon.slots.get('Reader A')!.present = false;
    await expect(connection.transmit(Uint8Array.from([0x00, 0xb0, 0x00, 0x00, 0x00]))).rejects.toMatchObject({ code: 'card-removed' });
  });
});

/** A log that keeps what it is told, to check what the IT department would read. */
function recordingLog(): Logger & { lines: { level: string; event: string; fields?: LogFields }[] } {
  const lines: { level: string; event: string; fields?: LogFields }[] = [];
  const at = (level: string) => (event: string, fields?: LogFields) => void lines.push({ level, event, ...(fields ? { fields } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

// pcsc-lite's SCardStatus reader state for an empty reader (SCARD_ABSENT), not one of the SCARD_STATE_* flags.
const STATUS_ABSENT = 0x0002;
const COMMAND = Uint8Array.from([0x00, 0xb0, 0x00, 0x00, 0x00]);

describe('PcscReader: starting, stopping and what the log says', () => {
  it('cannot be started twice, and loads the binding only once', async () => {
    const daemon = new FakeDaemon();
    let loads = 0;
    reader = new PcscReader({ loadBinding: () => (loads++, daemon.binding), pollIntervalMs: POLL_MS });
    reader.start(() => undefined);
    expect(() => reader!.start(() => undefined)).toThrow('PcscReader is already started');
    daemon.attach('Reader A', true);
    await (await reader.connect('Reader A', { exclusive: true })).disconnect({ unpower: true });
    expect(loads).toBe(1);
  });

  it('logs a binding that cannot load, with its reason', async () => {
    const log = recordingLog();
    reader = new PcscReader({
      log,
      loadBinding: () => {
        throw new Error("Cannot find module 'smartcard'");
      },
    });
    reader.start(() => undefined);
    await reader.connect('Reader A', { exclusive: true }).catch(() => undefined);
    expect(log.lines).toEqual([{ level: 'warn', event: 'pcsc.binding-missing', fields: { error: "Cannot find module 'smartcard'" } }]);
  });

  it('unpowers the cards still connected when it stops, and can start again from nothing', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    daemon.attach('Reader B', true);
    const events = watch(daemon);
    await until(() => events.length >= 4);
    const left = await reader!.connect('Reader A', { exclusive: true });
    await left.disconnect({ unpower: false });
    await reader!.connect('Reader B', { exclusive: true });
    daemon.disconnectFailure = 'Unknown PC/SC error'; // a failing unpower does not stop the stop
    await reader!.stop();
    // Reader A was left as it was (its connection closed before), Reader B unpowered by the stop.
    expect(daemon.dispositions).toEqual([0, 2]);
    expect(daemon.contextsClosed).toBe(daemon.contextsOpened);

    daemon.disconnectFailure = undefined;
    const again: ReaderEvent[] = [];
    reader!.start((event) => again.push(event));
    await until(() => again.length >= 4);
    await settle();
    expect(names(again)).toEqual([
      'reader-attached Reader A',
      'card-inserted Reader A',
      'reader-attached Reader B',
      'card-inserted Reader B',
    ]);
  });

  it('stopped while the service was down, it starts again without announcing a return it never reported', async () => {
    const daemon = new FakeDaemon();
    daemon.stopService();
    const events = watch(daemon);
    await until(() => events.length >= 1);
    await reader!.stop();
    daemon.startService();
    daemon.attach('Reader A');
    const again: ReaderEvent[] = [];
    reader!.start((event) => again.push(event));
    await until(() => again.length >= 1);
    await settle();
    expect(names(again)).toEqual(['reader-attached Reader A']);
  });

  it('announces readers in name order, whatever order pcscd lists them in', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader C');
    daemon.attach('Reader A');
    daemon.attach('Reader B');
    const events = watch(daemon);
    await until(() => events.length >= 3);
    await settle();
    expect(names(events)).toEqual(['reader-attached Reader A', 'reader-attached Reader B', 'reader-attached Reader C']);
  });

  it('logs the service going and coming back, and a throwing listener without losing the next events', async () => {
    const log = recordingLog();
    const daemon = new FakeDaemon();
    daemon.attach('Reader A');
    const events: ReaderEvent[] = [];
    reader = new PcscReader({ loadBinding: () => daemon.binding, pollIntervalMs: POLL_MS, log });
    reader.start((event) => {
      events.push(event);
      if (event.type === 'reader-attached') throw new Error('listener bug');
    });
    await until(() => events.length >= 1);
    daemon.stopService();
    await until(() => events.length >= 2);
    daemon.startService();
    await until(() => events.length >= 4);
    await settle();
    expect(names(events)).toEqual([
      'reader-attached Reader A',
      'stack-unavailable service-not-running',
      'stack-available',
      'reader-attached Reader A',
    ]);
    expect(log.lines).toEqual([
      { level: 'error', event: 'pcsc.listener-threw', fields: { event: 'reader-attached', error: 'listener bug' } },
      { level: 'warn', event: 'pcsc.context-lost', fields: { error: 'Communication error' } },
      { level: 'warn', event: 'pcsc.stack-unavailable', fields: { reason: 'service-not-running' } },
      { level: 'info', event: 'pcsc.stack-available', fields: { readers: 1 } },
      { level: 'error', event: 'pcsc.listener-threw', fields: { event: 'reader-attached', error: 'listener bug' } },
    ]);
  });

  it('takes a reader whose state pcscd could not give for a fault, not for a removed card, and says so once per reason', async () => {
    const log = recordingLog();
    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    const events = watch(daemon, log);
    await until(() => events.length >= 2);
    daemon.stateless.add('Reader A');
    daemon.spuriousWakeUp();
    await until(() => events.length >= 3);
    await settle(); // it keeps failing the same way: nothing more is said
    expect(names(events.slice(2))).toEqual(['stack-unavailable service-error']);
    expect(log.lines.find((line) => line.event === 'pcsc.context-lost')).toEqual({
      level: 'warn',
      event: 'pcsc.context-lost',
      fields: { error: 'pcscd returned no state for Reader A' },
    });
    // A better diagnosis while down is a change worth reporting.
    daemon.stopService('PC/SC service not running');
    await until(() => events.length >= 4);
    await settle();
    expect(names(events.slice(3))).toEqual(['stack-unavailable service-not-running']);
    daemon.stateless.clear();
    daemon.startService();
    await until(() => events.length >= 7);
    await settle();
    expect(names(events.slice(4))).toEqual(['stack-available', 'reader-attached Reader A', 'card-inserted Reader A']);
  });
});

describe('PcscReader: a connection', () => {
  it('shares the card when asked to, with T=1, and carries the reader and the ATR', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon, false);
    expect(daemon.connects).toEqual([{ shareMode: 2, protocols: 2 }]);
    expect(connection.reader).toBe('Reader A');
    expect(connection.atr).toEqual(Uint8Array.from(ATR));
  });

  it('falls back to T=0 only when the card refuses T=1', async () => {
    const daemon = new FakeDaemon();
    daemon.t1Refused = true;
    await connected(daemon);
    expect(daemon.connects).toEqual([
      { shareMode: 1, protocols: 2 },
      { shareMode: 1, protocols: 1 },
    ]);
    const empty = new FakeDaemon();
    empty.attach('Reader A');
    const failure = new PcscReader({ loadBinding: () => empty.binding }).connect('Reader A', { exclusive: true });
    await expect(failure).rejects.toMatchObject({ code: 'no-card' });
    expect(empty.connects).toHaveLength(1);
    expect(empty.contextsClosed).toBe(empty.contextsOpened);
  });

  it('names a stopped service when it cannot even open a context', async () => {
    const daemon = new FakeDaemon();
    daemon.stopService();
    const failure = new PcscReader({ loadBinding: () => daemon.binding }).connect('Reader A', { exclusive: true });
    await expect(failure).rejects.toMatchObject({ code: 'service-not-running', message: 'PC/SC service not running' });
  });

  it('asks for extended-length answers: 65 536 data bytes and the status word', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    await connection.transmit(COMMAND);
    expect(daemon.transmitOptions).toEqual([{ maxRecvLength: 65_538 }]);
  });

  it('is closed once: a second disconnect does nothing, a transmit after it is refused, its context closed', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    await connection.disconnect({ unpower: true });
    await connection.disconnect({ unpower: false });
    expect(daemon.dispositions).toEqual([2]);
    expect(daemon.contextsClosed).toBe(1);
    await expect(connection.transmit(COMMAND)).rejects.toMatchObject({
      code: 'not-connected',
      message: 'Connection to "Reader A" is closed',
    });
  });

  it.each(['Card was removed', 'No smart card present', 'Unknown reader', 'PC/SC service not running', 'Card is not connected'])(
    'a card or service gone when disconnecting (%s) is as unpowered as it gets',
    async (message) => {
      const daemon = new FakeDaemon();
      const connection = await connected(daemon);
      daemon.disconnectFailure = message;
      await connection.disconnect({ unpower: true });
      expect(daemon.contextsClosed).toBe(1);
    },
  );

  it('any other failure to disconnect is reported, and the context is closed all the same', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    daemon.disconnectFailure = 'Sharing violation';
    await expect(connection.disconnect({ unpower: true })).rejects.toMatchObject({ code: 'sharing-violation' });
    expect(daemon.contextsClosed).toBe(1);
  });

  it('a failure that is not a lost answer is passed on at once, without asking the card', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    daemon.transmitFailure = 'Card was reset';
    daemon.status = 'Card was removed'; // would turn it into card-removed if asked
    await expect(connection.transmit(COMMAND)).rejects.toMatchObject({ code: 'card-reset' });
  });

  it('a failed transmit with the card gone is "card removed"; with the card there, the failure itself after a poll', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    daemon.transmitFailure = 'Transaction failed';
    daemon.status = { state: STATUS_ABSENT };
    await expect(connection.transmit(COMMAND)).rejects.toMatchObject({ code: 'card-removed', message: 'the card left "Reader A"' });

    daemon.status = undefined;
    const started = Date.now();
    await expect(connection.transmit(COMMAND)).rejects.toMatchObject({ code: 'transmit-failed', message: 'Transaction failed' });
    // pcscd checks presence about every 400 ms: the verdict is waited for, not guessed at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
  });

  it('a card that leaves during that wait is "card removed"', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    daemon.transmitFailure = 'Transaction failed';
    daemon.status = 'Transaction failed'; // SCardStatus fails the same way at first
    setTimeout(() => (daemon.status = 'No smart card present'), 120);
    await expect(connection.transmit(COMMAND)).rejects.toMatchObject({ code: 'card-removed', message: 'the card left "Reader A"' });
  });

  it('what the status query says instead, when it knows better (the card was reset)', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    daemon.mute = true;
    daemon.status = 'Card was reset';
    await expect(connection.transmit(COMMAND)).rejects.toMatchObject({ code: 'card-reset' });
  });
});

describe('PcscReader: the rest of what callers and the IT department rely on', () => {
  it("waits on every reader in the state it announced, and on pcsc-lite's reader-list notification, for one poll interval", async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    const events = watch(daemon);
    await until(() => events.length >= 2 && daemon.waits.length >= 1);
    expect(daemon.waits[0]).toEqual({
      readers: [
        { name: 'Reader A', state: (1 << 16) | PRESENT },
        { name: '\\\\?PnP?\\Notification', state: 0 },
      ],
      timeoutMs: POLL_MS,
    });
  });

  it('polls every 500 ms unless told otherwise', async () => {
    const daemon = new FakeDaemon();
    reader = new PcscReader({ loadBinding: () => daemon.binding });
    reader.start(() => undefined);
    await until(() => daemon.waits.length >= 1);
    expect(daemon.waits[0]?.timeoutMs).toBe(500);
  });

  it('loads the real smartcard binding by default', async () => {
    // Whether or not a pcscd runs here, the binding itself is there: the failure is about readers or the service, not the binding.
    const failure = await new PcscReader().connect('No such reader', { exclusive: false }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReaderError);
    expect(['service-not-running', 'no-reader']).toContain((failure as ReaderError).code);
  });

  it('stops at once, without waiting for the poll to time out', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A');
    const events: ReaderEvent[] = [];
    reader = new PcscReader({ loadBinding: () => daemon.binding, pollIntervalMs: 60_000 });
    reader.start((event) => events.push(event));
    await until(() => daemon.waits.length >= 1);
    const started = Date.now();
    await reader.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('tells nothing more once stopped, even when pcscd dies as it stops', async () => {
    const log = recordingLog();
    const daemon = new FakeDaemon();
    daemon.attach('Reader A');
    const events = watch(daemon, log);
    await until(() => events.length >= 1 && daemon.waits.length >= 1);
    daemon.cancelFailsWith = 'Unknown PC/SC error';
    await reader!.stop();
    expect(names(events)).toEqual(['reader-attached Reader A']);
    expect(log.lines.filter((line) => line.event === 'pcsc.listener-threw')).toEqual([]);
  });

  it('does not poll a context it could not make: it waits and tries again, quietly', async () => {
    const log = recordingLog();
    const daemon = new FakeDaemon();
    daemon.attach('Reader A');
    const events = watch(daemon, log);
    await until(() => events.length >= 1);
    daemon.stopService();
    await until(() => events.length >= 2);
    await settle();
    expect(log.lines.map((line) => line.event)).toEqual(['pcsc.context-lost', 'pcsc.stack-unavailable']);
  });

  it('says a reader was detached, and no card removed, when the reader was empty', async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A');
    const events = watch(daemon);
    await until(() => events.length >= 1);
    daemon.detach('Reader A');
    await until(() => events.length >= 2);
    await settle();
    expect(names(events)).toEqual(['reader-attached Reader A', 'reader-detached Reader A']);
  });

  it('announces a card without an ATR with an empty one, and connects to it', async () => {
    const daemon = new FakeDaemon();
    daemon.atrless.add('Reader A');
    daemon.attach('Reader A', true);
    const events = watch(daemon);
    await until(() => events.length >= 2);
    expect(events[1]).toEqual({ type: 'card-inserted', reader: 'Reader A', atr: new Uint8Array(0) });
    const connection = await reader!.connect('Reader A', { exclusive: true });
    expect(connection.atr).toEqual(new Uint8Array(0));
  });

  it("takes the reader's ATR when the card handle has none", async () => {
    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    const binding = daemon.binding;
    const handleOnly: SmartcardBinding = {
      ...binding,
      Context: class extends binding.Context {
        override listReaders(): PcscReaderHandle[] {
          return super.listReaders().map((handle) => ({
            ...handle,
            connect: async (shareMode: number, protocols: number) => ({ ...(await handle.connect(shareMode, protocols)), atr: null }),
          }));
        }
      },
    };
    const connection = await new PcscReader({ loadBinding: () => handleOnly }).connect('Reader A', { exclusive: true });
    expect(connection.atr).toEqual(Uint8Array.from(ATR));
  });

  it('names what went wrong when connecting', async () => {
    const binding = new PcscReader({
      loadBinding: () => {
        throw new Error('no binding');
      },
    });
    await expect(binding.connect('Reader A', { exclusive: true })).rejects.toMatchObject({
      code: 'binding-missing',
      message: 'The smartcard binding is not available',
    });

    const daemon = new FakeDaemon();
    daemon.attach('Reader A', true);
    const connect = () => new PcscReader({ loadBinding: () => daemon.binding }).connect('Reader B', { exclusive: true });
    await expect(connect()).rejects.toMatchObject({ code: 'no-reader', message: 'No reader named "Reader B"' });
    // A context that cannot be made, whatever pcsc-lite says: the service cannot be reached.
    daemon.contextFailure = 'Unknown PC/SC error';
    await expect(connect()).rejects.toMatchObject({ code: 'service-not-running', message: 'Unknown PC/SC error' });
    daemon.contextFailure = undefined;
    daemon.listFailure = 'Unknown PC/SC error';
    await expect(connect()).rejects.toMatchObject({ code: 'connect-failed', message: 'Unknown PC/SC error' });
    daemon.listFailure = undefined;
    daemon.connectFailure = 'Unknown PC/SC error';
    const failed = new PcscReader({ loadBinding: () => daemon.binding }).connect('Reader A', { exclusive: true });
    await expect(failed).rejects.toMatchObject({ code: 'connect-failed', message: 'Unknown PC/SC error' });
    expect(daemon.connects).toHaveLength(1); // not tried again with T=0
  });

  it('a failure to disconnect that is none of the known ones is a connect-failed', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    daemon.disconnectFailure = 'Unknown PC/SC error';
    await expect(connection.disconnect({ unpower: true })).rejects.toMatchObject({
      code: 'connect-failed',
      message: 'Unknown PC/SC error',
    });
  });

  it.each(['Card was removed', 'No smart card present'])(
    'a card the status query calls gone (%s) after a lost answer is "card removed", with that answer as the cause',
    async (message) => {
      const daemon = new FakeDaemon();
      const connection = await connected(daemon);
      daemon.mute = true;
      daemon.status = message;
      const failure = await connection.transmit(COMMAND).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'card-removed', message: 'the card left "Reader A"', cause: { message } });
    },
  );

  it('a mute card that stays says which reader gave no status word', async () => {
    const daemon = new FakeDaemon();
    const connection = await connected(daemon);
    daemon.mute = true;
    await expect(connection.transmit(COMMAND)).rejects.toMatchObject({
      code: 'card-unresponsive',
      message: '"Reader A" gave no status word',
    });
  });
});
