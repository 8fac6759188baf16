import { createRequire } from 'node:module';
import { silentLogger, type Logger } from '../base/log';
import type {
  CardConnection,
  CardReader,
  ConnectOptions,
  DisconnectOptions,
  ReaderEvent,
  ReaderEventListener,
  ReaderStackFault,
} from './reader';
import { ReaderError, toReaderError } from './reader-errors';

/**
 * The slice of the `smartcard` module used here. Declared locally, not
 * imported, so type-checking works where the optional dependency failed to
 * build, and so unit tests can hand in a fake stack.
 */
export interface SmartcardBinding {
  Context: new () => PcscContext;
  SCARD_SHARE_SHARED: number;
  SCARD_SHARE_EXCLUSIVE: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_LEAVE_CARD: number;
  SCARD_UNPOWER_CARD: number;
  SCARD_STATE_CHANGED: number;
  SCARD_STATE_PRESENT: number;
}

export interface PcscContext {
  listReaders(): PcscReaderHandle[];
  /** Resolves `[]` on timeout and `null` when cancelled. */
  waitForChange(readers: PcscReaderState[], timeoutMs: number): Promise<PcscReaderState[] | null>;
  cancel(): void;
  close(): void;
}

export interface PcscReaderState {
  name: string;
  state: number;
}

export interface PcscReaderHandle {
  readonly name: string;
  readonly state: number;
  readonly atr: Uint8Array | null;
  connect(shareMode: number, protocols: number): Promise<PcscCard>;
}

export interface PcscCard {
  readonly atr: Uint8Array | null;
  transmit(command: Buffer, options?: { maxRecvLength?: number }): Promise<Uint8Array>;
  /** SCardStatus; throws (e.g. "Card was removed") when the card is gone. */
  getStatus(): { state: number };
  disconnect(disposition: number): void;
}

export interface PcscReaderOptions {
  /** Returns the binding or throws when it cannot load. Defaults to requiring `smartcard`. */
  loadBinding?: () => SmartcardBinding;
  /**
   * Longest wait between reader-list refreshes while pcscd is up, and the
   * retry interval while it is down. Card events themselves arrive as soon as
   * pcscd reports them.
   */
  pollIntervalMs?: number;
  /** Stack transitions and binding failures; never card data. */
  log?: Logger;
}

// pcsc-lite's pseudo-reader that changes when readers come or go.
const PNP_NOTIFICATION = '\\\\?PnP?\\Notification';
// Extended-length responses (certificates are read in large chunks): 65536 data bytes + SW1 SW2.
const MAX_RESPONSE_LENGTH = 65_538;
// SCardStatus's reader state (pcsc-lite's SCARD_ABSENT, not the SCARD_STATE_* flags).
const SCARD_ABSENT = 0x0002;
// pcscd checks card presence about every 400 ms; wait a little longer than that for its verdict.
const REMOVAL_VERDICT_MS = 600;

function requireSmartcard(): SmartcardBinding {
  return createRequire(import.meta.url)('smartcard') as SmartcardBinding;
}

interface Slot {
  present: boolean;
  atr: Uint8Array;
  /** pcsc-lite's card event counter (high 16 bits of the reader state): tells a swapped card from the same one. */
  insertions: number;
}

/**
 * Every reader pcsc-lite knows, through the `smartcard` binding. One watcher
 * context sits in SCardGetStatusChange; the events it emits come from diffing
 * successive reader snapshots against what was already announced, so a
 * spurious wake-up or a re-listing never repeats an event.
 */
export class PcscReader implements CardReader {
  readonly kind = 'pcsc' as const;

