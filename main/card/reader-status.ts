import type { ReaderStatus } from '../../preload/contract';
import type { CardReader, ReaderEvent, ReaderStackFault } from './reader';

export type { ReaderStatus };

export type ReaderStatusListener = (status: ReaderStatus) => void;

/**
 * The closed union `ReaderStatus` (in the contract, because the view shows
 * it) is derived here from the reader stream, never stored separately.
 *
 * Folds reader events into the current `ReaderStatus` and reports it only when
 * it really changes, so a flapping stack does not re-render the screen.
 */
export class ReaderStatusService {
  /** Each reader the stack announced, and whether a card is in it. */
  private readonly cardIn = new Map<string, boolean>();
  private fault: ReaderStackFault | undefined;
  private current: ReaderStatus = { state: 'no_reader' };
  private readonly listeners = new Set<ReaderStatusListener>();

  constructor(private readonly reader: CardReader) {}

  start(): void {
    this.reader.start((event) => this.apply(event));
  }

  async stop(): Promise<void> {
    await this.reader.stop();
    this.listeners.clear();
  }

  get status(): ReaderStatus {
    return this.current;
  }

  subscribe(listener: ReaderStatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private apply(event: ReaderEvent): void {
    switch (event.type) {
      case 'reader-attached':
        if (!this.cardIn.has(event.reader)) this.cardIn.set(event.reader, false);
        break;
      case 'reader-detached':
        this.cardIn.delete(event.reader);
        break;
      case 'card-inserted':
        this.cardIn.set(event.reader, true);
        break;
      case 'card-removed':
        if (this.cardIn.has(event.reader)) this.cardIn.set(event.reader, false);
        break;
      case 'stack-unavailable':
        // The stack forgot every reader with it; they are re-announced when it returns.
        this.fault = event.reason;
        this.cardIn.clear();
        break;
      case 'stack-available':
        this.fault = undefined;
        break;
    }
    const next = this.derive();
    if (!sameStatus(next, this.current)) {
      this.current = next;
      for (const listener of this.listeners) listener(next);
    }
  }

  private derive(): ReaderStatus {
    if (this.fault) return { state: 'unavailable', reason: this.fault };
    const readers = [...this.cardIn.keys()].sort();
    if (readers.length === 0) return { state: 'no_reader' };
    // Counting readers rather than tracking "the" reader: unplugging one of
    // two readers is not "no reader", and the card may sit in either.
    const withCard = readers.find((name) => this.cardIn.get(name));
    if (withCard !== undefined) return { state: 'card_present', reader: withCard, readers };
    return { state: 'waiting_for_card', readers };
  }
}

function sameStatus(a: ReaderStatus, b: ReaderStatus): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
