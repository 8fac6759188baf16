import 'reflect-metadata';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  Extension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate as PeculiarCertificate,
  X509CertificateGenerator,
  type JsonName,
} from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { id_ce_subjectAltName } from '@peculiar/asn1-x509';
import {
  KeyObject,
  X509Certificate as NodeCertificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { jpkiSubjectAltName, type SignatureHolder } from '../../card/jpki-certificate';
import { normaliseSerial } from '../../domain/certificate-serial';
import { isJapanDate, japanInstant } from '../../domain/japan-calendar';
import { signIssuerProof, type IssuerProofBinding } from '../issuer-proof';

/**
 * The simulated J-LIS PKI behind the virtual My Number Card
 * (docs/card-protocol.md, "Certificates on the virtual card" and "The
 * simulated issuer channel"):
 *
 * - two RSA-2048 CAs, one for user-authentication certificates (EF 000B on
 *   the card) and one for signature certificates (EF 0002);
 * - the ECDSA P-256 key of the simulated issuing authority, whose SPKI the
 *   virtual card trusts for the issuer channel;
 * - a revocation register, so a status query can tell a revoked certificate
 *   that is still on the card from a good one.
 *
 * `O=JPKI-SIM` keeps a simulated certificate from being taken for a genuine
 * one. Nothing here is, or talks to, the real J-LIS.
 */

const generateKeyPair = promisify(generateKeyPairCallback);
const subtle = webcrypto.subtle;
/** @peculiar/x509 takes the DOM `Crypto` type; Node's webcrypto is that object. */
const x509Crypto = webcrypto as unknown as NonNullable<Parameters<typeof X509CertificateGenerator.create>[1]>;
type CryptoKey = webcrypto.CryptoKey;

const RSA_SIGNING = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

export type CaKind = 'authentication' | 'signature';

export const CA_SUBJECT_OU: Record<CaKind, string> = {
  authentication: 'JPKI for user authentication',
  signature: 'JPKI for digital signature',
};
export const CA_ORGANIZATION = 'JPKI-SIM';
export const CA_AGENCY_OU = 'Japan Agency for Local Authority Information Systems';

/** The CAs' own validity: wide enough that any persona's certificate, however old, chains at its issue time. */
const CA_NOT_BEFORE = toInstant('2000-01-01', 'start');
const CA_NOT_AFTER = toInstant('2099-12-31', 'end');

const FILES = {
  authenticationCa: 'authentication-ca.pem',
  authenticationKey: 'authentication-ca-key.pem',
  signatureCa: 'signature-ca.pem',
  signatureKey: 'signature-ca-key.pem',
  issuerKey: 'issuer-key.pem',
  revocations: 'revocations.json',
} as const;

/**
 * A validity bound: a `YYYY-MM-DD` string is a calendar day in Japan time
 * (notBefore → 00:00:00 JST of that day, notAfter → 23:59:59 JST), a Date is
 * used as it is.
 */
export type CertificateTime = Date | string;

/** The certified public key: SPKI DER, or a node:crypto public (or private) key. */
export type PublicKeyInput = Uint8Array | KeyObject;

export interface IssueAuthenticationRequest {
  publicKey: PublicKeyInput;
  /** The subject CN; the only thing that identifies the holder, and opaque (see `newOpaqueId`). */
  opaqueId: string;
  notBefore: CertificateTime;
  notAfter: CertificateTime;
  /** Add extendedKeyUsage clientAuth (not in the card profile; for TLS client-auth demos). */
  clientAuth?: boolean;
}

export interface IssueSignatureRequest {
  publicKey: PublicKeyInput;
  holder: SignatureHolder;
  notBefore: CertificateTime;
  notAfter: CertificateTime;
  /** The subject CN; a new random one when absent. */
  opaqueId?: string;
}

export interface IssuedCertificate {
  ca: CaKind;
  der: Buffer;
  /** Upper-case hex, as the kiosk's certificate parser reports it. */
  serialNumber: string;
  opaqueId: string;
  notBefore: Date;
  notAfter: Date;
}

export const REVOCATION_REASONS = ['moved', 'name-changed', 'renewed', 'holder-request', 'card-lost', 'unspecified'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface Revocation {
  ca: CaKind;
  serialNumber: string;
  reason: RevocationReason;
  /** ISO 8601. */
  revokedAt: string;
}

export type CertificateStatus =
  | { status: 'good'; ca: CaKind; serialNumber: string }
  | { status: 'revoked'; ca: CaKind; serialNumber: string; reason: RevocationReason; revokedAt: string }
  /** Not issued by this CA (or not a certificate at all). */
  | { status: 'unknown' };

export class SimulatedCaError extends Error {
  override readonly name = 'SimulatedCaError';
}

interface CaSide {
  certificate: PeculiarCertificate;
  der: Buffer;
  privateKeyPem: string;
  signingKey: CryptoKey;
  /** Hex of the subjectKeyIdentifier, reused as every issued certificate's authorityKeyIdentifier. */
  keyId: string;
  nodeCertificate: NodeCertificate;
}

export class SimulatedCa {
  readonly #authentication: CaSide;
  readonly #signature: CaSide;
  readonly #issuerKey: KeyObject;
  readonly #issuerSpki: Buffer;
  readonly #revocations = new Map<string, Revocation>();

  private constructor(authentication: CaSide, signature: CaSide, issuerKey: KeyObject, revocations: Revocation[]) {
    this.#authentication = authentication;
    this.#signature = signature;
    this.#issuerKey = issuerKey;
    this.#issuerSpki = createPublicKey(issuerKey).export({ type: 'spki', format: 'der' });
    for (const revocation of revocations) this.#revocations.set(revocationKey(revocation.ca, revocation.serialNumber), revocation);
  }

  /** New key pairs and self-signed CA certificates (about a quarter of a second: two RSA-2048 key pairs). */
  static async create(): Promise<SimulatedCa> {
    const [authentication, signature] = await Promise.all([createCaSide('authentication'), createCaSide('signature')]);
    const { privateKey: issuerKey } = await generateKeyPair('ec', { namedCurve: 'P-256' });
    return new SimulatedCa(authentication, signature, issuerKey, []);
  }

  /** Reads a CA saved by `save(dir)`. */
  static async load(dir: string): Promise<SimulatedCa> {
    const read = (name: string) => {
      try {
        return readFileSync(join(dir, name), 'utf8');
      } catch (error) {
        throw new SimulatedCaError(`simulated CA in ${dir}: cannot read ${name}: ${(error as Error).message}`);
      }
    };
    const [authentication, signature] = await Promise.all([
      loadCaSide('authentication', read(FILES.authenticationCa), read(FILES.authenticationKey), dir),
      loadCaSide('signature', read(FILES.signatureCa), read(FILES.signatureKey), dir),
    ]);
    const issuerKey = createPrivateKey(read(FILES.issuerKey));
    if (issuerKey.asymmetricKeyType !== 'ec' || issuerKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new SimulatedCaError(`simulated CA in ${dir}: ${FILES.issuerKey} is not an ECDSA P-256 key`);
    }
    const revocations = existsSync(join(dir, FILES.revocations))
      ? parseRevocations(read(FILES.revocations), join(dir, FILES.revocations))
      : [];
    return new SimulatedCa(authentication, signature, issuerKey, revocations);
  }

  /**
   * Loads the CA in `dir`, or creates one there. Creation writes to a sibling
   * folder and renames it into place, so two processes racing on the same
   * folder end up sharing one CA instead of a mix of two.
   */
  static async openOrCreate(dir: string): Promise<SimulatedCa> {
    if (existsSync(join(dir, FILES.authenticationCa))) return SimulatedCa.load(dir);
    const ca = await SimulatedCa.create();
    mkdirSync(dirname(dir), { recursive: true });
    const staging = join(dirname(dir), `.${basename(dir)}.${process.pid}.${randomBytes(4).toString('hex')}`);
    ca.save(staging);
    try {
      if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
      renameSync(staging, dir);
      return ca;
    } catch {
      rmSync(staging, { recursive: true, force: true });
      return SimulatedCa.load(dir);
    }
  }

  /** PEM files (keys readable by the owner only) and the revocation register, as JSON. */
  save(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const write = (name: string, text: string, secret = false) => {
      const path = join(dir, name);
      const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(temporary, text, { mode: secret ? 0o600 : 0o644 });
      renameSync(temporary, path);
    };
    write(FILES.authenticationCa, toPem('CERTIFICATE', this.#authentication.der));
    write(FILES.authenticationKey, this.#authentication.privateKeyPem, true);
    write(FILES.signatureCa, toPem('CERTIFICATE', this.#signature.der));
    write(FILES.signatureKey, this.#signature.privateKeyPem, true);
    write(FILES.issuerKey, this.#issuerKey.export({ type: 'pkcs8', format: 'pem' }) as string, true);
    write(FILES.revocations, `${JSON.stringify([...this.#revocations.values()], null, 2)}\n`);
  }

  /** DER of the authentication CA certificate (EF 000B). */
  get authenticationCaDer(): Buffer {
    return this.#authentication.der;
  }

  /** DER of the signature CA certificate (EF 0002). */
  get signatureCaDer(): Buffer {
    return this.#signature.der;
  }

  /** SPKI DER of the issuing authority's ECDSA P-256 key: the card's issuer-channel trust anchor. */
  get issuerTrustAnchorDer(): Buffer {
    return this.#issuerSpki;
  }

  caCertificateDer(ca: CaKind): Buffer {
    return this.#side(ca).der;
  }

  /** SHA-256 (hex) over both CA certificates and the trust anchor: names this CA, e.g. in cache keys. */
  get fingerprint(): string {
    return createHash('sha256').update(this.#authentication.der).update(this.#signature.der).update(this.#issuerSpki).digest('hex');
  }

  /** The issuer's answer to a card challenge, bound to the card, the purpose and the reference (issuer-proof.ts). */
  signIssuerProof(binding: IssuerProofBinding): Buffer {
    return signIssuerProof(this.#issuerKey, binding);
  }

  /** User-authentication certificate: subject `C=JP, CN=<opaque id>`, no personal data. */
  async issueAuthentication(request: IssueAuthenticationRequest): Promise<IssuedCertificate> {
    if (!request.opaqueId) throw new SimulatedCaError('issueAuthentication: opaqueId is empty');
    const extensions: Extension[] = [new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true)];
    if (request.clientAuth) extensions.push(new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth], false));
    return this.#issue(
      'authentication',
      request.publicKey,
      [{ C: ['JP'] }, { CN: [request.opaqueId] }],
      request,
      extensions,
      request.opaqueId,
    );
  }

  /**
   * Signature certificate: subject `C=JP, L=<prefecture>, L=<municipality>,
   * CN=<opaque id>` and the basic 4 as subjectAltName otherNames (UTF8String).
   */
  async issueSignature(request: IssueSignatureRequest): Promise<IssuedCertificate> {
    const { holder } = request;
    const opaqueId = request.opaqueId ?? newOpaqueId();
    const extensions: Extension[] = [
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation, true),
      new Extension(id_ce_subjectAltName, false, AsnConvert.serialize(jpkiSubjectAltName(holder))),
    ];
    const subject: JsonName = [{ C: ['JP'] }, { L: [holder.prefecture] }, { L: [holder.municipality] }, { CN: [opaqueId] }];
    return this.#issue('signature', request.publicKey, subject, request, extensions, opaqueId);
  }

  /** Records a revocation (idempotent: the first record stands). Takes the certificate, or its CA and serial. */
  revoke(
    certificate: Uint8Array | { ca: CaKind; serialNumber: string },
    reason: RevocationReason,
    revokedAt: Date = new Date(),
  ): Revocation {
    const id =
      certificate instanceof Uint8Array
        ? this.#identify(certificate)
        : { ca: certificate.ca, serialNumber: normaliseSerial(certificate.serialNumber) };
    if (!id) throw new SimulatedCaError('revoke: the certificate was not issued by this CA');
    const key = revocationKey(id.ca, id.serialNumber);
    const existing = this.#revocations.get(key);
    if (existing) return existing;
    const revocation: Revocation = { ...id, reason, revokedAt: revokedAt.toISOString() };
    this.#revocations.set(key, revocation);
    return revocation;
  }

  /** The issuing service's answer about a certificate: good, revoked, or not ours. */
  status(certificateDer: Uint8Array): CertificateStatus {
    const id = this.#identify(certificateDer);
    if (!id) return { status: 'unknown' };
    const revocation = this.#revocations.get(revocationKey(id.ca, id.serialNumber));
    return revocation ? { status: 'revoked', ...revocation } : { status: 'good', ...id };
  }

  get revocations(): Revocation[] {
    return [...this.#revocations.values()];
  }

  #side(ca: CaKind): CaSide {
    return ca === 'authentication' ? this.#authentication : this.#signature;
  }

  /** Which of our CAs signed this certificate, checked by signature, and its serial. */
  #identify(der: Uint8Array): { ca: CaKind; serialNumber: string } | undefined {
    let certificate: NodeCertificate;
    try {
      certificate = new NodeCertificate(der);
    } catch {
      return undefined;
    }
    for (const ca of ['authentication', 'signature'] as const) {
      const side = this.#side(ca);
      if (certificate.checkIssued(side.nodeCertificate) && certificate.verify(side.nodeCertificate.publicKey)) {
        return { ca, serialNumber: normaliseSerial(certificate.serialNumber) };
      }
    }
    return undefined;
  }

  async #issue(
    ca: CaKind,
    publicKey: PublicKeyInput,
    subject: JsonName,
    validity: { notBefore: CertificateTime; notAfter: CertificateTime },
    extensions: Extension[],
    opaqueId: string,
  ): Promise<IssuedCertificate> {
    const side = this.#side(ca);
    const spki = toSpkiDer(publicKey);
    const notBefore = toInstant(validity.notBefore, 'start');
    const notAfter = toInstant(validity.notAfter, 'end');
    if (notAfter.getTime() <= notBefore.getTime()) {
      throw new SimulatedCaError(
        `issue ${ca} certificate: notAfter (${notAfter.toISOString()}) is not after notBefore (${notBefore.toISOString()})`,
      );
    }
    const certificate = await X509CertificateGenerator.create(
      {
        serialNumber: newSerialNumber(),
        subject,
        issuer: side.certificate.subjectName,
        notBefore,
        notAfter,
        publicKey: spki,
        signingKey: side.signingKey,
        signingAlgorithm: RSA_SIGNING,
        extensions: [
          ...extensions,
          new AuthorityKeyIdentifierExtension(side.keyId, false),
          await SubjectKeyIdentifierExtension.create(spki, false, x509Crypto),
        ],
      },
      x509Crypto,
    );
    return {
      ca,
      der: Buffer.from(certificate.rawData),
      serialNumber: normaliseSerial(certificate.serialNumber),
      opaqueId,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
    };
  }
}

/** A fresh subject CN for a certificate: 24 upper-case hex digits that say nothing about the holder. */
export function newOpaqueId(): string {
  return randomBytes(12).toString('hex').toUpperCase();
}

function toInstant(time: CertificateTime, bound: 'start' | 'end'): Date {
  if (time instanceof Date) return time;
  if (!isJapanDate(time)) throw new SimulatedCaError(`not a YYYY-MM-DD calendar date: ${time}`);
  // notAfter is the last second of the day: the certificate is valid through that Japan date.
  return bound === 'start' ? japanInstant(time) : new Date(japanInstant(time, '23:59').getTime() + 59_000);
}

function toSpkiDer(publicKey: PublicKeyInput): Buffer {
  if (publicKey instanceof KeyObject) {
    const key = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
    return key.export({ type: 'spki', format: 'der' });
  }
  return Buffer.from(publicKey);
}

/** Random, positive, 16 bytes, no leading zero byte: the first byte is 0x01–0x7F. */
function newSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) % 0x7f) + 1;
  return bytes.toString('hex');
}

function revocationKey(ca: CaKind, serialNumber: string): string {
  return `${ca}:${normaliseSerial(serialNumber)}`;
}

function caName(ca: CaKind): JsonName {
  return [{ C: ['JP'] }, { O: [CA_ORGANIZATION] }, { OU: [CA_SUBJECT_OU[ca]] }, { OU: [CA_AGENCY_OU] }];
}

async function createCaSide(ca: CaKind): Promise<CaSide> {
  const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const signingKey = await importSigningKey(privateKeyPem);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const skid = await SubjectKeyIdentifierExtension.create(spki, false, x509Crypto);
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber: newSerialNumber(),
      subject: caName(ca),
      issuer: caName(ca),
      notBefore: CA_NOT_BEFORE,
      notAfter: CA_NOT_AFTER,
      publicKey: spki,
      signingKey,
      signingAlgorithm: RSA_SIGNING,
      extensions: [
        new BasicConstraintsExtension(true, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        skid,
      ],
    },
    x509Crypto,
  );
  return side(certificate, privateKeyPem, signingKey, skid.keyId);
}

