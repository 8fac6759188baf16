import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, OtherName, SubjectAlternativeName, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { fromBER, Utf8String } from 'asn1js';
import { createPublicKey, X509Certificate as NodeCertificate } from 'node:crypto';
import { normaliseSerial } from '../domain/certificate-serial';
import { eraDigit } from '../domain/japan-calendar';
import { CardResponseError } from './status-words';

/**
 * The JPKI certificate profile (docs/card-protocol.md, "Certificates"), and
 * every X.509 helper the kiosk needs: reading a certificate from the card,
 * the signature certificate's subjectAltName (the holder's "basic 4" and the
 * substitute-character masks), and the public keys the card hands out as a
 * bare RSA modulus. The simulated CA issues by the same profile, so what it
 * writes and what the kiosk reads cannot drift apart.
 */

/** What the kiosk needs to know about a certificate read from the card. */
export interface CertificateSummary {
  /** Hex, as `normaliseSerial` writes it. */
  serialNumber: string;
  issuer: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  der: Uint8Array;
}

/** Parses DER with @peculiar/x509; anything that does not parse is the card's fault, and typed as such. */
export function parseCertificate(der: Uint8Array, operation: string): CertificateSummary {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch (error) {
    throw new CardResponseError(operation, 'the certificate does not parse as X.509', { cause: error });
  }
  return {
    serialNumber: normaliseSerial(certificate.serialNumber),
    issuer: certificate.issuer,
    subject: certificate.subject,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    der,
  };
}

/** A certificate, or a DER value inside one, that does not follow the JPKI profile. */
export class CertificateProfileError extends Error {
  override readonly name = 'CertificateProfileError';
}

// ---------------------------------------------------------------------------
// Keys: the card answers GENERATE KEY PAIR with the RSA modulus alone.

