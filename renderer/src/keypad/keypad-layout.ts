import { PIN_RULES, type PinId } from '../../../preload/vocabulary';

/**
 * The keypad's layout, kept pure so it can be tested without rendering
 * (docs/experience.md, "The secure keypad"). The PIN rules are the card's,
 * shared with main through preload/vocabulary.ts.
 */

/** The PINs a resident types; the card-info PIN is never asked. */
export type KeypadPin = Exclude<PinId, 'cardInfo'>;

export type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';

/** The fixed layout, as on phones and ATMs: 1-2-3 on top, 0 alone at the bottom between clear and delete. */
export const DIGIT_ROWS: readonly (readonly Digit[])[] = [['1', '2', '3'], ['4', '5', '6'], ['7', '8', '9'], ['0']];

const DIGITS: readonly Digit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const LETTERS: readonly string[] = Array.from({ length: 26 }, (_, index) => String.fromCharCode(0x41 + index));

/** A random whole number in [0, bound). */
export type RandomIndex = (bound: number) => number;

/**
 * The digits dealt into the same rows as DIGIT_ROWS, in a random order
 * (Fisher–Yates), so a shuffled keypad keeps the shape of the fixed one.
 */
export function shuffledDigits(random: RandomIndex = cryptoRandomIndex): Digit[][] {
  const deck = [...DIGITS];
  for (let last = deck.length - 1; last > 0; last--) {
    const pick = random(last + 1);
    [deck[last], deck[pick]] = [deck[pick] as Digit, deck[last] as Digit];
  }
  return DIGIT_ROWS.map((row) => deck.splice(0, row.length));
}

/** Unbiased: draws that would favour the low numbers are thrown away and drawn again. */
export function cryptoRandomIndex(bound: number): number {
  const range = 0x1_0000_0000;
  const limit = range - (range % bound);
  const draw = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(draw);
    const value = draw[0] as number;
    if (value < limit) return value % bound;
  }
}

/** How many dots the masked entry shows: the PIN's length, or for the password its minimum, growing as it is typed. */
export function maskSlotCount(pin: KeypadPin, typedCount: number): number {
  const rule = PIN_RULES[pin];
  return Math.min(rule.maxLength, Math.max(rule.minLength, typedCount));
}
