import type { CardConnection, CardReader, ConnectOptions, DisconnectOptions, ReaderEventListener } from './reader';
import { ReaderError } from './reader-errors';

/** What the virtual reader needs from a card: the emulator implements this. */
export interface VirtualCard {
  readonly atr: Uint8Array;
  transmit(command: Uint8Array): Uint8Array;
  /** Power loss clears the card's security state (verified PINs). */
  powerDown(): void;
}

export const VIRTUAL_READER_NAME = 'myna-kiosk virtual reader';

/**
 * An in-process reader for the demo profile, the web host and unit tests.
 * It has the same event semantics as the PC/SC reader, and its "hardware"
 * (reader plugged in, card inserted) is driven by the caller — the demo's
 * fault injection pulls the card or unplugs the reader through it.
 */
export class VirtualReader implements CardReader {
  readonly kind = 'virtual' as const;
  private listener: ReaderEventListener | undefined;
  private attached = true;
  private card: VirtualCard | undefined;
  private connection: VirtualConnection | undefined;

  constructor(readonly name: string = VIRTUAL_READER_NAME) {}

  start(listener: ReaderEventListener): void {
    this.listener = listener;
    if (!this.attached) return;
    listener({ type: 'reader-attached', reader: this.name });
    if (this.card) listener({ type: 'card-inserted', reader: this.name, atr: this.card.atr });
  }

  async stop(): Promise<void> {
    this.listener = undefined;
  }

  get hasCard(): boolean {
    return this.card !== undefined;
  }

  insert(card: VirtualCard): void {
    this.remove(); // the card in it first, if any
    this.card = card;
    if (this.attached) this.listener?.({ type: 'card-inserted', reader: this.name, atr: card.atr });
  }

  remove(): void {
    if (!this.card) return;
    this.card.powerDown();
    this.card = undefined;
    this.connection?.invalidate();
    this.connection = undefined;
    if (this.attached) this.listener?.({ type: 'card-removed', reader: this.name });
  }

  unplug(): void {
    if (!this.attached) return;
    if (this.card) {
      this.card.powerDown();
      this.connection?.invalidate();
      this.connection = undefined;
      this.listener?.({ type: 'card-removed', reader: this.name });
    }
    this.attached = false;
    this.listener?.({ type: 'reader-detached', reader: this.name });
  }

  plugIn(): void {
    if (this.attached) return;
    this.attached = true;
    this.listener?.({ type: 'reader-attached', reader: this.name });
    if (this.card) this.listener?.({ type: 'card-inserted', reader: this.name, atr: this.card.atr });
  }

  async connect(reader: string, _options: ConnectOptions): Promise<CardConnection> {
    if (reader !== this.name || !this.attached) throw new ReaderError('no-reader', `no reader named "${reader}"`);
    if (!this.card) throw new ReaderError('no-card', `no card in "${reader}"`);
    this.connection?.invalidate();
    this.connection = new VirtualConnection(this.name, this.card);
    return this.connection;
  }
}

class VirtualConnection implements CardConnection {
  private valid = true;

  constructor(
    readonly reader: string,
    private readonly card: VirtualCard,
  ) {}

  get atr(): Uint8Array {
    return this.card.atr;
  }

  invalidate(): void {
    this.valid = false;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    if (!this.valid) throw new ReaderError('card-removed', 'the card was removed');
    return this.card.transmit(command);
  }

  async disconnect(options: DisconnectOptions): Promise<void> {
    if (this.valid && options.unpower) this.card.powerDown();
    this.valid = false;
  }
}