  private readonly loadBinding: () => SmartcardBinding;
  private readonly pollIntervalMs: number;
  private readonly log: Logger;
  /** `undefined` until first needed, `null` when it failed to load. */
  private binding: SmartcardBinding | null | undefined;
  private listener: ReaderEventListener | undefined;
  private running = false;
  private watching: Promise<void> | undefined;
  private context: PcscContext | undefined;
  /** Why the stack is down, as last announced; `undefined` while it is up or not yet known. */
  private fault: ReaderStackFault | undefined;
  private slots = new Map<string, Slot>();
  private wakeUp: (() => void) | undefined;
  private readonly connections = new Set<PcscConnection>();

  constructor(options: PcscReaderOptions = {}) {
    this.loadBinding = options.loadBinding ?? requireSmartcard;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.log = options.log ?? silentLogger;
  }

  start(listener: ReaderEventListener): void {
    if (this.running) throw new Error('PcscReader is already started');
    this.listener = listener;
    this.running = true;
    const binding = this.getBinding();
    if (!binding) {
      // Keep "running" so stop() stays symmetrical; there is nothing to watch.
      this.emit({ type: 'stack-unavailable', reason: 'binding-missing' });
      return;
    }
    this.watching = this.watch(binding);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    try {
      // Stryker disable next-line OptionalChaining: with no context the TypeError lands in this same catch, as a broken context's would
      this.context?.cancel();
    } catch {
      // The context is already broken; the watch loop is about to notice.
    }
    await this.watching;
    this.watching = undefined;
    // Unpower rather than leave: a card left powered keeps its verified PINs.
    await Promise.all([...this.connections].map((c) => c.disconnect({ unpower: true }).catch(() => undefined)));
    this.listener = undefined;
    this.slots.clear();
    this.fault = undefined;
  }

  async connect(reader: string, options: ConnectOptions): Promise<CardConnection> {
    const binding = this.getBinding();
    if (!binding) throw new ReaderError('binding-missing', 'The smartcard binding is not available');
    // A context of its own: pcsc-lite serialises calls per context and the
    // watcher's context sits in SCardGetStatusChange, which would hold this
    // connect back until the wait times out.
    let context: PcscContext;
    try {
      context = new binding.Context();
    } catch (error) {
      throw toReaderError(error, 'service-not-running');
    }
    try {
      const handle = context.listReaders().find((candidate) => candidate.name === reader);
      if (!handle) throw new ReaderError('no-reader', `No reader named "${reader}"`);
      const shareMode = options.exclusive ? binding.SCARD_SHARE_EXCLUSIVE : binding.SCARD_SHARE_SHARED;
      const card = await connectPreferringT1(binding, handle, shareMode);
      const atr = new Uint8Array(card.atr ?? handle.atr ?? []);
      // Stryker disable next-line BlockStatement: forgetting a closed connection only frees it; stop() disconnecting it does nothing
      const connection = new PcscConnection(reader, atr, card, context, binding, () => {
        this.connections.delete(connection);
      });
      this.connections.add(connection);
      return connection;
    } catch (error) {
      closeQuietly(context);
      throw toReaderError(error, 'connect-failed');
    }
  }

  private getBinding(): SmartcardBinding | null {
    if (this.binding === undefined) {
      try {
        this.binding = this.loadBinding();
      } catch (error) {
        this.binding = null;
        this.log.warn('pcsc.binding-missing', { error: messageOf(error) });
      }
    }
    return this.binding;
  }

  private async watch(binding: SmartcardBinding): Promise<void> {
    try {
      while (this.running) {
        const context = this.context ?? this.establish(binding);
        if (!context) {
          await this.pause();
          continue;
        }
        try {
          const watched = this.refresh(binding, context);
          // The result itself is not needed: whatever changed, the next
          // refresh re-reads every reader and the diff decides what to emit.
          await context.waitForChange([...watched, { name: PNP_NOTIFICATION, state: 0 }], this.pollIntervalMs);
        } catch (error) {
          this.lose(binding, error);
          // Even if pcscd is already back, do not spin on a context that fails at once.
          await this.pause();
        }
      }
    } finally {
      this.dropContext();
    }
  }

