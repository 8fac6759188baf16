import 'reflect-metadata';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  type JsonName,
} from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { normaliseSerial } from '../domain/certificate-serial';

/**
 * The municipality's terminal PKI (docs/issuing-service.md): its own CA,
 * the issuing service's server certificate, and one client certificate per
 * terminal, so every request the service answers comes from a terminal it
 * enrolled (mutual TLS). The CA signs nothing else; it is not the JPKI's.
 *
 * ECDSA P-256 throughout. A terminal certificate names the terminal
 * (`CN=<id>`) and its role (`OU=lobby|counter`), and is for client
 * authentication only; the server certificate is for server authentication
 * only, for the names and addresses the service is reached at.
 */

/** What a terminal is allowed to ask for: a lobby terminal never does what only staff at a counter may. */
import { TERMINAL_ROLES, type TerminalRole } from '../issuance/gateway';

export { TERMINAL_ROLES, type TerminalRole };

const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** @peculiar/x509 takes the DOM `Crypto` type; Node's webcrypto is that object. */
const x509Crypto = webcrypto as unknown as NonNullable<Parameters<typeof X509CertificateGenerator.create>[1]>;
type CryptoKey = webcrypto.CryptoKey;

const ORGANIZATION = 'myna-kiosk terminals';
const CA_YEARS = 20;
const SERVER_YEARS = 5;
const TERMINAL_YEARS = 5;

/** A terminal id: what the audit records and staff read, so letters, digits, dot, dash and underscore. */
export const TERMINAL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class TerminalPkiError extends Error {
  override readonly name = 'TerminalPkiError';
}

/** A certificate and its private key, PEM. */
export interface KeyPairPem {
  certificate: string;
  key: string;
}

/** The files of a service's PKI folder. */
export const PKI_FILES = {
  ca: 'ca.pem',
  caKey: 'ca-key.pem',
  server: 'server.pem',
  serverKey: 'server-key.pem',
} as const;

export class TerminalCa {
  private constructor(
    readonly certificatePem: string,
    private readonly keyPem: string,
    private readonly certificate: X509Certificate,
    private readonly signingKey: CryptoKey,
  ) {}

  /** A new CA for a municipality. */
  static async create(municipality: string): Promise<TerminalCa> {
    const keys = (await x509Crypto.subtle.generateKey(KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const name: JsonName = [{ O: [ORGANIZATION] }, { CN: [`${municipality} terminal CA`] }];
    const certificate = await X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: newSerial(),
        name,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: yearsFromNow(CA_YEARS),
        keys,
        signingAlgorithm: SIGNING,
        extensions: [
          new BasicConstraintsExtension(true, 0, true),
          new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
          await SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
        ],
      },
      x509Crypto,
    );
    const keyPem = toPem('PRIVATE KEY', await x509Crypto.subtle.exportKey('pkcs8', keys.privateKey));
    return new TerminalCa(certificate.toString('pem'), keyPem, certificate, keys.privateKey);
  }

  static async load(certificatePem: string, keyPem: string): Promise<TerminalCa> {
    const certificate = new X509Certificate(certificatePem);
    const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
    const signingKey = await x509Crypto.subtle.importKey('pkcs8', der, KEY, false, ['sign']);
    return new TerminalCa(certificatePem, keyPem, certificate, signingKey);
  }

  get privateKeyPem(): string {
    return this.keyPem;
  }

