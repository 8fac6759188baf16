/**
 * Card images for emulator tests: fresh RSA-2048 keys (generated once per
 * test file and shared, because generation is slow), small but real X.509
 * certificates built here with node:crypto alone, and an ECDSA P-256 issuer
 * key whose SPKI is the card's issuer trust anchor. Test data for a
 * simulated card; nothing here is a real resident's.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { MAX_TRIES } from '../../../main/domain/pin-rules';
import type { CardImage, CardKind } from '../../../main/simulation/card/card-image';
import { SimulatedCa } from '../../../main/simulation/jlis/ca';

export const TEST_ATR = '3BE000FF8131FE4514';

/** PIN values of every test card; distinct, so a test can tell which PIN a command reached. */
export const TEST_PINS = {
  authentication: '1234',
  signature: 'ABC123',
  residentRegistry: '2468',
  common: '1357',
  cardInfo: '9876',
} as const;

export const TEST_HOLDER = {
  myNumber: '123456789018',
  name: '試験　花子',
  address: '東京都千代田区霞が関二丁目1番2号',
  dateOfBirth: '19900401',
  sex: '2',
} as const;

export interface TestKeys {
  authentication: KeyObject;
  signature: KeyObject;
  /** The simulated issuing authority: ECDSA P-256. */
  issuer: KeyObject;
}

let keys: TestKeys | undefined;
const testCa = await SimulatedCa.create();
/** The certificates of the test keys, issued once when this module loads. */
const certificates = {
  authentication: await testCertificate(testKeys().authentication, 'auth-0001'),
  signature: await testCertificate(testKeys().signature, 'sign-0001'),
};

export function testKeys(): TestKeys {
  keys ??= {
    authentication: rsaKey(),
    signature: rsaKey(),
    issuer: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  };
  return keys;
}

/** A fresh card image of the given kind; every call returns a new object. */
export function testCardImage(kind: CardKind = 'my-number'): CardImage {
  const k = testKeys();
  const pin = (value: string, maxTries: number) => ({ value, maxTries, triesLeft: maxTries });
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const issuerTrustAnchor = base64(createPublicKey(k.issuer).export({ type: 'spki', format: 'der' }));
  const jpkiCommon = {
    authenticationCa: base64(testCa.authenticationCaDer),
    signatureCa: base64(testCa.signatureCaDer),
  };
  const authentication = { privateKey: pkcs8(k.authentication), certificate: base64(certificates.authentication) };
  const signature = { privateKey: pkcs8(k.signature), certificate: base64(certificates.signature) };
  const cardInfo = { pin: pin(TEST_PINS.cardInfo, MAX_TRIES.cardInfo), ...TEST_HOLDER };

  switch (kind) {
    case 'my-number':
      return {
        version: 1,
        kind,
        atr: TEST_ATR,
        jpki: {
          tokenLabel: 'JPKIAPICCTOKEN2',
          availability: '8F0000',
          authentication,
          signature,
          ...jpkiCommon,
          authenticationPin: pin(TEST_PINS.authentication, MAX_TRIES.authentication),
          signaturePassword: pin(TEST_PINS.signature, MAX_TRIES.signature),
        },
        residentRegistry: { pin: pin(TEST_PINS.residentRegistry, MAX_TRIES.registry) },
        common: { pin: pin(TEST_PINS.common, MAX_TRIES.registry) },
        cardInfo,
        cardFace: true,
        issuerTrustAnchor,
        chipSerial: TEST_CHIP_SERIAL,
      };
    case 'face-auth':
      // No PINs at all, no signature key or certificate.
      return {
        version: 1,
        kind,
        atr: TEST_ATR,
        jpki: { tokenLabel: 'JPKIAPICCTOKEN2', availability: '000000', authentication, signature: {}, ...jpkiCommon },
        residentRegistry: {},
        common: {},
        cardInfo: { ...TEST_HOLDER },
        cardFace: true,
        issuerTrustAnchor,
        chipSerial: TEST_CHIP_SERIAL,
      };
    case 'juki': {
      // The My Number card's contents under the old label, without the issuer channel's trust anchor;
      // its other sections stay in the image so a test shows the juki card keeps them unreachable.
      const { issuerTrustAnchor: _none, ...card } = testCardImage('my-number');
      return { ...card, kind, jpki: { ...card.jpki!, tokenLabel: 'JPKIAPICCTOKEN' } };
    }
    case 'not-my-number':
      return { version: 1, kind, atr: '3B8F8001804F0CA000000306030001000000006A', cardFace: false };
  }
}

/** The chip serial of every test card image. */
export const TEST_CHIP_SERIAL = '0123456789ABCDEF';
/** The reference the test proofs are bound to unless a test names another. */
export const TEST_REFERENCE = 'renewal-test-1';

/**
 * The issuer's answer to a challenge, written out from docs/card-protocol.md rather than through
 * main/simulation/issuer-proof.ts: ECDSA P-256 over SHA-256("JPKI-SIM-ISSUER-V2" ‖ challenge ‖
 * purpose ‖ chip serial ‖ SHA-256(reference)), raw r‖s.
 */
export function issuerProof(
  challenge: Uint8Array,
  issuerKey: KeyObject = testKeys().issuer,
  binding: { purpose?: 'renewal' | 'pin-reset'; chipSerial?: string; reference?: string } = {},
): Uint8Array {
  const purpose = (binding.purpose ?? 'renewal') === 'renewal' ? 0x01 : 0x02;
  const message = Buffer.concat([
    Buffer.from('JPKI-SIM-ISSUER-V2', 'latin1'),
    challenge,
    Uint8Array.of(purpose),
    Buffer.from(binding.chipSerial ?? TEST_CHIP_SERIAL, 'hex'),
    createHash('sha256')
      .update(binding.reference ?? TEST_REFERENCE, 'utf8')
      .digest(),
  ]);
  return Uint8Array.from(sign('sha256', message, { key: issuerKey, dsaEncoding: 'ieee-p1363' }));
}

/** ISSUER AUTHENTICATE's command data for a proof: r‖s then SHA-256 of the reference (hex, for the emulator tests). */
export function issuerAuthenticateHex(proof: Uint8Array, purpose: 'renewal' | 'pin-reset' = 'renewal', reference = TEST_REFERENCE): string {
  const data = Buffer.concat([proof, createHash('sha256').update(reference, 'utf8').digest()]);
  return `808200${purpose === 'renewal' ? '01' : '02'}60${data.toString('hex')}`;
}

/** The RSA public key (e = 65537) with this modulus, as the card's READ PUBLIC KEY / GENERATE KEY PAIR give it. */
export function publicKeyFromModulus(modulus: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'RSA', n: Buffer.from(modulus).toString('base64url'), e: 'AQAB' }, format: 'jwk' });
}

/**
 * A certificate for the public half of `key`, issued by the simulated JPKI
 * authentication CA (main/simulation/jlis/ca.ts), valid 2025–2030.
 */
export async function testCertificate(key: KeyObject, commonName: string): Promise<Uint8Array> {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  const issued = await testCa.issueAuthentication({ publicKey, opaqueId: commonName, notBefore: '2025-01-01', notAfter: '2030-12-31' });
  return Uint8Array.from(issued.der);
}

function rsaKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65_537 }).privateKey;
}

function pkcs8(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}
