import type { ResidentFacts } from '../domain/eligibility';

/**
 * The issuing service as the kiosk sees it: J-LIS behind the municipality's
 * network in production, `SimulatedJlis` (main/simulation/jlis/) everywhere else.
 * The kiosk never holds the issuing authority's key or the CA keys: it
 * relays the card's challenge, sends public keys generated on the card, and
 * writes back what it is given.
 *
 * Every call that changes something is idempotent by `renewalId`: a call
 * repeated after a time-out, a crash or a pulled card returns what the first
 * one produced and never issues twice.
 */

export type CertificateSlot = 'authentication' | 'signature';

/** What the issuing service knows about the holder of a certificate (never shown in the lobby). */
export interface ResidentRecord extends ResidentFacts {
  /** The serial of the authentication certificate the service issued to this resident. */
  authenticationSerial: string;
  /** The signature certificate's holder data, as it would be issued now (after a move: the new address). */
  signatureHolder?: {
    name: string;
    nameAlternate?: string;
    address: string;
    addressAlternate?: string;
    prefecture: string;
    municipality: string;
    sex: '1' | '2' | '9';
  };
}

export type CertificateStatus = 'valid' | 'revoked' | 'expired' | 'unknown';

export interface RenewalRequest {
  renewalId: string;
  /** Serial (hex) of the current authentication certificate: identifies the resident to the service. */
  authenticationSerial: string;
  /** SPKI DER of the key pairs generated on the card; signature absent when no signature certificate is renewed. */
  publicKeys: { authentication: Uint8Array; signature?: Uint8Array };
  /** The Japan date of the renewal (validity is computed from it). */
  renewedOn: string;
}

export interface IssuedCertificate {
  der: Uint8Array;
  serialNumber: string;
  notAfter: Date;
}

export interface IssuedSet {
  renewalId: string;
  authentication: IssuedCertificate;
  signature?: IssuedCertificate;
}

/** Why a call to the issuing service failed: the session decides what the resident is told. */
export type GatewayFailure = 'unavailable' | 'timeout' | 'server-error' | 'garbled-answer' | 'refused';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly failure: GatewayFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface IssuanceGateway {
  /** The resident behind an authentication certificate, or undefined when the service does not know it. */
  lookupResident(authenticationSerial: string): Promise<ResidentRecord | undefined>;
  /** The issuing authority's signature over the card's challenge (docs/card-protocol.md, issuer channel). */
  issuerProof(renewalId: string, challenge: Uint8Array): Promise<Uint8Array>;
  /** Issues the new set for the card's new public keys. Same renewalId and same keys → the same certificates. */
  issue(request: RenewalRequest): Promise<IssuedSet>;
  /**
   * What was issued under this renewal id and is neither voided nor replaced,
   * or undefined: how a resumed renewal learns what the service already did
   * when the card lost the keys it had staged.
   */
  issuedFor(renewalId: string): Promise<IssuedSet | undefined>;
  /**
   * Voids the certificates issued under this renewal id and not yet confirmed
   * (new keys had to be generated again), so a following `issue` with new
   * keys may issue afresh under the same id.
   */
  voidUnconfirmed(renewalId: string): Promise<void>;
  /** The new set is on the card and verified: the service revokes the old certificates. */
  confirmWritten(renewalId: string): Promise<void>;
  certificateStatus(der: Uint8Array): Promise<CertificateStatus>;
}
