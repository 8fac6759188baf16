import { describe, expect, it } from 'vitest';
import { ReaderError, toReaderError } from '../../main/card/reader-errors';

// What the PC/SC binding throws, classified: pcsc-lite's messages (src/pcsc_errors.h, pcsc_stringify_error)
// and SCARD_* codes (PCSC/pcsclite.h) written out here from pcsc-lite, not from the module's tables.

describe("pcsc-lite's messages", () => {
  it.each([
    ['PC/SC service not running', 'service-not-running'],
    ['PC/SC service stopped', 'service-not-running'],
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
  ])('"%s" is %s', (message, code) => {
    const error = toReaderError(new Error(message), 'transmit-failed');
    expect(error).toBeInstanceOf(ReaderError);
    expect(error).toMatchObject({ name: 'ReaderError', code, message });
  });

  it("a message it does not know takes the operation's fallback, and keeps the text", () => {
    expect(toReaderError(new Error('Transaction failed'), 'transmit-failed')).toMatchObject({
      code: 'transmit-failed',
      message: 'Transaction failed',
    });
    expect(toReaderError(new Error('card was removed'), 'connect-failed').code).toBe('connect-failed');
  });
});

describe("the binding's SCARD_* codes", () => {
  it.each([
    [0x8010001d, 'SCARD_E_NO_SERVICE', 'service-not-running'],
    [0x8010001e, 'SCARD_E_SERVICE_STOPPED', 'service-not-running'],
    [0x80100013, 'SCARD_F_COMM_ERROR', 'service-not-running'],
    [0x80100009, 'SCARD_E_UNKNOWN_READER', 'no-reader'],
    [0x80100017, 'SCARD_E_READER_UNAVAILABLE', 'no-reader'],
    [0x8010002e, 'SCARD_E_NO_READERS_AVAILABLE', 'no-reader'],
    [0x8010000c, 'SCARD_E_NO_SMARTCARD', 'no-card'],
    [0x80100069, 'SCARD_W_REMOVED_CARD', 'card-removed'],
    [0x80100068, 'SCARD_W_RESET_CARD', 'card-reset'],
    [0x8010000b, 'SCARD_E_SHARING_VIOLATION', 'sharing-violation'],
    [0x8010000f, 'SCARD_E_PROTO_MISMATCH', 'protocol-mismatch'],
    [0x80100066, 'SCARD_W_UNRESPONSIVE_CARD', 'card-unresponsive'],
    [0x80100065, 'SCARD_W_UNSUPPORTED_CARD', 'card-unresponsive'],
  ])('%s (%s) is %s, whatever the message says', (pcscCode, _name, code) => {
    expect(toReaderError(Object.assign(new Error('something else'), { code: pcscCode }), 'connect-failed').code).toBe(code);
  });

  it('a code read as a signed 32-bit integer is the same code', () => {
    const signed = 0x80100069 | 0; // -2146434967, as a C LONG reaches JavaScript
    expect(signed).toBeLessThan(0);
    expect(toReaderError(Object.assign(new Error('x'), { code: signed }), 'transmit-failed').code).toBe('card-removed');
  });

  it('an unknown code falls back to the message, then to the operation', () => {
    const unknown = 0x80100001; // SCARD_F_INTERNAL_ERROR
    expect(toReaderError(Object.assign(new Error('Card was reset'), { code: unknown }), 'transmit-failed').code).toBe('card-reset');
    expect(toReaderError(Object.assign(new Error('Internal error.'), { code: unknown }), 'transmit-failed').code).toBe('transmit-failed');
  });

  it('a code that is not a number (a Node system error\'s "ECONNRESET") is not looked up as one', () => {
    expect(toReaderError(Object.assign(new Error('Card was removed'), { code: 'ECONNRESET' }), 'transmit-failed').code).toBe(
      'card-removed',
    );
    // Not even digits that spell SCARD_W_REMOVED_CARD.
    expect(toReaderError(Object.assign(new Error('x'), { code: String(0x80100069) }), 'transmit-failed').code).toBe('transmit-failed');
  });
});

describe('anything else thrown', () => {
  it('a ReaderError passes through as it is', () => {
    const original = new ReaderError('card-removed', 'pulled');
    expect(toReaderError(original, 'transmit-failed')).toBe(original);
  });

  it('keeps what was thrown as the cause', () => {
    const thrown = new Error('Card was removed');
    expect(toReaderError(thrown, 'transmit-failed').cause).toBe(thrown);
  });

  it.each([
    ['a string', 'Sharing violation', 'sharing-violation', 'Sharing violation'],
    ['null', null, 'connect-failed', 'null'],
    ['undefined', undefined, 'connect-failed', 'undefined'],
  ])('%s: its text is the message', (_name, thrown, code, message) => {
    expect(toReaderError(thrown, 'connect-failed')).toMatchObject({ code, message, cause: thrown });
  });
});
