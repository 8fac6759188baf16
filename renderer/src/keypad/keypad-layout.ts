/**
 * The keypad's layout and its PIN rules, kept pure so they can be tested
 * without rendering (docs/experience.md, "The secure keypad").
 */

export type KeypadPin = 'authentication' | 'signature' | 'registry';

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

export interface PinRule {
  minLength: number;
  maxLength: number;
  takesLetters: boolean;
}

export function pinRule(pin: KeypadPin): PinRule {
  return pin === 'signature' ? { minLength: 6, maxLength: 16, takesLetters: true } : { minLength: 4, maxLength: 4, takesLetters: false };
}

export type PinValueProblem = 'length' | 'characters' | 'needs-letter-and-digit';

/** Why the card would refuse this value without even trying it, or undefined when the value is well formed. */
export function pinValueProblem(pin: KeypadPin, value: string): PinValueProblem | undefined {
  const rule = pinRule(pin);
  const allowed = rule.takesLetters ? /^[A-Z0-9]*$/ : /^[0-9]*$/;
  if (!allowed.test(value)) return 'characters';
  if (value.length < rule.minLength || value.length > rule.maxLength) return 'length';
  if (rule.takesLetters && !(/[A-Z]/.test(value) && /[0-9]/.test(value))) return 'needs-letter-and-digit';
  return undefined;
}

/** How many dots the masked entry shows: the PIN's length, or for the password its minimum, growing as it is typed. */
export function maskSlotCount(pin: KeypadPin, typedCount: number): number {
  const rule = pinRule(pin);
  return Math.min(rule.maxLength, Math.max(rule.minLength, typedCount));
}
