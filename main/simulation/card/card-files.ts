/**
 * The file model of the virtual My Number Card: which applications a card
 * carries, and which elementary files each holds, computed from the card
 * image on every access so that a change to the image (a new PIN value, a
 * committed certificate) is what the next command sees.
 * docs/card-protocol.md is the specification; the choices it leaves open are
 * stated here.
 */
import { toHex } from '../../card/apdu';
import { AID, CARD_INFO_FILE, JPKI_FILE, REGISTRY_PIN_FILE, type Application } from '../../card/jpki-layout';
import { pinFormatProblem } from '../../domain/pin-rules';
import type { CardImage, CardKind, PinState } from './card-image';

export type AppId = Application;

/** Full AIDs (hex). SELECT by DF name matches one of them exactly, never a prefix. */
export const APPLICATION_AIDS: Readonly<Record<AppId, string>> = {
  jpki: toHex(AID.jpki),
  residentRegistry: toHex(AID.residentRegistry),
  common: toHex(AID.common),
  cardInfo: toHex(AID.cardInfo),
  cardFace: toHex(AID.cardFace),
};

/**
 * Which applications each kind of card carries (when its image has the
 * section for it).
 *
 * - `my-number` and `face-auth`: all five. The face-authentication card
 *   differs in its contents (no PIN EFs where the image has no PIN), not in
 *   its applications.
 * - `juki` (the old 住基カード, issued before the My Number existed): the JPKI
 *   AP (token label JPKIAPICCTOKEN) and the 住基AP with its registry PIN.
 *   The card-info input-assist AP, the card face AP and the common AP came
 *   with the My Number Card, so this card answers 6A82 to them even if its
 *   image carries those sections. This is our decision; the old card's full
 *   layout is not public.
 * - `not-my-number`: none; every SELECT by AID answers 6A82.
 */
const APPS_BY_KIND: Readonly<Record<CardKind, readonly AppId[]>> = {
  'my-number': ['jpki', 'residentRegistry', 'common', 'cardInfo', 'cardFace'],
  'face-auth': ['jpki', 'residentRegistry', 'common', 'cardInfo', 'cardFace'],
  juki: ['jpki', 'residentRegistry'],
  'not-my-number': [],
};

/** The client's file layout (main/card/jpki-layout.ts) under the emulator's short names. */
export const FID = {
  // JPKI AP
  SIGN_CERT: JPKI_FILE.signatureCertificate,
  SIGN_CA: JPKI_FILE.signatureCaCertificate,
  TOKEN_INFO: JPKI_FILE.tokenInfo,
  AVAILABILITY: JPKI_FILE.availability,
  AUTH_CERT: JPKI_FILE.authenticationCertificate,
  AUTH_CA: JPKI_FILE.authenticationCaCertificate,
  AUTH_KEY: JPKI_FILE.authenticationKey,
  AUTH_PIN: JPKI_FILE.authenticationPin,
  SIGN_KEY: JPKI_FILE.signatureKey,
  SIGN_PASSWORD: JPKI_FILE.signaturePassword,
  // 住基AP and common AP
  REGISTRY_PIN: REGISTRY_PIN_FILE,
  // card-info AP
  MY_NUMBER: CARD_INFO_FILE.myNumber,
  BASIC_FOUR: CARD_INFO_FILE.basic4,
  CARD_INFO_PIN: CARD_INFO_FILE.pin,
  // card face AP
  CARD_FACE_INFO: 0x0003,
} as const;

export type KeySlotName = 'authentication' | 'signature';
export type PinRule = 'four-digits' | 'signature-password';

/** The certificate EF and the key EF of each JPKI key slot. */
export const SLOT_FIDS: Readonly<Record<KeySlotName, { certificate: number; key: number; pin: number }>> = {
  authentication: { certificate: FID.AUTH_CERT, key: FID.AUTH_KEY, pin: FID.AUTH_PIN },
  signature: { certificate: FID.SIGN_CERT, key: FID.SIGN_KEY, pin: FID.SIGN_PASSWORD },
};

