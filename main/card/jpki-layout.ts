import { fromHex } from './apdu';

/** The card's applications, by full AID (docs/card-protocol.md, "Applications"). */
export const AID = {
  jpki: fromHex('D392F000260100000001'),
  cardInfo: fromHex('D3921000310001010408'),
  cardFace: fromHex('D3921000310001010402'),
  residentRegistry: fromHex('D3921000310001010401'),
  common: fromHex('D3921000310001010100'),
} as const;
export type Application = keyof typeof AID;

/** JPKI AP files. The short EF identifier of each is its FID's low five bits. */
export const JPKI_FILE = {
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
} as const;

export const CARD_INFO_FILE = { pin: 0x0011, myNumber: 0x0001, basic4: 0x0002 } as const;
export const REGISTRY_PIN_FILE = 0x001c;

export function shortFileId(fid: number): number {
  return fid & 0x1f;
}

/** Token labels of the JPKI AP's token-info file (32 bytes, space-padded). */
export const TOKEN_LABEL = {
  myNumberCard: 'JPKIAPICCTOKEN2',
  jukiCard: 'JPKIAPICCTOKEN',
  androidPhone: 'JPKIAPGPSETOKEN',
  iPhone: 'JPKIAPIOSTOKEN',
} as const;

/** First byte of the availability file 0008 when a signature certificate is on the card. */
export const SIGNATURE_CERTIFICATE_PRESENT = 0x8f;