  private establish(binding: SmartcardBinding): PcscContext | undefined {
    try {
      this.context = new binding.Context();
      return this.context;
    } catch (error) {
      this.markDown(faultOf(error));
      return undefined;
    }
  }

  /** Reads every reader's state, announces the differences, and returns the states to wait on. */
  private refresh(binding: SmartcardBinding, context: PcscContext): PcscReaderState[] {
    const handles = context.listReaders();
    const next = new Map<string, Slot>();
    const watched: PcscReaderState[] = [];
    for (const handle of handles) {
      // The binding reports 0 when its status query failed; treating that as
      // "empty" would announce a removal that never happened.
      if (handle.state === 0) throw new Error(`pcscd returned no state for ${handle.name}`);
      const state = handle.state & ~binding.SCARD_STATE_CHANGED;
      next.set(handle.name, {
        present: (state & binding.SCARD_STATE_PRESENT) !== 0,
        atr: new Uint8Array(handle.atr ?? []),
        insertions: state >>> 16,
      });
      watched.push({ name: handle.name, state });
    }
    if (this.fault !== undefined) {
      this.log.info('pcsc.stack-available', { readers: handles.length });
      this.emit({ type: 'stack-available' });
    }
    this.fault = undefined;
    this.publish(next);
    return watched;
  }

  private publish(next: Map<string, Slot>): void {
    for (const [name, slot] of this.slots) {
      if (next.has(name)) continue;
      if (slot.present) this.emit({ type: 'card-removed', reader: name });
      this.emit({ type: 'reader-detached', reader: name });
    }
    // sort()'s own order: by UTF-16 code unit, as `<` compares names (and names are never equal).
    for (const name of [...next.keys()].sort()) {
      const now = next.get(name)!;
      const before = this.slots.get(name);
      if (!before) this.emit({ type: 'reader-attached', reader: name });
      const swapped = before?.present && now.present && before.insertions !== now.insertions;
      if (before?.present && (!now.present || swapped)) this.emit({ type: 'card-removed', reader: name });
      if (now.present && (!before?.present || swapped)) this.emit({ type: 'card-inserted', reader: name, atr: now.atr });
    }
    this.slots = next;
  }

  private lose(binding: SmartcardBinding, error: unknown): void {
    this.log.warn('pcsc.context-lost', { error: messageOf(error) });
    this.dropContext();
    // While pcscd shuts down the failing call returns assorted codes (even
    // "Unknown PC/SC error"); whether a fresh context can be made tells
    // "not running" apart from a fault. A context that can be made means
    // pcscd restarted under us: the old handles are void all the same.
    if (this.establish(binding)) this.markDown(faultOf(error));
  }

  /** Reported once per reason: repeated failures while down stay silent, a better diagnosis is a change. */
  private markDown(reason: ReaderStackFault): void {
    if (this.fault === reason) return;
    this.fault = reason;
    // Listeners forget every reader on stack-unavailable (reader.ts); they are re-announced on return.
    this.slots.clear();
    this.log.warn('pcsc.stack-unavailable', { reason });
    this.emit({ type: 'stack-unavailable', reason });
  }

  private dropContext(): void {
    closeQuietly(this.context);
    this.context = undefined;
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.pollIntervalMs);
      this.wakeUp = done;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private emit(event: ReaderEvent): void {
    if (!this.running || !this.listener) return;
    try {
      this.listener(event);
    } catch (error) {
      // A throwing listener is a bug elsewhere: record it, but do not let it
      // look like a PC/SC failure to the watch loop or take the kiosk down.
      this.log.error('pcsc.listener-threw', { event: event.type, error: messageOf(error) });
    }
  }
}

class PcscConnection implements CardConnection {
  private open = true;

