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

/**
 * A PIN as bytes in a new buffer the caller owns, and must wipe
 * (`fill(0)`) the moment its one use is over (docs/card-protocol.md,
 * "Handling PIN bytes"). Never from Node's shared Buffer pool, which
 * `Buffer.from` and `Buffer.allocUnsafe` use for small values and which
 * nobody wipes. A typed string is encoded as UTF-8 (the card's PINs are
 * ASCII; anything else breaks the format rule); the string itself cannot
 * be wiped, so this is called the moment one reaches main.
 */
export function ownedPinBytes(typed: string | Uint8Array): Uint8Array {
  if (typeof typed !== 'string') return new Uint8Array(typed);
  // At most 3 bytes per UTF-16 unit; the rest of the buffer stays zero.
  const bytes = new Uint8Array(typed.length * 3);
  const { written } = new TextEncoder().encodeInto(typed, bytes);
  return bytes.subarray(0, written);
}

/** The signature password is typed on an A–Z grid; lowercase from a keyboard is the same password. Upper-cases in place. */
export function normalisePin(pin: PinId, value: Uint8Array): Uint8Array {
  if (pin !== 'signature') return value;
  value.forEach((byte, i) => {
    if (byte >= 0x61 && byte <= 0x7a) value[i] = byte - 0x20;
  });
  return value;
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
