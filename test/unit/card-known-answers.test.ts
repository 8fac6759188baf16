import { describe, expect, it } from 'vitest';
import { ApduFormatError, MalformedResponseError, fromHex, parseResponse, toHex } from '../../main/card/apdu';
import {
  AID,
  CARD_INFO_FILE,
  JPKI_FILE,
  REGISTRY_PIN_FILE,
  SIGNATURE_CERTIFICATE_PRESENT,
  TOKEN_LABEL,
  shortFileId,
} from '../../main/card/jpki-layout';
import { CardResponseError, CardStatusError, SW, swHex } from '../../main/card/status-words';
import { MAX_TRIES } from '../../main/domain/pin-rules';

// Known answers: the card's numbers as docs/card-protocol.md gives them, written out here rather than
// read from the tables the client and the virtual card share. A wrong value in a shared table passes
// every test that goes through both sides, and StrykerJS never changes a number; these do not.

describe("the card's numbers, as its documentation gives them", () => {
  it('status words', () => {
    expect(SW).toEqual({
      OK: 0x9000,
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
    });
  });

  it('application identifiers', () => {
    expect(Object.fromEntries(Object.entries(AID).map(([name, aid]) => [name, toHex(aid)]))).toEqual({
      jpki: 'D392F000260100000001',
      cardInfo: 'D3921000310001010408',
      cardFace: 'D3921000310001010402',
      residentRegistry: 'D3921000310001010401',
      common: 'D3921000310001010100',
    });
  });

  it("the JPKI application's files, the PIN files of the others, the token labels and the availability flag", () => {
    expect(JPKI_FILE).toEqual({
      authenticationCertificate: 0x000a,
      authenticationCaCertificate: 0x000b,
      signatureCertificate: 0x0001,
      signatureCaCertificate: 0x0002,
      authenticationKey: 0x0017,
      authenticationPin: 0x0018,
      signatureKey: 0x001a,
      signaturePassword: 0x001b,
      tokenInfo: 0x0006,
      availability: 0x0008,
    });
    expect(CARD_INFO_FILE).toEqual({ pin: 0x0011, myNumber: 0x0001, basic4: 0x0002 });
    expect(REGISTRY_PIN_FILE).toBe(0x001c);
    expect(TOKEN_LABEL).toEqual({
      myNumberCard: 'JPKIAPICCTOKEN2',
      jukiCard: 'JPKIAPICCTOKEN',
      androidPhone: 'JPKIAPGPSETOKEN',
      iPhone: 'JPKIAPIOSTOKEN',
    });
    expect(SIGNATURE_CERTIFICATE_PRESENT).toBe(0x8f);
  });

  it('a short EF id is the low five bits of the file id (READ BINARY P1 and VERIFY P2 carry it)', () => {
    expect([0x000a, 0x0018, 0x001b, 0x001c, 0x0011].map(shortFileId)).toEqual([0x0a, 0x18, 0x1b, 0x1c, 0x11]);
    expect(shortFileId(0x0123)).toBe(0x03);
  });

  it('tries before a PIN locks (docs/domain.md): 3 for the 4-digit PINs, 5 for the signature password', () => {
    expect(MAX_TRIES).toEqual({ authentication: 3, signature: 5, registry: 3, cardInfo: 3 });
  });
});

describe("the card layer's errors", () => {
  it('carry their names, which callers and logs tell them apart by', () => {
    expect(new ApduFormatError('x').name).toBe('ApduFormatError');
    expect(new MalformedResponseError('x').name).toBe('MalformedResponseError');
    expect(new CardResponseError('READ', 'x')).toMatchObject({ name: 'CardResponseError', operation: 'READ', message: 'READ: x' });
    expect(new CardStatusError(0x6982, 'SIGN')).toMatchObject({
      name: 'CardStatusError',
      message: 'SIGN: card answered 6982 (security-status-not-satisfied)',
    });
  });

  it('write a status word as four upper-case hex digits', () => {
    expect(swHex(0x6a82)).toBe('6A82');
    expect(swHex(0x0900)).toBe('0900');
    expect(swHex(0x0001)).toBe('0001');
  });

  it('say how short an answer without a status word was', () => {
    expect(() => parseResponse(Uint8Array.of(0x90))).toThrow(new MalformedResponseError('a response needs a status word (got one byte)'));
    expect(() => parseResponse(new Uint8Array(0))).toThrow(new MalformedResponseError('a response needs a status word (got no bytes)'));
  });

  it('name the text that is not hex', () => {
    expect(() => fromHex('0G')).toThrow(new ApduFormatError('not hex: "0G"'));
    expect(() => fromHex('012')).toThrow(new ApduFormatError('not hex: "012"'));
    // White space between bytes, of any kind and length, is no part of them.
    expect(fromHex(' 00 a4\t\n04  0c ')).toEqual(Uint8Array.of(0x00, 0xa4, 0x04, 0x0c));
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });
});
