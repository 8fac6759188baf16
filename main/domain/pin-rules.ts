import { pinFormatProblem, type PinFormatProblem, type PinId } from '../../preload/vocabulary';

/**
 * The PIN rules of the card (docs/card-protocol.md, "PIN rules"). The format
 * rule itself is shared with the renderer's keypad (preload/vocabulary.ts);
 * what only main needs is here.
 */

export { pinFormatProblem, type PinFormatProblem, type PinId };

/** Consecutive wrong entries before a PIN locks (docs/domain.md): the card's counters start here. */
export const MAX_TRIES: Readonly<Record<PinId, number>> = { authentication: 3, signature: 5, registry: 3, cardInfo: 3 };

/** Where a PIN stands on the card, read without spending a try. */
export type PinStatus =
  | { state: 'available'; triesLeft: number }
  | { state: 'blocked' }
  /** Verified earlier in this power cycle. */
  | { state: 'verified' }
  /** The card has no such PIN (a face-authentication card; a card without that application). */
  | { state: 'absent' };

/** The signature password is typed on an A–Z grid; lowercase from a keyboard is the same password. */
export function normalisePin(pin: PinId, value: string): string {
  return pin === 'signature' ? value.toUpperCase() : value;
}

export class PinFormatError extends Error {
  override readonly name = 'PinFormatError';
  constructor(
    readonly pin: PinId,
    readonly problem: PinFormatProblem,
  ) {
    // Never the value itself.
    super(`the ${pin} PIN does not follow the card's rule (${problem}); nothing was sent to the card`);
  }
}
