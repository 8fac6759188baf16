import 'reflect-metadata';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
} from '@peculiar/x509';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCa, SimulatedCaError } from '../../main/simulation/jlis/ca';
import { verifyIssuerProof } from '../../main/simulation/issuer-proof';
import {
  CertificateProfileError,
  JPKI_SAN_OID,
  decodeUtf8String,
  encodeUtf8String,
  readJpkiSubjectAltName,
  rsaSpkiFromModulus,
  type SignatureHolder,
} from '../../main/card/jpki-certificate';
import { eraDigit } from '../../main/domain/japan-calendar';

const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-ca-test-'));
let ca: SimulatedCa;
let createMs = 0;

const cardKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const cardSpki = cardKey.publicKey.export({ type: 'spki', format: 'der' });

const holder: SignatureHolder = {
  name: '見本　太郎',
  address: '東京都千代田区見本町一丁目2番3号',
  prefecture: '東京都',
  municipality: '千代田区',
  dateOfBirth: '1985-07-15',
  sex: 1,
};

beforeAll(async () => {
  const started = performance.now();
  ca = await SimulatedCa.create();
  createMs = performance.now() - started;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function pem(der: Uint8Array, label = 'CERTIFICATE'): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der)
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

let fileCounter = 0;
function writePem(der: Uint8Array): string {
  const path = join(dir, `cert-${fileCounter++}.pem`);
  writeFileSync(path, pem(der));
  return path;
}

/** `openssl verify` (strict X.509 checks) at a moment inside the certificate's validity. */
function opensslVerify(caDer: Uint8Array, certificateDer: Uint8Array): { ok: boolean; output: string } {
  const notBefore = new X509Certificate(certificateDer).notBefore;
  const attime = Math.floor(notBefore.getTime() / 1000) + 86_400;
  const result = spawnSync(
    'openssl',
    ['verify', '-x509_strict', '-attime', String(attime), '-CAfile', writePem(caDer), writePem(certificateDer)],
    { encoding: 'utf8' },
  );
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

describe('the simulated CA certificates', () => {
  it('is created quickly enough for a test run', () => {
    expect(createMs).toBeLessThan(10_000);
    console.info(`SimulatedCa.create(): ${createMs.toFixed(0)} ms`);
  });

  it.each(['authentication', 'signature'] as const)('the %s CA follows the profile', async (kind) => {
    const certificate = new X509Certificate(ca.caCertificateDer(kind));
    const ou = kind === 'authentication' ? 'JPKI for user authentication' : 'JPKI for digital signature';
    expect(certificate.subject).toBe(`C=JP, O=JPKI-SIM, OU=${ou}, OU=Japan Agency for Local Authority Information Systems`);
    expect(certificate.issuer).toBe(certificate.subject);
    expect(await certificate.isSelfSigned()).toBe(true);
    expect(certificate.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } });
    expect(certificate.publicKey.algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 });
    const basic = certificate.getExtension(BasicConstraintsExtension);
    expect(basic?.ca).toBe(true);
    expect(basic?.critical).toBe(true);
    const usage = certificate.getExtension(KeyUsagesExtension);
    expect(usage?.usages).toBe(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign);
    expect(certificate.getExtension(SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
    const self = opensslVerify(ca.caCertificateDer(kind), ca.caCertificateDer(kind));
    expect(self.ok, self.output).toBe(true);
  });

  it('keeps the two CAs and the issuer key distinct', () => {
    expect(ca.authenticationCaDer.equals(ca.signatureCaDer)).toBe(false);
    const anchor = createPublicKey({ key: ca.issuerTrustAnchorDer, format: 'der', type: 'spki' });
    expect(anchor.asymmetricKeyType).toBe('ec');
    expect(anchor.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(ca.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the user-authentication certificate', () => {
  it('carries only C=JP and the opaque id, chains to the authentication CA, and has Japan-time validity', async () => {
    const issued = await ca.issueAuthentication({
      publicKey: cardSpki,
      opaqueId: 'OPAQUE0001',
      notBefore: '2025-04-10',
      notAfter: '2030-07-15',
    });
    const certificate = new X509Certificate(issued.der);
    expect(certificate.subject).toBe('C=JP, CN=OPAQUE0001');
    expect(certificate.issuer).toBe(new X509Certificate(ca.authenticationCaDer).subject);
    expect(certificate.notBefore.toISOString()).toBe('2025-04-09T15:00:00.000Z');
    expect(certificate.notAfter.toISOString()).toBe('2030-07-15T14:59:59.000Z');
    expect(certificate.getExtension('2.5.29.17')).toBeNull();
    const usage = certificate.getExtension(KeyUsagesExtension);
    expect(usage?.usages).toBe(KeyUsageFlags.digitalSignature);
    expect(usage?.critical).toBe(true);
    expect(certificate.getExtension(ExtendedKeyUsageExtension)).toBeNull();
    expect(certificate.getExtension(AuthorityKeyIdentifierExtension)?.keyId).toBe(
      new X509Certificate(ca.authenticationCaDer).getExtension(SubjectKeyIdentifierExtension)?.keyId,
    );
    expect(Buffer.from(certificate.publicKey.rawData).equals(cardSpki)).toBe(true);
    expect(issued.serialNumber).toBe(certificate.serialNumber.toUpperCase());
    expect(await certificate.verify({ publicKey: new X509Certificate(ca.authenticationCaDer).publicKey, signatureOnly: true })).toBe(true);
    const checked = opensslVerify(ca.authenticationCaDer, issued.der);
    expect(checked.ok, checked.output).toBe(true);
    // Not against the other CA.
    expect(opensslVerify(ca.signatureCaDer, issued.der).ok).toBe(false);
  });

  it('gives every issuance a new positive serial, and takes a KeyObject or an exact Date', async () => {
    const notBefore = new Date('2025-01-01T01:02:03Z');
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const issued = await ca.issueAuthentication({ publicKey: cardKey.privateKey, opaqueId: `ID${i}`, notBefore, notAfter: '2030-01-01' });
      expect(issued.serialNumber).toMatch(/^(0[1-9A-F]|[1-7][0-9A-F])[0-9A-F]{30}$/);
      expect(issued.notBefore.toISOString()).toBe('2025-01-01T01:02:03.000Z');
      serials.add(issued.serialNumber);
    }
    expect(serials.size).toBe(5);
  });

  it('adds clientAuth only when asked', async () => {
    const issued = await ca.issueAuthentication({
      publicKey: cardSpki,
      opaqueId: 'X',
      notBefore: '2025-01-01',
      notAfter: '2026-01-01',
      clientAuth: true,
    });
    expect(new X509Certificate(issued.der).getExtension(ExtendedKeyUsageExtension)?.usages).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('refuses impossible validity', async () => {
    await expect(
      ca.issueAuthentication({ publicKey: cardSpki, opaqueId: 'X', notBefore: '2025-02-30', notAfter: '2026-01-01' }),
    ).rejects.toThrow(/2025-02-30/);
    await expect(
      ca.issueAuthentication({ publicKey: cardSpki, opaqueId: 'X', notBefore: '2026-01-02', notAfter: '2026-01-01' }),
    ).rejects.toThrow(SimulatedCaError);
    await expect(
      ca.issueAuthentication({ publicKey: cardSpki, opaqueId: '', notBefore: '2025-01-01', notAfter: '2026-01-01' }),
    ).rejects.toThrow(/opaqueId/);
  });
});

describe('the signature certificate', () => {
  it('carries the locality in the subject and the basic 4 as otherName UTF8Strings', async () => {
    const issued = await ca.issueSignature({ publicKey: cardSpki, holder, notBefore: '2025-04-10', notAfter: '2030-07-15' });
    const certificate = new X509Certificate(issued.der);
    expect(certificate.subject).toBe(`C=JP, L=東京都, L=千代田区, CN=${issued.opaqueId}`);
    const usage = certificate.getExtension(KeyUsagesExtension);
    expect(usage?.usages).toBe(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation);
    expect(usage?.critical).toBe(true);
    const san = readJpkiSubjectAltName(issued.der);
    expect(Object.fromEntries(san)).toEqual({
      [JPKI_SAN_OID.name]: '見本　太郎',
      [JPKI_SAN_OID.nameSubstitutes]: '00000',
      [JPKI_SAN_OID.sex]: '1',
      [JPKI_SAN_OID.dateOfBirth]: '319850715',
      [JPKI_SAN_OID.address]: '東京都千代田区見本町一丁目2番3号',
      [JPKI_SAN_OID.addressSubstitutes]: '0'.repeat([...holder.address].length),
    });
    const checked = opensslVerify(ca.signatureCaDer, issued.der);
    expect(checked.ok, checked.output).toBe(true);
    expect(opensslVerify(ca.authenticationCaDer, issued.der).ok).toBe(false);
  });

  it('is readable by openssl, which names the otherName OIDs', async () => {
    const issued = await ca.issueSignature({ publicKey: cardSpki, holder, notBefore: '2025-04-10', notAfter: '2030-07-15' });
    const text = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', writePem(issued.der)], { encoding: 'utf8' });
    for (const oid of Object.values(JPKI_SAN_OID)) expect(text).toContain(`othername: ${oid}::`);
  });

  it('keeps given substitute masks', async () => {
    const issued = await ca.issueSignature({
      publicKey: cardSpki,
      holder: { ...holder, name: '山崎　見本子', nameSubstitutes: '010000' },
      notBefore: '2025-04-10',
      notAfter: '2030-07-15',
    });
    expect(readJpkiSubjectAltName(issued.der).get(JPKI_SAN_OID.nameSubstitutes)).toBe('010000');
  });

  it('prefixes the date of birth with the era digit', () => {
    expect(eraDigit('1926-12-24')).toBe('2');
    expect(eraDigit('1926-12-25')).toBe('3');
    expect(eraDigit('1989-01-07')).toBe('3');
    expect(eraDigit('1989-01-08')).toBe('4');
    expect(eraDigit('2019-04-30')).toBe('4');
    expect(eraDigit('2019-05-01')).toBe('5');
  });

  it('encodes UTF8Strings in DER, long ones too', () => {
    expect(encodeUtf8String('1').toString('hex')).toBe('0c0131');
    const long = 'あ'.repeat(50);
    expect(encodeUtf8String(long).subarray(0, 3).toString('hex')).toBe('0c8196');
    expect(encodeUtf8String('あ'.repeat(100)).subarray(0, 4).toString('hex')).toBe('0c82012c');
    expect(decodeUtf8String(encodeUtf8String(long))).toBe(long);
    expect(() => decodeUtf8String(Buffer.from('130131', 'hex'))).toThrow(CertificateProfileError);
  });
});

describe('revocation', () => {
  it('answers good, revoked or unknown', async () => {
    const good = await ca.issueAuthentication({ publicKey: cardSpki, opaqueId: 'GOOD', notBefore: '2025-01-01', notAfter: '2030-01-01' });
    const moved = await ca.issueSignature({ publicKey: cardSpki, holder, notBefore: '2025-01-01', notAfter: '2030-01-01' });
    expect(ca.status(good.der)).toEqual({ status: 'good', ca: 'authentication', serialNumber: good.serialNumber });
    const revokedAt = new Date('2025-06-01T00:00:00Z');
    ca.revoke(moved.der, 'moved', revokedAt);
    expect(ca.status(moved.der)).toEqual({
      status: 'revoked',
      ca: 'signature',
      serialNumber: moved.serialNumber,
      reason: 'moved',
      revokedAt: revokedAt.toISOString(),
    });
    // Idempotent: the first record stands.
    expect(ca.revoke({ ca: 'signature', serialNumber: moved.serialNumber.toLowerCase() }, 'renewed').reason).toBe('moved');
    expect(ca.status(Buffer.from('not a certificate'))).toEqual({ status: 'unknown' });
    const other = await SimulatedCa.create();
    const foreign = await other.issueAuthentication({
      publicKey: cardSpki,
      opaqueId: 'X',
      notBefore: '2025-01-01',
      notAfter: '2030-01-01',
    });
    expect(ca.status(foreign.der)).toEqual({ status: 'unknown' });
    expect(() => ca.revoke(foreign.der, 'moved')).toThrow(/not issued by this CA/);
  });
});

describe('the issuer proof', () => {
  const bindingFor = (challenge: Uint8Array) => ({
    challenge,
    purpose: 'renewal' as const,
    chipSerial: Buffer.from('0123456789ABCDEF', 'hex'),
    referenceHash: createHash('sha256').update('renewal-1').digest(),
  });

  it('signs SHA-256("JPKI-SIM-ISSUER-V2" ‖ challenge ‖ purpose ‖ chip serial ‖ SHA-256(reference)) as raw r‖s', () => {
    const challenge = randomBytes(16);
    const binding = bindingFor(challenge);
    const proof = ca.signIssuerProof(binding);
    expect(proof).toHaveLength(64);
    const key = createPublicKey({ key: ca.issuerTrustAnchorDer, format: 'der', type: 'spki' });
    const message = Buffer.concat([
      Buffer.from('JPKI-SIM-ISSUER-V2'),
      challenge,
      Buffer.from([0x01]),
      binding.chipSerial,
      binding.referenceHash,
    ]);
    expect(verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, proof)).toBe(true);
    expect(verifyIssuerProof(ca.issuerTrustAnchorDer, binding, proof)).toBe(true);
    expect(verifyIssuerProof(ca.issuerTrustAnchorDer, { ...binding, challenge: randomBytes(16) }, proof)).toBe(false);
    expect(verifyIssuerProof(ca.issuerTrustAnchorDer, { ...binding, purpose: 'pin-reset' }, proof)).toBe(false);
    expect(verifyIssuerProof(ca.issuerTrustAnchorDer, { ...binding, chipSerial: Buffer.alloc(8) }, proof)).toBe(false);
    expect(verifyIssuerProof(ca.issuerTrustAnchorDer, { ...binding, referenceHash: Buffer.alloc(32) }, proof)).toBe(false);
    expect(() => ca.signIssuerProof({ ...binding, challenge: randomBytes(15) })).toThrow(/16 bytes/);
  });
});

describe('persistence', () => {
  it('saves PEM files and loads the same CA, revocations included', async () => {
    const saved = join(dir, 'saved');
    const moved = await ca.issueSignature({ publicKey: cardSpki, holder, notBefore: '2025-01-01', notAfter: '2030-01-01' });
    ca.revoke(moved.der, 'moved');
    ca.save(saved);
    expect(readdirSync(saved).sort()).toEqual([
      'authentication-ca-key.pem',
      'authentication-ca.pem',
      'issuer-key.pem',
      'revocations.json',
      'signature-ca-key.pem',
      'signature-ca.pem',
    ]);
    expect(readFileSync(join(saved, 'authentication-ca.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(readFileSync(join(saved, 'signature-ca-key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    if (process.platform !== 'win32') expect(statSync(join(saved, 'issuer-key.pem')).mode & 0o077).toBe(0);

    const loaded = await SimulatedCa.load(saved);
    expect(loaded.fingerprint).toBe(ca.fingerprint);
    expect(loaded.authenticationCaDer.equals(ca.authenticationCaDer)).toBe(true);
    expect(loaded.status(moved.der)).toMatchObject({ status: 'revoked', reason: 'moved' });
    const binding = {
      challenge: randomBytes(16),
      purpose: 'pin-reset' as const,
      chipSerial: randomBytes(8),
      referenceHash: randomBytes(32),
    };
    expect(verifyIssuerProof(ca.issuerTrustAnchorDer, binding, loaded.signIssuerProof(binding))).toBe(true);
    const issued = await loaded.issueAuthentication({
      publicKey: cardSpki,
      opaqueId: 'AFTERLOAD',
      notBefore: '2025-01-01',
      notAfter: '2030-01-01',
    });
    const checked = opensslVerify(ca.authenticationCaDer, issued.der);
    expect(checked.ok, checked.output).toBe(true);
  });

  it('openOrCreate creates once and then reuses, even when two callers race', async () => {
    const shared = join(dir, 'shared');
    const [first, second] = await Promise.all([SimulatedCa.openOrCreate(shared), SimulatedCa.openOrCreate(shared)]);
    expect(first.fingerprint).toBe(second.fingerprint);
    expect((await SimulatedCa.openOrCreate(shared)).fingerprint).toBe(first.fingerprint);
    expect(readdirSync(dir).filter((name) => name.startsWith('.shared'))).toEqual([]);
  });

  it('names the folder and the file when loading fails', async () => {
    await expect(SimulatedCa.load(join(dir, 'nowhere'))).rejects.toThrow(/nowhere.*authentication-ca\.pem/);
    const broken = join(dir, 'broken');
    ca.save(broken);
    writeFileSync(join(broken, 'signature-ca-key.pem'), readFileSync(join(broken, 'authentication-ca-key.pem')));
    await expect(SimulatedCa.load(broken)).rejects.toThrow(/signature CA key does not match/);
  });
});

describe('helpers for the issuing service', () => {
  it('builds an SPKI from the modulus the card answers', () => {
    const n = Buffer.from(cardKey.publicKey.export({ format: 'jwk' }).n ?? '', 'base64url');
    expect(n).toHaveLength(256);
    expect(rsaSpkiFromModulus(n).equals(cardSpki)).toBe(true);
  });
});
