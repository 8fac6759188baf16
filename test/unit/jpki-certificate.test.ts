import 'reflect-metadata';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { X509Certificate } from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import {
  JPKI_SAN_OID,
  certifiesModulus,
  decodeUtf8String,
  encodeUtf8String,
  parseCertificate,
  readJpkiSubjectAltName,
  rsaSpkiFromModulus,
  spkiOfCertificate,
  statedHolder,
  substituteMask,
  type SignatureHolder,
} from '../../main/card/jpki-certificate';
import { CardResponseError } from '../../main/card/status-words';
import { SimulatedCa } from '../../main/simulation/jlis/ca';

// The JPKI certificate profile as the kiosk reads it (docs/card-protocol.md, "Certificates"): certificates
// issued by the simulated CA, read back by the helpers the kiosk uses on a real card's. Test data only.

const ca = await SimulatedCa.create();
const rsaKey = (publicExponent = 0x10001) => generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent });
const key = rsaKey();
const modulusOf = (publicKey: KeyObject) => Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url');
const spkiOf = (publicKey: KeyObject) => publicKey.export({ type: 'spki', format: 'der' });

const HOLDER: SignatureHolder = {
  name: '試験　花子',
  address: '東京都千代田区霞が関二丁目1番2号',
  prefecture: '東京都',
  municipality: '千代田区',
  dateOfBirth: '1990-04-01',
  sex: 2,
};
const signatureCertificate = await ca.issueSignature({
  publicKey: key.publicKey,
  holder: HOLDER,
  notBefore: '2021-04-01',
  notAfter: '2026-03-31',
  opaqueId: 'SIGN-TEST-0001',
});
const authenticationCertificate = await ca.issueAuthentication({
  publicKey: key.publicKey,
  opaqueId: 'AUTH-TEST-0001',
  notBefore: '2021-04-01',
  notAfter: '2026-03-31',
});
const signatureWith = async (holder: Partial<SignatureHolder>) =>
  (await ca.issueSignature({ publicKey: key.publicKey, holder: { ...HOLDER, ...holder }, notBefore: '2021-04-01', notAfter: '2026-03-31' }))
    .der;

