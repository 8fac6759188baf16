import { afterEach, describe, expect, it } from 'vitest';
import {
  PcscReader,
  type PcscCard,
  type PcscContext,
  type PcscReaderHandle,
  type PcscReaderState,
  type SmartcardBinding,
} from '../../main/card/pcsc-reader';
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
    return {
      atr: Uint8Array.from(ATR),
      transmit: async (command: Buffer) => {
        this.transmitted.push(command);
        return this.mute ? new Uint8Array(0) : Uint8Array.from([0x6a, 0x82]);
      },
      getStatus: () => {
        if (!this.slots.get(name)?.present) throw new Error('Card was removed');
        return { state: 0x0034 };
      },
      disconnect: (disposition: number) => {
        this.dispositions.push(disposition);
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
      }
      listReaders(): PcscReaderHandle[] {
        if (!daemon.up) throw new Error('PC/SC service not running');
        return [...daemon.slots].map(([name, slot]) => ({
          name,
          state: daemon.stateOf(slot) | CHANGED,
          atr: slot.present ? Uint8Array.from(ATR) : null,
          connect: (shareMode: number, protocols: number) => daemon.connect(name, shareMode, protocols),
        }));
      }
      waitForChange(readers: PcscReaderState[], timeoutMs: number): Promise<PcscReaderState[] | null> {
        if (!daemon.up) return Promise.reject(new Error('PC/SC service not running'));
        if (readers.some((r) => !r.name.startsWith('\\\\?PnP') && daemon.stateOfName(r.name) !== r.state)) {
          return Promise.resolve([]);
        }
        return new Promise((resolve, reject) => {
          const finish = (outcome: 'change' | 'down' | 'timeout' | 'cancel'): void => {
            clearTimeout(timer);
            daemon.waiters.delete(wake);
            this.cancelPending = undefined;
            if (outcome === 'down') reject(new Error(daemon.lostWith));
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
      close(): void {}
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

function watch(daemon: FakeDaemon): ReaderEvent[] {
  const events: ReaderEvent[] = [];
  reader = new PcscReader({ loadBinding: () => daemon.binding, pollIntervalMs: POLL_MS });
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
