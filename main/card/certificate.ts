import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { CardResponseError } from './status-words';

/** What the kiosk needs to know about a certificate read from the card. */
export interface CertificateSummary {
  /** Hex, upper case, without leading zero bytes' separators. */
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
    serialNumber: certificate.serialNumber.toUpperCase(),
    issuer: certificate.issuer,
    subject: certificate.subject,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    der,
  };
}