  /** The issuing service's certificate, for the names (DNS) and addresses (IP) it is reached at. */
  async issueServer(hosts: string[]): Promise<KeyPairPem> {
    if (hosts.length === 0) throw new TerminalPkiError('the server certificate needs at least one host name or address');
    const names = hosts.map((host) => (isIpAddress(host) ? { type: 'ip' as const, value: host } : { type: 'dns' as const, value: host }));
    return this.#issue(
      [{ O: [ORGANIZATION] }, { CN: [hosts[0] ?? 'issuing service'] }],
      { notBefore: new Date(Date.now() - 60_000), notAfter: yearsFromNow(SERVER_YEARS) },
      [new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth], true), new SubjectAlternativeNameExtension(names, false)],
    );
  }

  /**
   * A terminal's client certificate: `CN=<id>, OU=<role>`, client
   * authentication only, for TERMINAL_YEARS unless `validity` says otherwise
   * (a short-lived certificate, or an already expired one to prove it is refused).
   */
  async issueTerminal(
    id: string,
    role: TerminalRole,
    validity?: { notBefore: Date; notAfter: Date },
  ): Promise<KeyPairPem & { serialNumber: string; notAfter: Date }> {
    if (!TERMINAL_ID_PATTERN.test(id)) {
      throw new TerminalPkiError(
        `a terminal id is 1–64 of letters, digits, dot, dash and underscore, starting with a letter or digit (got "${id}")`,
      );
    }
    if (!(TERMINAL_ROLES as readonly string[]).includes(role))
      throw new TerminalPkiError(`a terminal role is lobby or counter (got "${role}")`);
    const issued = await this.#issue(
      [{ O: [ORGANIZATION] }, { OU: [role] }, { CN: [id] }],
      validity ?? { notBefore: new Date(Date.now() - 60_000), notAfter: yearsFromNow(TERMINAL_YEARS) },
      [new ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth], true)],
    );
    const certificate = new X509Certificate(issued.certificate);
    return { ...issued, serialNumber: normaliseSerial(certificate.serialNumber), notAfter: certificate.notAfter };
  }

  async #issue(
    subject: JsonName,
    validity: { notBefore: Date; notAfter: Date },
    extensions: (ExtendedKeyUsageExtension | SubjectAlternativeNameExtension)[],
  ): Promise<KeyPairPem> {
    const keys = (await x509Crypto.subtle.generateKey(KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const certificate = await X509CertificateGenerator.create(
      {
        serialNumber: newSerial(),
        subject,
        issuer: this.certificate.subjectName,
        notBefore: validity.notBefore,
        notAfter: validity.notAfter,
        publicKey: keys.publicKey,
        signingKey: this.signingKey,
        signingAlgorithm: SIGNING,
        extensions: [
          new BasicConstraintsExtension(false, undefined, true),
          new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
          ...extensions,
          await SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
        ],
      },
      x509Crypto,
    );
    return {
      certificate: certificate.toString('pem'),
      key: toPem('PRIVATE KEY', await x509Crypto.subtle.exportKey('pkcs8', keys.privateKey)),
    };
  }
}

/** Who a client certificate says it is: the terminal id and role, and its serial. */
export function terminalOf(certificate: { subject: Record<string, unknown>; serialNumber: string }): {
  id: string;
  role: string;
  serialNumber: string;
} {
  const field = (name: string) => {
    const value = certificate.subject[name];
    return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : '';
  };
  return { id: field('CN'), role: field('OU'), serialNumber: normaliseSerial(certificate.serialNumber) };
}

/** Writes a file beside its place and renames it there; keys are readable by the owner only. */
export function writeFileAtomically(path: string, text: string, secret = false): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const partial = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(partial, text, { mode: secret ? 0o600 : 0o644 });
  renameSync(partial, path);
}

/** The PKI folder of a service: created once by `service init`, refused twice. */
export async function initialisePki(dir: string, options: { municipality: string; hosts: string[] }): Promise<TerminalCa> {
  if (existsSync(join(dir, PKI_FILES.ca)))
    throw new TerminalPkiError(`${dir} already holds a terminal CA: a second "service init" would orphan every enrolled terminal`);
  const ca = await TerminalCa.create(options.municipality);
  const server = await ca.issueServer(options.hosts);
  writeFileAtomically(join(dir, PKI_FILES.caKey), ca.privateKeyPem, true);
  writeFileAtomically(join(dir, PKI_FILES.server), server.certificate);
  writeFileAtomically(join(dir, PKI_FILES.serverKey), server.key, true);
  // Last: a folder with the CA certificate is a complete one.
  writeFileAtomically(join(dir, PKI_FILES.ca), ca.certificatePem);
  return ca;
}

export async function loadPki(dir: string): Promise<{ ca: TerminalCa; server: KeyPairPem }> {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch (error) {
      throw new TerminalPkiError(
        `${join(dir, name)} cannot be read (run "npx myna-kiosk service init" first): ${(error as Error).message}`,
      );
    }
  };
  const ca = await TerminalCa.load(read(PKI_FILES.ca), read(PKI_FILES.caKey));
  return { ca, server: { certificate: read(PKI_FILES.server), key: read(PKI_FILES.serverKey) } };
}

function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) % 0x7f) + 1;
  return bytes.toString('hex');
}

function yearsFromNow(years: number): Date {
  const date = new Date();
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date;
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

function toPem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}
