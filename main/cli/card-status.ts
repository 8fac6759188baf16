import { parseArgs } from 'node:util';
import { JpkiClient, type CardStatus, type PinStatus } from '../card/jpki-client';
import { PcscReader } from '../card/pcsc-reader';
import type { CardReader, ReaderStackFault } from '../card/reader';
import { MAX_TRIES } from '../domain/pin-rules';
import { japanDate } from '../domain/japan-calendar';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk card status [--reader <name>] [--json] [--timeout <ms>]`
 *
 * What the kiosk sees on the card in a reader: its kind, the authentication
 * certificate, tries left per PIN, whether a signature certificate is
 * present. No PIN is asked, nothing on the card changes, no try is spent.
 */

export interface CardStatusReport {
  reader: string;
  kind: CardStatus['kind'];
  tokenLabel: string | null;
  signatureCertificatePresent: boolean;
  authenticationCertificate: { serialNumber: string; issuer: string; notBefore: string; notAfter: string; expiresOn: string } | null;
  pins: CardStatus['pins'];
  extendedLength: 'untested' | 'works' | 'refused';
  apdus: number;
}

export async function readCardStatus(
  reader: CardReader,
  options: { reader?: string; timeoutMs: number; extendedLength?: 'auto' | 'never' },
): Promise<CardStatusReport> {
  try {
    const name = await waitForCard(reader, options.reader, options.timeoutMs);
    const connection = await reader.connect(name, { exclusive: false });
    let apdus = 0;
    try {
      const client = new JpkiClient(connection, { extendedLength: options.extendedLength ?? 'auto', onExchange: () => apdus++ });
      const status = await client.readStatus();
      const certificate = status.authenticationCertificate;
      return {
        reader: name,
        kind: status.kind,
        tokenLabel: status.tokenLabel ?? null,
        signatureCertificatePresent: status.signatureCertificatePresent,
        authenticationCertificate: certificate
          ? {
              serialNumber: certificate.serialNumber,
              issuer: certificate.issuer,
              notBefore: certificate.notBefore.toISOString(),
              notAfter: certificate.notAfter.toISOString(),
              expiresOn: japanDate(certificate.notAfter),
            }
          : null,
        pins: status.pins,
        extendedLength: client.extendedLength,
        apdus,
      };
    } finally {
      // Nothing was verified, so the card is left as it was found.
      await connection.disconnect({ unpower: false });
    }
  } finally {
    await reader.stop();
  }
}

/** Starts the reader and resolves with the reader holding a card (the named one, with --reader). */
function waitForCard(reader: CardReader, wanted: string | undefined, timeoutMs: number): Promise<string> {
  const readers = new Set<string>();
  const withCard = new Set<string>();
  let fault: ReaderStackFault | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(describeNoCard(fault, readers, withCard, wanted))), timeoutMs);
    reader.start((event) => {
      switch (event.type) {
        case 'reader-attached':
          readers.add(event.reader);
          break;
        case 'reader-detached':
          readers.delete(event.reader);
          withCard.delete(event.reader);
          break;
        case 'card-inserted':
          withCard.add(event.reader);
          break;
        case 'card-removed':
          withCard.delete(event.reader);
          break;
        case 'stack-unavailable':
          fault = event.reason;
          readers.clear();
          withCard.clear();
          break;
        case 'stack-available':
          fault = undefined;
          break;
      }
      const found = wanted === undefined ? [...withCard].sort()[0] : withCard.has(wanted) ? wanted : undefined;
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
}

function describeNoCard(
  fault: ReaderStackFault | undefined,
  readers: Set<string>,
  withCard: Set<string>,
  wanted: string | undefined,
): string {
  if (fault === 'binding-missing') return 'the PC/SC binding (npm package "smartcard") is not installed or did not build';
  if (fault) return 'the PC/SC service (pcscd) is not running';
  if (readers.size === 0) return 'no card reader is connected';
  const list = [...readers].sort().join(', ');
  if (wanted === undefined) return `no card in any reader (${list})`;
  if (!readers.has(wanted)) return `no reader named "${wanted}" (readers: ${list})`;
  return `no card in "${wanted}"${withCard.size ? ` (a card is in ${[...withCard].join(', ')})` : ''}`;
}

const KIND_NAMES: Record<CardStatus['kind'], string> = {
  'my-number': 'My Number Card',
  'face-auth': 'My Number Card with face authentication (no PINs)',
  juki: 'old Basic Resident Registry card (住基カード)',
  phone: 'smartphone JPKI token',
  'unknown-token': 'JPKI token of an unknown kind',
  'not-my-number': 'not a My Number Card (no JPKI application)',
};

function describePin(status: PinStatus, max: number): string {
  switch (status.state) {
    case 'available':
      return `${status.triesLeft} of ${max} tries left`;
    case 'blocked':
      return 'BLOCKED';
    case 'verified':
      return 'verified in this power cycle';
    case 'absent':
      return 'not on this card';
  }
}

export function formatCardStatus(report: CardStatusReport): string {
  const certificate = report.authenticationCertificate;
  const validity = certificate && `serial ${certificate.serialNumber}, valid to ${certificate.expiresOn} (Japan)`;
  return [
    `Reader:                      ${report.reader}`,
    `Card:                        ${KIND_NAMES[report.kind]}${report.tokenLabel ? ` [${report.tokenLabel}]` : ''}`,
    `Authentication certificate:  ${validity ?? 'none'}`,
    `Signature certificate:       ${report.signatureCertificatePresent ? 'present' : 'none'}`,
    `Authentication PIN:          ${describePin(report.pins.authentication, MAX_TRIES.authentication)}`,
    `Signature password:          ${describePin(report.pins.signature, MAX_TRIES.signature)}`,
    `Registry PIN:                ${describePin(report.pins.registry, MAX_TRIES.registry)}`,
  ].join('\n');
}

export async function runCardStatus(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reader: { type: 'string' },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '3000' },
      'short-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0)
    throw new UsageError(`--timeout must be a whole number of milliseconds (got "${values.timeout}")`);
  const report = await readCardStatus(new PcscReader(), {
    ...(values.reader ? { reader: values.reader } : {}),
    timeoutMs,
    extendedLength: values['short-only'] ? 'never' : 'auto',
  });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatCardStatus(report)}\n`);
  return 0;
}
