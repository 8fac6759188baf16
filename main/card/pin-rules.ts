/**
 * The PIN rules of the card (docs/card-protocol.md, "PIN rules"). A value
 * that breaks them cannot be the right one, so the kiosk refuses it locally
 * and no try is spent; the emulator applies the same rules to new values.
 */

export type PinId = 'authentication' | 'signature' | 'registry' | 'cardInfo';

/** Consecutive wrong entries before a PIN locks (docs/domain.md): the card's counters start here. */
export const MAX_TRIES: Record<PinId, number> = { authentication: 3, signature: 5, registry: 3, cardInfo: 3 };

export type PinFormatProblem = 'not-four-digits' | 'wrong-length' | 'bad-characters' | 'needs-letter-and-digit';

/** The signature password is typed on an A–Z grid; lowercase from a keyboard is the same password. */
export function normalisePin(pin: PinId, value: string): string {
  return pin === 'signature' ? value.toUpperCase() : value;
}

export function pinFormatProblem(pin: PinId, value: string): PinFormatProblem | undefined {
  if (pin !== 'signature') return /^[0-9]{4}$/.test(value) ? undefined : 'not-four-digits';
  if (value.length < 6 || value.length > 16) return 'wrong-length';
  if (!/^[A-Z0-9]+$/.test(value)) return 'bad-characters';
  if (!/[A-Z]/.test(value) || !/[0-9]/.test(value)) return 'needs-letter-and-digit';
  return undefined;
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