describe('a certificate read from the card', () => {
  it('summarises serial, issuer, subject and validity, and keeps the DER it was read from', () => {
    const der = new Uint8Array(signatureCertificate.der);
    const summary = parseCertificate(der, 'READ signature certificate');
    expect(summary.serialNumber).toBe(signatureCertificate.serialNumber);
    expect(summary.issuer).toBe(new X509Certificate(ca.signatureCaDer).subject);
    expect(summary.subject).toBe('C=JP, L=東京都, L=千代田区, CN=SIGN-TEST-0001');
    expect(summary.notBefore).toEqual(signatureCertificate.notBefore);
    expect(summary.notAfter).toEqual(signatureCertificate.notAfter);
    expect(summary.der).toBe(der);
  });

  it("that does not parse is the card's error, naming the operation, with the parser's error as its cause", () => {
    const error = (() => {
      try {
        parseCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), 'READ authentication certificate');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(CardResponseError);
    expect(error).toMatchObject({ message: 'READ authentication certificate: the certificate does not parse as X.509' });
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('public keys', () => {
  it('the SPKI built from the bare modulus GENERATE KEY PAIR answers is the key itself', () => {
    expect(rsaSpkiFromModulus(modulusOf(key.publicKey))).toEqual(spkiOf(key.publicKey));
  });

  it.each([3, 17, 0x10001])('an exponent of %s, written in as few bytes as it takes', (exponent) => {
    const other = rsaKey(exponent);
    expect(rsaSpkiFromModulus(modulusOf(other.publicKey), exponent)).toEqual(spkiOf(other.publicKey));
  });

  it('a certificate certifies the modulus of its key and no other; a missing or garbled one certifies nothing', async () => {
    expect(certifiesModulus(signatureCertificate.der, modulusOf(key.publicKey))).toBe(true);
    expect(certifiesModulus(signatureCertificate.der, modulusOf(rsaKey().publicKey))).toBe(false);
    expect(certifiesModulus(undefined, modulusOf(key.publicKey))).toBe(false);
    expect(certifiesModulus(Uint8Array.of(0x30, 0x00), modulusOf(key.publicKey))).toBe(false);
    expect(certifiesModulus(signatureCertificate.der, new Uint8Array(0))).toBe(false);
    // The same modulus with another exponent is another key.
    const three = rsaKey(3);
    const threeCertificate = (
      await ca.issueAuthentication({
        publicKey: three.publicKey,
        opaqueId: 'AUTH-TEST-E3',
        notBefore: '2021-04-01',
        notAfter: '2026-03-31',
      })
    ).der;
    expect(certifiesModulus(threeCertificate, modulusOf(three.publicKey))).toBe(false);
  });

  it("a certificate's SPKI is its key's", () => {
    expect(spkiOfCertificate(authenticationCertificate.der)).toEqual(spkiOf(key.publicKey));
  });
});

describe("the signature certificate's holder", () => {
  it('is stated as otherNames in the order real certificates list them, the date of birth after its era digit', () => {
    expect([...readJpkiSubjectAltName(signatureCertificate.der)]).toEqual([
      [JPKI_SAN_OID.name, '試験　花子'],
      [JPKI_SAN_OID.dateOfBirth, '419900401'],
      [JPKI_SAN_OID.sex, '2'],
      [JPKI_SAN_OID.address, '東京都千代田区霞が関二丁目1番2号'],
      [JPKI_SAN_OID.nameSubstitutes, '00000'],
      [JPKI_SAN_OID.addressSubstitutes, '0'.repeat(17)],
    ]);
  });

  it('the OIDs are those of docs/card-protocol.md', () => {
    expect(JPKI_SAN_OID).toEqual({
      name: '1.2.392.200149.8.5.5.1',
      nameSubstitutes: '1.2.392.200149.8.5.5.2',
      sex: '1.2.392.200149.8.5.5.3',
      dateOfBirth: '1.2.392.200149.8.5.5.4',
      address: '1.2.392.200149.8.5.5.5',
      addressSubstitutes: '1.2.392.200149.8.5.5.6',
    });
  });

  it('without substitute characters: name and address, nothing to confirm', () => {
    expect(statedHolder(signatureCertificate.der)).toEqual({ name: HOLDER.name, address: HOLDER.address, substituted: false });
  });

  it.each([
    ['the name', { nameSubstitutes: '00100' }],
    ['the address', { addressSubstitutes: '00000000000000001' }],
  ])('a substitute character in %s is for staff to confirm', async (_where, masks) => {
    expect(statedHolder(await signatureWith(masks)).substituted).toBe(true);
  });

  it('an authentication certificate states no holder', () => {
    expect(readJpkiSubjectAltName(authenticationCertificate.der).size).toBe(0);
    expect(statedHolder(authenticationCertificate.der)).toEqual({ name: '', address: '', substituted: false });
  });
});

describe('substitute masks', () => {
  it('mark each character of the certificate text that differs from the original, one per code point', () => {
    expect(substituteMask('髙橋　一郎', '高橋　一郎')).toBe('10000');
    expect(substituteMask('𠮷田　太郎', '吉田　太郎')).toBe('10000');
    expect(substituteMask('吉田', '吉田')).toBe('00');
  });

  it('are all zeros when the certificate writes the original as it is', () => {
    expect(substituteMask('𠮷田', undefined)).toBe('00');
  });
});

describe('UTF8String values', () => {
  it('encode as DER tag 0C with their UTF-8 bytes, and decode back', () => {
    expect(encodeUtf8String('試験').toString('hex')).toBe('0c06e8a9a6e9a893');
    expect(decodeUtf8String(Uint8Array.from(Buffer.from('0c06e8a9a6e9a893', 'hex')))).toBe('試験');
  });

  it('refuse anything else as a profile error', () => {
    expect(() => decodeUtf8String(Uint8Array.of(0x13, 0x01, 0x41))).toThrow(expect.objectContaining({ name: 'CertificateProfileError' }));
  });

  it.each([
    ['a PrintableString', '130141'],
    ['trailing bytes', '0c014100'],
    ['a value cut short', '0c0541'],
  ])('refuse %s', (_name, hex) => {
    expect(() => decodeUtf8String(Uint8Array.from(Buffer.from(hex, 'hex')))).toThrow('not a DER UTF8String');
  });

  it('read a value from inside a larger buffer by its own offset', () => {
    const inside = Uint8Array.from(Buffer.from('ff0c0141ff', 'hex')).subarray(1, 4);
    expect(decodeUtf8String(inside)).toBe('A');
  });
});