export interface BinaryEf {
  type: 'binary';
  fid: number;
  content: Uint8Array;
  /** FID of the PIN (in the same application) that must be verified before a READ; absent = read freely. */
  protectedBy?: number;
}

export interface PinEf {
  type: 'pin';
  fid: number;
  /** The image's own object: VERIFY, CHANGE and RESET mutate it in place. */
  state: PinState;
  rule: PinRule;
  /** CHANGE REFERENCE DATA works on it (JPKI PINs, card-info PIN; not the registry PINs). */
  changeable: boolean;
}

export interface KeyEf {
  type: 'key';
  fid: number;
  slot: KeySlotName;
}

export type Ef = BinaryEf | PinEf | KeyEf;

/** A status word, with response data for the commands that return some. */
export interface Answer {
  sw: number;
  data?: Uint8Array;
}

export function answer(sw: number, data?: Uint8Array): Answer {
  return data === undefined ? { sw } : { sw, data };
}

export function hasApplication(image: CardImage, app: AppId): boolean {
  if (!APPS_BY_KIND[image.kind].includes(app)) return false;
  switch (app) {
    case 'jpki':
      return image.jpki !== undefined;
    case 'residentRegistry':
      return image.residentRegistry !== undefined;
    case 'common':
      return image.common !== undefined;
    case 'cardInfo':
      return image.cardInfo !== undefined;
    case 'cardFace':
      return image.cardFace;
  }
}

export function applicationByAid(image: CardImage, aid: Uint8Array): AppId | undefined {
  const hex = Buffer.from(aid).toString('hex').toUpperCase();
  const found = (Object.keys(APPLICATION_AIDS) as AppId[]).find((app) => APPLICATION_AIDS[app] === hex);
  return found !== undefined && hasApplication(image, found) ? found : undefined;
}

/** The EF `fid` of application `app`, or undefined when the card has no such file. */
export function findEf(image: CardImage, app: AppId, fid: number): Ef | undefined {
  if (!hasApplication(image, app)) return undefined;
  switch (app) {
    case 'jpki':
      return jpkiEf(image, fid);
    case 'residentRegistry':
      return fid === FID.REGISTRY_PIN ? pinEf(fid, image.residentRegistry?.pin, 'four-digits', false) : undefined;
    case 'common':
      return fid === FID.REGISTRY_PIN ? pinEf(fid, image.common?.pin, 'four-digits', false) : undefined;
    case 'cardInfo':
      return cardInfoEf(image, fid);
    case 'cardFace':
      return fid === FID.CARD_FACE_INFO ? { type: 'binary', fid, content: CARD_FACE_PLACEHOLDER } : undefined;
  }
}

/**
 * The EF a short EF identifier names. Every FID the card has is 00xx with
 * xx below 20, so the SFI (the FID's low five bits) is the FID itself.
 */
export function findEfBySfi(image: CardImage, app: AppId, sfi: number): Ef | undefined {
  return findEf(image, app, sfi);
}

/** The PIN rules the client enforces (preload/vocabulary.ts, `pinFormatProblem`), on the bytes a command carries. */
export function satisfiesPinRule(rule: PinRule, value: Uint8Array): boolean {
  const text = Buffer.from(value).toString('latin1');
  return pinFormatProblem(rule === 'four-digits' ? 'authentication' : 'signature', text) === undefined;
}

export function pinMatches(state: PinState, value: Uint8Array): boolean {
  return Buffer.from(state.value, 'utf8').equals(Buffer.from(value));
}

export function base64Bytes(value: string | undefined): Uint8Array {
  return value === undefined ? new Uint8Array(0) : Uint8Array.from(Buffer.from(value, 'base64'));
}

export function bytesBase64(value: Uint8Array): string {
  return Buffer.from(value).toString('base64');
}

