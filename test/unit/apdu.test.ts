import { describe, expect, it } from 'vitest';
import {
  ApduFormatError,
  decodeCommand,
  encodeCommand,
  encodeResponse,
  fromHex,
  parseResponse,
  toHex,
  MalformedResponseError,
} from '../../main/card/apdu';

const header = { cla: 0x00, ins: 0xb0, p1: 0x8a, p2: 0x00 };

describe('command APDUs', () => {
  it.each([
    ['case 1', { ...header }, 'short', '00B08A00'],
    ['case 2 short, Le 256 as 00', { ...header, le: 256 }, 'short', '00B08A0000'],
    ['case 2 short', { ...header, le: 32 }, 'short', '00B08A0020'],
    ['case 3 short', { cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('000A') }, 'short', '00A4020C02000A'],
    ['case 4 short', { cla: 0x80, ins: 0x2a, p1: 0, p2: 0x80, data: fromHex('0102'), le: 256 }, 'short', '802A0080020102' + '00'],
    ['case 2 extended, Le 65536 as 0000', { ...header, le: 65536 }, 'extended', '00B08A00000000'],
    ['case 2 extended', { ...header, le: 1000 }, 'extended', '00B08A000003E8'],
    [
      'case 3 extended',
      { cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(300).fill(0xab) },
      'extended',
      '00D60000' + '00012C' + 'AB'.repeat(300),
    ],
    [
      'case 4 extended',
      { cla: 0x80, ins: 0x2a, p1: 0, p2: 0x80, data: fromHex('0102'), le: 512 },
      'extended',
      '802A0080' + '000002' + '0102' + '0200',
    ],
  ] as const)('%s encodes and decodes back', (_name, apdu, form, hex) => {
    const bytes = encodeCommand(apdu, form);
    expect(toHex(bytes)).toBe(hex);
    const decoded = decodeCommand(bytes);
    expect(decoded.form).toBe(form);
    expect({ cla: decoded.cla, ins: decoded.ins, p1: decoded.p1, p2: decoded.p2 }).toEqual({
      cla: apdu.cla,
      ins: apdu.ins,
      p1: apdu.p1,
      p2: apdu.p2,
    });
    expect(decoded.data ? toHex(decoded.data) : undefined).toBe('data' in apdu && apdu.data ? toHex(apdu.data) : undefined);
    expect(decoded.le).toBe('le' in apdu ? apdu.le : undefined);
  });

  it('picks the short form when the command fits, extended otherwise', () => {
    expect(encodeCommand({ ...header, le: 256 })).toHaveLength(5);
    expect(encodeCommand({ ...header, le: 257 })).toHaveLength(7);
    expect(encodeCommand({ ...header, data: new Uint8Array(256) })).toHaveLength(4 + 3 + 256);
  });

  it('refuses what a form cannot carry', () => {
    expect(() => encodeCommand({ ...header, le: 257 }, 'short')).toThrow(ApduFormatError);
    expect(() => encodeCommand({ ...header, data: new Uint8Array(256) }, 'short')).toThrow(ApduFormatError);
    expect(() => encodeCommand({ ...header, le: 0 })).toThrow(ApduFormatError);
    expect(() => encodeCommand({ ...header, le: 65537 }, 'extended')).toThrow(ApduFormatError);
    expect(() => encodeCommand({ ...header, cla: 0x100 })).toThrow(ApduFormatError);
  });

  it.each(['00B0', '00A4020C05000A', '00A4020C02000A0000', '00D6000000012CAB', '00B08A0000'.slice(0, 6) + '0000'])(
    'decodes %s as malformed or as exactly one case',
    (hex) => {
      try {
        const decoded = decodeCommand(fromHex(hex));
        // Whatever it decodes to must encode back to the same bytes.
        expect(toHex(encodeCommand(decoded, decoded.form))).toBe(hex);
      } catch (error) {
        expect(error).toBeInstanceOf(ApduFormatError);
      }
    },
  );

  it('refuses a Lc that does not match the data', () => {
    expect(() => decodeCommand(fromHex('00A4020C05000A'))).toThrow(ApduFormatError);
  });
});

describe('response APDUs', () => {
  it('splits data and status word', () => {
    const response = parseResponse(fromHex('3082000A9000'));
    expect(toHex(response.data)).toBe('3082000A');
    expect(response.sw).toBe(0x9000);
  });

  it('refuses an answer without a status word', () => {
    expect(() => parseResponse(fromHex('90'))).toThrow(MalformedResponseError);
    expect(() => parseResponse(new Uint8Array(0))).toThrow(MalformedResponseError);
  });

  it('encodes what it parses', () => {
    expect(toHex(encodeResponse(0x63c2))).toBe('63C2');
    expect(toHex(encodeResponse(0x9000, fromHex('0102')))).toBe('01029000');
  });

  it('refuses text that is not hex', () => {
    expect(() => fromHex('0G')).toThrow(ApduFormatError);
    expect(() => fromHex('123')).toThrow(ApduFormatError);
  });
});