  constructor(
    readonly reader: string,
    readonly atr: Uint8Array,
    private readonly card: PcscCard,
    private readonly context: PcscContext,
    private readonly binding: SmartcardBinding,
    private readonly onClose: () => void,
  ) {}

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    if (!this.open) throw new ReaderError('not-connected', `Connection to "${this.reader}" is closed`);
    let response: Uint8Array;
    try {
      // A view of the caller's own bytes, not a copy: `Buffer.from(command)` would put one in
      // Node's shared pool, where a PIN would stay until overwritten. The binding copies it
      // into a native vector of its own before this call returns (beyond our reach).
      const view = Buffer.from(command.buffer, command.byteOffset, command.byteLength);
      response = await this.card.transmit(view, { maxRecvLength: MAX_RESPONSE_LENGTH });
    } catch (error) {
      const failure = toReaderError(error, 'transmit-failed');
      // "Transaction failed" is what a pull looks like before pcscd's next presence check.
      throw failure.code === 'transmit-failed' ? await this.explainLostAnswer(failure) : failure;
    }
    // Not even a status word: vpcd answers this way when the card vanished mid-command.
    if (response.length < 2)
      throw await this.explainLostAnswer(new ReaderError('card-unresponsive', `"${this.reader}" gave no status word`));
    // A copy, so callers never hold a slice of a pooled Buffer.
    return new Uint8Array(response);
  }

  /**
   * Why an answer was lost: if the card left the reader, the caller must
   * hear "card removed" (the session resumes on re-insertion), not a
   * generic failure. pcscd may need one presence poll to notice.
   */
  private async explainLostAnswer(otherwise: ReaderError): Promise<ReaderError> {
    const deadline = Date.now() + REMOVAL_VERDICT_MS;
    for (;;) {
      try {
        if ((this.card.getStatus().state & SCARD_ABSENT) !== 0) return new ReaderError('card-removed', `the card left "${this.reader}"`);
      } catch (error) {
        const status = toReaderError(error, 'transmit-failed');
        if (status.code === 'card-removed' || status.code === 'no-card')
          return new ReaderError('card-removed', `the card left "${this.reader}"`, { cause: error });
        if (status.code !== 'transmit-failed') return status;
      }
      if (Date.now() >= deadline) return otherwise;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async disconnect(options: DisconnectOptions): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.onClose();
    try {
      this.card.disconnect(options.unpower ? this.binding.SCARD_UNPOWER_CARD : this.binding.SCARD_LEAVE_CARD);
    } catch (error) {
      const failure = toReaderError(error, 'connect-failed');
      // A card that left, or a pcscd that died, is as unpowered as it gets.
      const gone = ['card-removed', 'no-card', 'no-reader', 'service-not-running', 'not-connected'];
      if (!gone.includes(failure.code)) throw failure;
    } finally {
      closeQuietly(this.context);
    }
  }
}

async function connectPreferringT1(binding: SmartcardBinding, handle: PcscReaderHandle, shareMode: number): Promise<PcscCard> {
  try {
    return await handle.connect(shareMode, binding.SCARD_PROTOCOL_T1);
  } catch (error) {
    // T=1 first because the My Number Card speaks it; a T=0-only card still gets a chance.
    const failure = toReaderError(error, 'connect-failed');
    if (failure.code !== 'protocol-mismatch') throw failure;
    return handle.connect(shareMode, binding.SCARD_PROTOCOL_T0);
  }
}

function faultOf(error: unknown): ReaderStackFault {
  // Stryker disable next-line StringLiteral: any fallback code but 'service-not-running' is a 'service-error'
  const { code } = toReaderError(error, 'connect-failed');
  return code === 'service-not-running' ? 'service-not-running' : 'service-error';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function closeQuietly(context: PcscContext | undefined): void {
  try {
    // Stryker disable next-line OptionalChaining: no context to close throws a TypeError the catch swallows, as a dead daemon's
    context?.close();
  } catch {
    // Closing a context whose daemon is gone can fail; there is nothing left to release.
  }
}