function jpkiEf(image: CardImage, fid: number): Ef | undefined {
  const jpki = image.jpki;
  if (!jpki) return undefined;
  switch (fid) {
    case FID.AUTH_CERT:
      return { type: 'binary', fid, content: base64Bytes(jpki.authentication.certificate) };
    case FID.AUTH_CA:
      return { type: 'binary', fid, content: base64Bytes(jpki.authenticationCa) };
    case FID.SIGN_CERT:
      return { type: 'binary', fid, content: base64Bytes(jpki.signature.certificate), protectedBy: FID.SIGN_PASSWORD };
    case FID.SIGN_CA:
      return { type: 'binary', fid, content: base64Bytes(jpki.signatureCa) };
    case FID.TOKEN_INFO:
      return { type: 'binary', fid, content: Uint8Array.from(Buffer.from(jpki.tokenLabel.padEnd(32, ' '), 'latin1')) };
    case FID.AVAILABILITY:
      return { type: 'binary', fid, content: Uint8Array.from(Buffer.from(jpki.availability, 'hex')) };
    // The key EFs exist even when the slot holds no key (a card without a
    // signature certificate); SIGN on an empty slot answers 6985.
    case FID.AUTH_KEY:
      return { type: 'key', fid, slot: 'authentication' };
    case FID.SIGN_KEY:
      return { type: 'key', fid, slot: 'signature' };
    // A PIN the image does not carry has no EF (the face-authentication card): 6A82.
    case FID.AUTH_PIN:
      return pinEf(fid, jpki.authenticationPin, 'four-digits', true);
    case FID.SIGN_PASSWORD:
      return pinEf(fid, jpki.signaturePassword, 'signature-password', true);
    default:
      return undefined;
  }
}

function cardInfoEf(image: CardImage, fid: number): Ef | undefined {
  const info = image.cardInfo;
  if (!info) return undefined;
  switch (fid) {
    case FID.CARD_INFO_PIN:
      return pinEf(fid, info.pin, 'four-digits', true);
    case FID.MY_NUMBER:
      return {
        type: 'binary',
        fid,
        content: Uint8Array.from([0xff, 0x10, 0x0c, ...Buffer.from(info.myNumber, 'latin1')]),
        protectedBy: FID.CARD_INFO_PIN,
      };
    case FID.BASIC_FOUR:
      return { type: 'binary', fid, content: basicFour(info), protectedBy: FID.CARD_INFO_PIN };
    default:
      return undefined;
  }
}

function pinEf(fid: number, state: PinState | undefined, rule: PinRule, changeable: boolean): PinEf | undefined {
  return state ? { type: 'pin', fid, state, rule, changeable } : undefined;
}

/**
 * The basic 4 as public readers parse them: an `FF 20` container holding
 * `DF 21` (a header: here the offsets of the four fields that follow, two
 * bytes each; the real header's meaning is not public), then `DF 22` name,
 * `DF 23` address, `DF 24` date of birth YYYYMMDD and `DF 25` the sex digit,
 * texts in UTF-8.
 */
function basicFour(info: NonNullable<CardImage['cardInfo']>): Uint8Array {
  const fields = [
    tlv([0xdf, 0x22], Buffer.from(info.name, 'utf8')),
    tlv([0xdf, 0x23], Buffer.from(info.address, 'utf8')),
    tlv([0xdf, 0x24], Buffer.from(info.dateOfBirth, 'latin1')),
    tlv([0xdf, 0x25], Buffer.from(info.sex, 'latin1')),
  ];
  const header = tlv([0xdf, 0x21], new Uint8Array(8)); // 11 bytes whatever the offsets are
  const bodyLength = header.length + fields.reduce((sum, field) => sum + field.length, 0);
  const containerHeader = tlv([0xff, 0x20], new Uint8Array(bodyLength)).length - bodyLength;
  let offset = containerHeader + header.length;
  const offsets = fields.map((field) => {
    const at = offset;
    offset += field.length;
    return [at >> 8, at & 0xff];
  });
  const body = Buffer.concat([tlv([0xdf, 0x21], Uint8Array.from(offsets.flat())), ...fields]);
  return tlv([0xff, 0x20], body);
}

function tlv(tag: number[], value: Uint8Array): Uint8Array {
  const n = value.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([...tag, ...length, ...value]);
}

/** The card face AP's one modelled file: its contents are not used by anyone. */
const CARD_FACE_PLACEHOLDER = Uint8Array.from(Buffer.from('JPKI-SIM card face AP (contents not modelled)', 'latin1'));
