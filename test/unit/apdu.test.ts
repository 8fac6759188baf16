import { describe, expect, it } from 'vitest';
import {
  ApduFormatError,
  decodeCommand,
  encodeCommand,
  encodeResponse,
  formFor,
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

  it('draws the short/extended line exactly: 255 data bytes and Le 256 are short, 256 and 257 are not', () => {
    expect(formFor({ ...header, data: new Uint8Array(255) })).toBe('short');
    expect(formFor({ ...header, data: new Uint8Array(256) })).toBe('extended');
    expect(formFor({ ...header, le: 256 })).toBe('short');
    expect(formFor({ ...header, le: 257 })).toBe('extended');
    expect(formFor({ ...header, data: new Uint8Array(255), le: 256 })).toBe('short');
    // 255 data bytes in a short command: Lc FF, then the data.
    const short = encodeCommand({ ...header, data: new Uint8Array(255).fill(1) }, 'short');
    expect(short).toHaveLength(4 + 1 + 255);
    expect(short[4]).toBe(0xff);
    expect(encodeCommand({ ...header, data: new Uint8Array(65_535) }, 'extended')).toHaveLength(4 + 3 + 65_535);
    expect(() => encodeCommand({ ...header, data: new Uint8Array(65_536) }, 'extended')).toThrow(
      '65536 data bytes do not fit an extended APDU',
    );
    expect(() => encodeCommand({ ...header, le: 1.5 })).toThrow('Le 1.5 does not fit a short APDU');
    expect(encodeCommand({ ...header, le: 1 })).toEqual(fromHex('00B08A0001'));
  });

  it('refuses a header byte that is not one byte, naming it', () => {
    for (const [name, change] of [
      ['CLA', { cla: -1 }],
      ['INS', { ins: 256 }],
      ['P1', { p1: 1.5 }],
      ['P2', { p2: Number.NaN }],
    ] as const) {
      expect(() => encodeCommand({ ...header, ...change })).toThrow(`${name} must be one byte`);
    }
    expect(encodeCommand({ cla: 0xff, ins: 0, p1: 0xff, p2: 0 })).toEqual(fromHex('FF00FF00'));
  });

  it('decodes a short case 4 into its data and Le (00 meaning 256)', () => {
    expect(decodeCommand(fromHex('802A008003010203' + '20'))).toEqual({
      cla: 0x80,
      ins: 0x2a,
      p1: 0x00,
      p2: 0x80,
      data: fromHex('010203'),
      le: 0x20,
      form: 'short',
    });
    expect(decodeCommand(fromHex('802A008003010203' + '00')).le).toBe(256);
    expect(decodeCommand(fromHex('00B08A00' + '00'))).toEqual({ cla: 0, ins: 0xb0, p1: 0x8a, p2: 0, le: 256, form: 'short' });
  });

  it('decodes the extended cases, 0000 meaning 65536', () => {
    expect(decodeCommand(fromHex('00B08A00' + '000000'))).toMatchObject({ le: 65_536, form: 'extended' });
    expect(decodeCommand(fromHex('00B08A00' + '000101'))).toMatchObject({ le: 257, form: 'extended' });
    expect(decodeCommand(fromHex('00D60000' + '000002' + 'ABCD'))).toEqual({
      cla: 0,
      ins: 0xd6,
      p1: 0,
      p2: 0,
      data: fromHex('ABCD'),
      form: 'extended',
    });
    expect(decodeCommand(fromHex('802A0080' + '000002' + '0102' + '0000'))).toMatchObject({ data: fromHex('0102'), le: 65_536 });
  });

  it.each([
    ['fewer than 4 bytes', '00B08A', 'a command needs 4 header bytes (got 3)'],
    ['nothing at all', '', 'a command needs 4 header bytes (got 0)'],
    ['an extended Lc of zero', '00D60000' + '0000' + '00AB', 'malformed extended length'],
    ['two bytes after the marker', '00D60000' + '0001', 'malformed extended length'],
    ['an extended Lc the data does not match', '00D60000' + '000003' + 'ABCD', 'extended Lc 3 does not match 2 following bytes'],
    ['a short Lc the data does not match', '00A4020C' + '03' + '0A', 'Lc 3 does not match 1 following bytes'],
  ])('refuses %s', (_name, hex, message) => {
    expect(() => decodeCommand(fromHex(hex))).toThrow(new ApduFormatError(message));
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
