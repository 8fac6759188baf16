/**
 * ISO/IEC 7816-4 command and response APDUs as objects. The client builds
 * `CommandApdu`s and encodes them; the emulator decodes the same bytes. Both
 * short and extended forms of every case (1–4) are supported; which one goes
 * on the wire is the caller's choice, because many readers take only short.
 */

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (Lc is its length). */
  data?: Uint8Array;
  /** Expected response length Ne: 1–256 short, 1–65536 extended; absent = none expected. */
  le?: number;
}

export type ApduForm = 'short' | 'extended';

export const SHORT_MAX_DATA = 255;
export const SHORT_MAX_LE = 256;
export const EXTENDED_MAX_DATA = 65_535;
export const EXTENDED_MAX_LE = 65_536;

export class ApduFormatError extends Error {
  override readonly name = 'ApduFormatError';
}

/** The smallest form that can carry the command. */
export function formFor(apdu: CommandApdu): ApduForm {
  return (apdu.data?.length ?? 0) > SHORT_MAX_DATA || (apdu.le ?? 0) > SHORT_MAX_LE ? 'extended' : 'short';
}

export function encodeCommand(apdu: CommandApdu, form: ApduForm = formFor(apdu)): Uint8Array {
  for (const [name, value] of [
    ['CLA', apdu.cla],
    ['INS', apdu.ins],
    ['P1', apdu.p1],
    ['P2', apdu.p2],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new ApduFormatError(`${name} must be one byte (got ${value})`);
  }
  const data = apdu.data ?? new Uint8Array(0);
  const le = apdu.le;
  const maxData = form === 'short' ? SHORT_MAX_DATA : EXTENDED_MAX_DATA;
  const maxLe = form === 'short' ? SHORT_MAX_LE : EXTENDED_MAX_LE;
  const aForm = form === 'short' ? 'a short' : 'an extended';
  if (data.length > maxData) throw new ApduFormatError(`${data.length} data bytes do not fit ${aForm} APDU`);
  if (le !== undefined && (!Number.isInteger(le) || le < 1 || le > maxLe)) throw new ApduFormatError(`Le ${le} does not fit ${aForm} APDU`);

  // Extended: a 00 marker, then two-byte Lc and/or Le; Le follows Lc without a second marker.
  const lc = data.length === 0 ? [] : form === 'short' ? [data.length] : [0, data.length >> 8, data.length & 0xff];
  let trailer: number[] = [];
  // The largest Le is written as zero: 256 in one byte, 65536 in two (both are 0 once masked).
  if (le !== undefined && form === 'short') trailer = [le & 0xff];
  if (le !== undefined && form === 'extended') {
    const encoded = le & 0xffff;
    trailer = data.length === 0 ? [0, encoded >> 8, encoded & 0xff] : [encoded >> 8, encoded & 0xff];
  }
  // One buffer of the exact size, the data copied in once: it may be a PIN,
  // and a growing array or a spread of it would leave copies nobody can wipe.
  const out = new Uint8Array(4 + lc.length + data.length + trailer.length);
  out.set([apdu.cla, apdu.ins, apdu.p1, apdu.p2, ...lc]);
  out.set(data, 4 + lc.length);
  out.set(trailer, 4 + lc.length + data.length);
  return out;
}

/** Parses command bytes by ISO 7816-3 §12.1.3 (the emulator's side). */
export function decodeCommand(bytes: Uint8Array): CommandApdu & { form: ApduForm } {
  if (bytes.length < 4) throw new ApduFormatError(`a command needs 4 header bytes (got ${bytes.length})`);
  const [cla, ins, p1, p2] = bytes as unknown as [number, number, number, number];
  const header = { cla, ins, p1, p2 };
  const body = bytes.subarray(4);
  if (body.length === 0) return { ...header, form: 'short' }; // case 1
  if (body.length === 1) return { ...header, le: body[0] || 256, form: 'short' }; // case 2S

  if (body[0] !== 0) {
    const lc = body[0]!;
    if (body.length === 1 + lc) return { ...header, data: body.slice(1), form: 'short' }; // case 3S
    if (body.length === 2 + lc) return { ...header, data: body.slice(1, 1 + lc), le: body[1 + lc] || 256, form: 'short' }; // case 4S
    throw new ApduFormatError(`Lc ${lc} does not match ${body.length - 1} following bytes`);
  }

  // Extended forms start with 00.
  if (body.length === 3) return { ...header, le: (body[1]! << 8) | body[2]! || 65_536, form: 'extended' }; // case 2E
  const lc = (body[1]! << 8) | body[2]!;
  if (body.length < 3 || lc === 0) throw new ApduFormatError('malformed extended length');
  if (body.length === 3 + lc) return { ...header, data: body.slice(3), form: 'extended' }; // case 3E
  if (body.length === 5 + lc) {
    const le = (body[3 + lc]! << 8) | body[4 + lc]! || 65_536;
    return { ...header, data: body.slice(3, 3 + lc), le, form: 'extended' }; // case 4E
  }
  throw new ApduFormatError(`extended Lc ${lc} does not match ${body.length - 3} following bytes`);
}

export interface ResponseApdu {
  data: Uint8Array;
  /** SW1SW2 as one number, e.g. 0x9000. */
  sw: number;
}

export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
}

export function parseResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2)
    throw new MalformedResponseError(`a response needs a status word (got ${bytes.length === 1 ? 'one byte' : 'no bytes'})`);
  return {
    data: bytes.slice(0, bytes.length - 2),
    sw: (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]!,
  };
}

export function encodeResponse(sw: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new ApduFormatError(`not hex: "${hex}"`);
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}