async function loadCaSide(ca: CaKind, certificatePem: string, keyPem: string, dir: string): Promise<CaSide> {
  let certificate: PeculiarCertificate;
  let signingKey: CryptoKey;
  try {
    certificate = new PeculiarCertificate(certificatePem);
    signingKey = await importSigningKey(keyPem);
  } catch (error) {
    throw new SimulatedCaError(`simulated CA in ${dir}: the ${ca} CA does not load: ${(error as Error).message}`);
  }
  const publicOfKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  if (!publicOfKey.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new SimulatedCaError(`simulated CA in ${dir}: the ${ca} CA key does not match its certificate`);
  }
  const skid = certificate.getExtension(SubjectKeyIdentifierExtension);
  if (!skid) throw new SimulatedCaError(`simulated CA in ${dir}: the ${ca} CA certificate has no subjectKeyIdentifier`);
  return side(certificate, keyPem, signingKey, skid.keyId);
}

function side(certificate: PeculiarCertificate, privateKeyPem: string, signingKey: CryptoKey, keyId: string): CaSide {
  const der = Buffer.from(certificate.rawData);
  return { certificate, der, privateKeyPem, signingKey, keyId, nodeCertificate: new NodeCertificate(der) };
}

async function importSigningKey(pkcs8Pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pkcs8Pem).export({ type: 'pkcs8', format: 'der' });
  return (await subtle.importKey('pkcs8', der, RSA_SIGNING, false, ['sign'])) as CryptoKey;
}

function parseRevocations(text: string, path: string): Revocation[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SimulatedCaError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const valid = (entry: unknown): entry is Revocation => {
    const record = entry as Partial<Revocation> | null;
    return (
      typeof record === 'object' &&
      record !== null &&
      (record.ca === 'authentication' || record.ca === 'signature') &&
      typeof record.serialNumber === 'string' &&
      (REVOCATION_REASONS as readonly string[]).includes(record.reason ?? '') &&
      typeof record.revokedAt === 'string'
    );
  };
  if (!Array.isArray(value) || !value.every(valid))
    throw new SimulatedCaError(`${path}: expected a list of {ca, serialNumber, reason, revokedAt}`);
  return value;
}

function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}
