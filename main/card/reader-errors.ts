/**
 * Reader failures as a closed set of codes, so callers branch on `code`
 * instead of parsing PC/SC messages, and the session layer can tell "the
 * customer pulled the card" from "the service is down".
 */
export type ReaderErrorCode =
  /** The `smartcard` binding did not load: no PC/SC access at all. */
  | 'binding-missing'
  /** pcscd is not running or the connection to it broke. */
  | 'service-not-running'
  /** The reader name is unknown (unplugged, or pcscd restarted without it). */
  | 'no-reader'
  /** The reader is empty. */
  | 'no-card'
  /** The card left the reader while connected. */
  | 'card-removed'
  /** Someone else reset the card: every verified PIN is gone. */
  | 'card-reset'
  /** Another handle holds the card (exclusive), or we asked for exclusive while others hold it. */
  | 'sharing-violation'
  /** The card answers neither T=1 nor T=0 the way its ATR promised. */
  | 'protocol-mismatch'
  /** The card is mute or not supported by the reader. */
  | 'card-unresponsive'
  /** The connection was used after `disconnect()`. */
  | 'not-connected'
  | 'connect-failed'
  | 'transmit-failed';

export class ReaderError extends Error {
  override readonly name = 'ReaderError';

  constructor(
    readonly code: ReaderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// The native binding rejects with plain Errors that carry only pcsc-lite's
// message text (smartcard 3.7, src/pcsc_errors.h), so the message is the key;
// the numeric codes cover the binding's own PCSCError classes.
const BY_MESSAGE = new Map<string, ReaderErrorCode>([
  ['PC/SC service not running', 'service-not-running'],
  ['PC/SC service stopped', 'service-not-running'],
  // SCARD_F_COMM_ERROR is the client library losing its socket to pcscd.
  ['Communication error', 'service-not-running'],
  ['Unknown reader', 'no-reader'],
  ['Reader unavailable', 'no-reader'],
  ['No readers available', 'no-reader'],
  ['No smart card present', 'no-card'],
  ['Card was removed', 'card-removed'],
  ['Card was reset', 'card-reset'],
  ['Sharing violation', 'sharing-violation'],
  ['Protocol mismatch', 'protocol-mismatch'],
  ['Card is unresponsive', 'card-unresponsive'],
  ['Card is not supported', 'card-unresponsive'],
  ['Card is not connected', 'not-connected'],
]);

const BY_PCSC_CODE = new Map<number, ReaderErrorCode>([
  [0x8010001d, 'service-not-running'], // SCARD_E_NO_SERVICE
  [0x8010001e, 'service-not-running'], // SCARD_E_SERVICE_STOPPED
  [0x80100013, 'service-not-running'], // SCARD_F_COMM_ERROR
  [0x80100009, 'no-reader'], // SCARD_E_UNKNOWN_READER
  [0x80100017, 'no-reader'], // SCARD_E_READER_UNAVAILABLE
  [0x8010002e, 'no-reader'], // SCARD_E_NO_READERS_AVAILABLE
  [0x8010000c, 'no-card'], // SCARD_E_NO_SMARTCARD
  [0x80100069, 'card-removed'], // SCARD_W_REMOVED_CARD
  [0x80100068, 'card-reset'], // SCARD_W_RESET_CARD
  [0x8010000b, 'sharing-violation'], // SCARD_E_SHARING_VIOLATION
  [0x8010000f, 'protocol-mismatch'], // SCARD_E_PROTO_MISMATCH
  [0x80100066, 'card-unresponsive'], // SCARD_W_UNRESPONSIVE_CARD
  [0x80100065, 'card-unresponsive'], // SCARD_W_UNSUPPORTED_CARD
]);

/** Classifies anything the binding threw; `fallback` names the operation when nothing more specific is known. */
export function toReaderError(error: unknown, fallback: ReaderErrorCode): ReaderError {
  if (error instanceof ReaderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const pcscCode = (error as { code?: unknown } | null)?.code;
  const code = (typeof pcscCode === 'number' ? BY_PCSC_CODE.get(pcscCode >>> 0) : undefined) ?? BY_MESSAGE.get(message) ?? fallback;
  return new ReaderError(code, message, { cause: error });
}
