/**
 * Every status word the JPKI card answers (docs/card-protocol.md), and the
 * typed errors the client raises for them. An error always carries the
 * status word itself, so a log line or a support call can name it.
 */

export const SW = {
  OK: 0x9000,
  /** 63Cx: wrong PIN (or the tries-left answer), x tries left. */
  TRIES_LEFT_BASE: 0x63c0,
  PIN_BLOCKED: 0x6984,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6a86,
  WRONG_DATA: 0x6a80,
  OFFSET_BEYOND_END: 0x6b00,
  WRONG_LENGTH: 0x6700,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_INCOMPATIBLE_WITH_FILE: 0x6981,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
} as const;

export type StatusKind =
  | 'wrong-pin'
  | 'pin-blocked'
  | 'security-status-not-satisfied'
  | 'file-not-found'
  | 'wrong-p1p2'
  | 'wrong-data'
  | 'offset-beyond-end'
  | 'wrong-length'
  | 'conditions-not-satisfied'
  | 'command-incompatible-with-file'
  | 'instruction-not-supported'
  | 'class-not-supported'
  | 'unexpected-status';

export function statusKind(sw: number): StatusKind {
  if ((sw & 0xfff0) === SW.TRIES_LEFT_BASE) return 'wrong-pin';
  switch (sw) {
    case SW.PIN_BLOCKED:
      return 'pin-blocked';
    case SW.SECURITY_STATUS_NOT_SATISFIED:
      return 'security-status-not-satisfied';
    case SW.FILE_NOT_FOUND:
      return 'file-not-found';
    case SW.WRONG_P1P2:
      return 'wrong-p1p2';
    case SW.WRONG_DATA:
      return 'wrong-data';
    case SW.OFFSET_BEYOND_END:
      return 'offset-beyond-end';
    case SW.WRONG_LENGTH:
      return 'wrong-length';
    case SW.CONDITIONS_NOT_SATISFIED:
      return 'conditions-not-satisfied';
    case SW.COMMAND_INCOMPATIBLE_WITH_FILE:
      return 'command-incompatible-with-file';
    case SW.INS_NOT_SUPPORTED:
      return 'instruction-not-supported';
    case SW.CLA_NOT_SUPPORTED:
      return 'class-not-supported';
    default:
      return 'unexpected-status';
  }
}

export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/** The base of every error about what the card answered (as opposed to the reader transport). */
export abstract class CardError extends Error {}

/** The card answered a status word other than the one the step needs. */
export class CardStatusError extends CardError {
  override readonly name = 'CardStatusError';
  readonly kind: StatusKind;
  /** For 63Cx: how many tries are left after this answer. */
  readonly triesLeft: number | undefined;

  constructor(
    readonly sw: number,
    /** What the client was doing, e.g. "VERIFY authentication PIN". */
    readonly operation: string,
  ) {
    super(`${operation}: card answered ${swHex(sw)} (${statusKind(sw)})`);
    this.kind = statusKind(sw);
    this.triesLeft = this.kind === 'wrong-pin' ? sw & 0x0f : undefined;
  }
}

/** The card answered bytes that cannot be right: too short, lying lengths, a certificate that does not parse. */
export class CardResponseError extends CardError {
  override readonly name = 'CardResponseError';

  constructor(
    readonly operation: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation}: ${detail}`, options);
  }
}
