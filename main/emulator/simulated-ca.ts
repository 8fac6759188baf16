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
import { GeneralName, OtherName, SubjectAlternativeName, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import {
  KeyObject,
  X509Certificate as NodeCertificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCallback,
  randomBytes,
  sign,
  verify,
  webcrypto,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

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

/** The otherName OIDs of the signature certificate's subjectAltName (docs/card-protocol.md). */
export const JPKI_SAN_OID = {
  name: '1.2.392.200149.8.5.5.1',
  nameSubstitutes: '1.2.392.200149.8.5.5.2',
  sex: '1.2.392.200149.8.5.5.3',
  dateOfBirth: '1.2.392.200149.8.5.5.4',
  address: '1.2.392.200149.8.5.5.5',
  addressSubstitutes: '1.2.392.200149.8.5.5.6',
} as const;

/** The issuer channel's signed context (docs/card-protocol.md, issuer channel). */
export const ISSUER_PROOF_CONTEXT = 'JPKI-SIM-ISSUER-V1';
export const ISSUER_CHALLENGE_LENGTH = 16;

/** The CAs' own validity: wide enough that any persona's certificate, however old, chains at its issue time. */
const CA_NOT_BEFORE = new Date('2000-01-01T00:00:00+09:00');
const CA_NOT_AFTER = new Date('2099-12-31T23:59:59+09:00');

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

  /**
   * The issuer's answer to a card challenge: ECDSA P-256 over
   * SHA-256("JPKI-SIM-ISSUER-V1" ‖ challenge), as raw r‖s (64 bytes).
   */
  signIssuerProof(challenge: Uint8Array): Buffer {
    return sign('sha256', issuerProofMessage(challenge), { key: this.#issuerKey, dsaEncoding: 'ieee-p1363' });
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

/** The bytes the issuer proof signs: "JPKI-SIM-ISSUER-V1" ‖ the 16-byte challenge. */
export function issuerProofMessage(challenge: Uint8Array): Buffer {
  if (challenge.length !== ISSUER_CHALLENGE_LENGTH) {
    throw new SimulatedCaError(`the issuer challenge is ${ISSUER_CHALLENGE_LENGTH} bytes, not ${challenge.length}`);
  }
  return Buffer.concat([Buffer.from(ISSUER_PROOF_CONTEXT, 'ascii'), challenge]);
}

/** What the card does with an issuer proof: verify raw r‖s against the trust anchor's SPKI. */
export function verifyIssuerProof(trustAnchorDer: Uint8Array, challenge: Uint8Array, proof: Uint8Array): boolean {
  if (challenge.length !== ISSUER_CHALLENGE_LENGTH || proof.length !== 64) return false;
  const key = createPublicKey({ key: Buffer.from(trustAnchorDer), format: 'der', type: 'spki' });
  return verify('sha256', issuerProofMessage(challenge), { key, dsaEncoding: 'ieee-p1363' }, proof);
}

/** SPKI DER of an RSA public key from the 256-byte modulus the card's GENERATE KEY PAIR answers. */
export function rsaSpkiFromModulus(modulus: Uint8Array, exponent = 65537): Buffer {
  const e = Buffer.from(exponent.toString(16).padStart(6, '0'), 'hex');
  const jwk = {
    kty: 'RSA',
    n: Buffer.from(modulus).toString('base64url'),
    e: e.subarray(e.findIndex((byte) => byte !== 0)).toString('base64url'),
  };
  return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
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
    entry(JPKI_SAN_OID.nameSubstitutes, holder.nameSubstitutes ?? noSubstitutes(holder.name)),
    entry(JPKI_SAN_OID.addressSubstitutes, holder.addressSubstitutes ?? noSubstitutes(holder.address)),
  ]);
}

/** The otherName values of a certificate's subjectAltName, by OID (for tests and the counter's confirmation screen). */
export function readJpkiSubjectAltName(certificateDer: Uint8Array): Map<string, string> {
  const certificate = new PeculiarCertificate(certificateDer);
  const extension = certificate.getExtension(id_ce_subjectAltName);
  const values = new Map<string, string>();
  if (!extension) return values;
  for (const name of AsnConvert.parse(extension.value, SubjectAlternativeName)) {
    if (name.otherName) values.set(name.otherName.typeId, decodeUtf8String(new Uint8Array(name.otherName.value)));
  }
  return values;
}

/** DER of a UTF8String (tag 0C). */
export function encodeUtf8String(value: string): Buffer {
  const content = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([0x0c]), derLength(content.length), content]);
}

/** The text of a DER UTF8String; throws on anything else. */
export function decodeUtf8String(der: Uint8Array): string {
  const bytes = Buffer.from(der);
  if (bytes[0] !== 0x0c || bytes.length < 2) throw new SimulatedCaError('not a DER UTF8String');
  const first = bytes[1] ?? 0;
  let length = first;
  let offset = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 3) throw new SimulatedCaError('not a DER UTF8String (length)');
    length = bytes.readUIntBE(2, count);
    offset = 2 + count;
  }
  if (offset + length !== bytes.length) throw new SimulatedCaError('not a DER UTF8String (length)');
  return bytes.subarray(offset).toString('utf8');
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** One `0` per character (code point), the "no substitute characters" mask. */
function noSubstitutes(text: string): string {
  return '0'.repeat([...text].length);
}

/** The era digit real certificates put before the date of birth: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和 (0 before 明治). */
export function eraDigit(dateOfBirth: string): string {
  if (dateOfBirth >= '2019-05-01') return '5';
  if (dateOfBirth >= '1989-01-08') return '4';
  if (dateOfBirth >= '1926-12-25') return '3';
  if (dateOfBirth >= '1912-07-30') return '2';
  if (dateOfBirth >= '1868-10-23') return '1';
  return '0';
}

const JAPAN_DATE = /^\d{4}-\d{2}-\d{2}$/;

function toInstant(time: CertificateTime, bound: 'start' | 'end'): Date {
  if (time instanceof Date) return time;
  const instant = new Date(`${time}T${bound === 'start' ? '00:00:00' : '23:59:59'}+09:00`);
  // Also refuses days that do not exist (2025-02-30), which Date would roll over.
  if (
    !JAPAN_DATE.test(time) ||
    Number.isNaN(instant.getTime()) ||
    new Date(instant.getTime() + 9 * 3600_000).toISOString().slice(0, 10) !== time
  ) {
    throw new SimulatedCaError(`not a YYYY-MM-DD calendar date: ${time}`);
  }
  return instant;
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

function normaliseSerial(serial: string): string {
  return serial.toUpperCase().replace(/^(00)+(?=.)/, '');
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
