/**
 * The reader layer's one interface. A `CardReader` is a whole reader stack —
 * every slot PC/SC reports, or the in-process virtual readers — because a
 * kiosk may have more than one reader attached and the rest of main needs a
 * single stream of what changed.
 *
 * Nothing here knows about sessions, PINs or JPKI: it moves bytes.
 */

export type ReaderEvent =
  | { type: 'reader-attached'; reader: string }
  | { type: 'reader-detached'; reader: string }
  /** The ATR may be empty for a card that does not answer the reset. */
  | { type: 'card-inserted'; reader: string; atr: Uint8Array }
  | { type: 'card-removed'; reader: string }
  /**
   * The stack itself is gone (pcscd stopped, binding missing): every card and
   * every open connection with it, without a `card-removed` or
   * `reader-detached` first. Readers are announced again after
   * `stack-available`. Sent again only if the reason changes.
   */
  | { type: 'stack-unavailable'; reason: ReaderStackFault }
  | { type: 'stack-available' };

export type ReaderStackFault = 'binding-missing' | 'service-not-running' | 'service-error';

export type ReaderEventListener = (event: ReaderEvent) => void;

export interface ConnectOptions {
  /** Exclusive share mode: required while any PIN is verified (card.md, Transport). */
  exclusive: boolean;
}

export interface DisconnectOptions {
  /** Power the card down, which clears every verified PIN on it. End of every customer session. */
  unpower: boolean;
}

export interface CardConnection {
  readonly reader: string;
  readonly atr: Uint8Array;
  transmit(command: Uint8Array): Promise<Uint8Array>;
  disconnect(options: DisconnectOptions): Promise<void>;
}

export interface CardReader {
  /** Where the bytes go: a real PC/SC stack or the in-process emulator. */
  readonly kind: 'pcsc' | 'virtual';
  /**
   * Start watching. The listener first receives the current state (one
   * `reader-attached` per reader, one `card-inserted` per present card, or
   * `stack-unavailable`), then each change exactly once.
   */
  start(listener: ReaderEventListener): void;
  stop(): Promise<void>;
  connect(reader: string, options: ConnectOptions): Promise<CardConnection>;
}
