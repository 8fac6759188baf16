/**
 * What the slips need besides their words (which are in the locale files
 * under `slips.*`): the hand-off codes main can send, and the help-line
 * numbers. Slips never carry a PIN, a name, an address or a My Number, so no
 * string has a placeholder for one.
 */
import { HAND_OFF_CODES } from '../../../preload/vocabulary';
import type { HandOffCode } from '../../../preload/contract';

export { HAND_OFF_CODES, type HandOffCode };

export function isHandOffCode(code: string | undefined): code is HandOffCode {
  return (HAND_OFF_CODES as readonly (string | undefined)[]).includes(code);
}

/** Printed as they are on the expiry notice: phone numbers are not translated. */
export const HELP_LINE_NUMBERS = {
  general: '0120-95-0178',
  foreignLanguages: '0120-0178-27',
} as const;