/** SPKI DER of an RSA public key from the 256-byte modulus the card's GENERATE KEY PAIR answers. */
export function rsaSpkiFromModulus(modulus: Uint8Array, exponent = 65537): Buffer {
  // A JWK writes the exponent in as few bytes as it takes (RFC 7518, 6.3.1.2): whole bytes of its hex.
  const hex = exponent.toString(16);
  const jwk = {
    kty: 'RSA',
    n: Buffer.from(modulus).toString('base64url'),
    e: Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex').toString('base64url'),
  };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

/** Whether a certificate (a garbled one included) is for the card's RSA key (e = 65537) with this modulus. */
export function certifiesModulus(certificateDer: Uint8Array | undefined, modulus: Uint8Array): boolean {
  try {
    // No certificate, one that does not parse, or a modulus that is no key: each throws, and none certifies it.
    return spkiOfCertificate(certificateDer!).equals(rsaSpkiFromModulus(modulus));
  } catch {
    return false;
  }
}

/** SPKI DER of the public key a certificate certifies. */
export function spkiOfCertificate(certificateDer: Uint8Array): Buffer {
  return new NodeCertificate(Buffer.from(certificateDer)).publicKey.export({ type: 'spki', format: 'der' });
}

// ---------------------------------------------------------------------------
// The signature certificate's holder.

/** The otherName OIDs of the signature certificate's subjectAltName (docs/card-protocol.md). */
export const JPKI_SAN_OID = {
  name: '1.2.392.200149.8.5.5.1',
  nameSubstitutes: '1.2.392.200149.8.5.5.2',
  sex: '1.2.392.200149.8.5.5.3',
  dateOfBirth: '1.2.392.200149.8.5.5.4',
  address: '1.2.392.200149.8.5.5.5',
  addressSubstitutes: '1.2.392.200149.8.5.5.6',
} as const;

/** What the signature certificate says about its holder: the basic 4 and the locality. */
export interface SignatureHolder {
  /** Surname, full-width space, given name, as the certificate holds it (substitute characters already applied). */
  name: string;
  /** OID .2: one character per character of `name`, `1` where a substitute was used; default all `0`. */
  nameSubstitutes?: string;
  /** From the prefecture, no postcode, as the certificate holds it. */
  address: string;
  /** OID .6, like `nameSubstitutes` for the address. */
  addressSubstitutes?: string;
  /** The subject's first L=. */
  prefecture: string;
  /** The subject's second L=. */
  municipality: string;
  /** YYYY-MM-DD. */
  dateOfBirth: string;
  /** 1 male, 2 female, 9 not applicable. */
  sex: 1 | 2 | 9;
}

/**
 * The subjectAltName of a signature certificate: the basic 4 as otherName
 * entries, each value a UTF8String inside the otherName's [0] EXPLICIT.
 * Date of birth is the era digit (1 明治 … 5 令和) and the Gregorian YYYYMMDD.
 */
export function jpkiSubjectAltName(holder: SignatureHolder): SubjectAlternativeName {
  const entry = (typeId: string, value: string) =>
    new GeneralName({ otherName: new OtherName({ typeId, value: toArrayBuffer(encodeUtf8String(value)) }) });
  // In the order real certificates list them: name, date of birth, sex, address, then the two masks.
  return new SubjectAlternativeName([
    entry(JPKI_SAN_OID.name, holder.name),
    entry(JPKI_SAN_OID.dateOfBirth, `${eraDigit(holder.dateOfBirth)}${holder.dateOfBirth.replaceAll('-', '')}`),
    entry(JPKI_SAN_OID.sex, String(holder.sex)),
    entry(JPKI_SAN_OID.address, holder.address),
    entry(JPKI_SAN_OID.nameSubstitutes, holder.nameSubstitutes ?? substituteMask(holder.name, undefined)),
    entry(JPKI_SAN_OID.addressSubstitutes, holder.addressSubstitutes ?? substituteMask(holder.address, undefined)),
  ]);
}

/** The otherName values of a certificate's subjectAltName, by OID (for tests and the counter's confirmation screen). */
export function readJpkiSubjectAltName(certificateDer: Uint8Array): Map<string, string> {
  const certificate = new X509Certificate(certificateDer);
  const extension = certificate.getExtension(id_ce_subjectAltName);
  const values = new Map<string, string>();
  if (!extension) return values;
  for (const name of AsnConvert.parse(extension.value, SubjectAlternativeName)) {
    if (name.otherName) values.set(name.otherName.typeId, decodeUtf8String(new Uint8Array(name.otherName.value)));
  }
  return values;
}

/**
 * The name and address a signature certificate states, and whether either
 * carries substitute characters (a `1` in the mask of OID .2 or .6): staff
 * at the counter have the resident confirm such a name before renewing.
 */
export function statedHolder(certificateDer: Uint8Array): { name: string; address: string; substituted: boolean } {
  const values = readJpkiSubjectAltName(certificateDer);
  const masks = [values.get(JPKI_SAN_OID.nameSubstitutes), values.get(JPKI_SAN_OID.addressSubstitutes)];
  return {
    name: values.get(JPKI_SAN_OID.name) ?? '',
    address: values.get(JPKI_SAN_OID.address) ?? '',
    substituted: masks.some((mask) => mask?.includes('1')),
  };
}

/**
 * OID .2/.6: one character per character (code point) of the certificate's
 * text, `1` where it differs from the register's original; all `0` when the
 * certificate writes the original as it is.
 */
export function substituteMask(original: string, certificateText: string | undefined): string {
  if (certificateText === undefined) return '0'.repeat([...original].length);
  const from = [...original];
  return [...certificateText].map((character, index) => (character === from[index] ? '0' : '1')).join('');
}

/** DER of a UTF8String (tag 0C). */
export function encodeUtf8String(value: string): Buffer {
  return Buffer.from(new Utf8String({ value }).toBER(false));
}

/** The text of a DER UTF8String; throws on anything else. */
export function decodeUtf8String(der: Uint8Array): string {
  const bytes = toArrayBuffer(der);
  const parsed = fromBER(bytes);
  if (parsed.offset !== bytes.byteLength || !(parsed.result instanceof Utf8String)) {
    throw new CertificateProfileError('not a DER UTF8String');
  }
  return parsed.result.valueBlock.value;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
