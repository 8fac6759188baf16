import type { ResidentFacts } from '../domain/eligibility';
import type { IssuerPurpose } from '../domain/issuer-purpose';
import type { RenewalRoute } from '../../preload/vocabulary';

export type { IssuerPurpose } from '../domain/issuer-purpose';

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

/** What a terminal may ask for: a lobby kiosk serves residents alone; a counter PC also proxies, face-auth cards and PIN resets. */
export const TERMINAL_ROLES = ['lobby', 'counter'] as const;
export type TerminalRole = (typeof TERMINAL_ROLES)[number];

/** A terminal as the issuing service knows it (from its client certificate). */
export interface TerminalIdentity {
  id: string;
  role: TerminalRole;
}

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
  /** Who is renewing: the holder, or a proxy (counter terminals only). */
  route: RenewalRoute;
  /** The card's proof that it holds the current keys, over the service's nonce (issuance/possession.ts). */
  possession: PossessionProof;
}

/**
 * A single-use nonce from the service, bound to one renewal id, the terminal
 * that asked and the authentication certificate named; the card signs it
 * with the new public keys' hashes (docs/card-protocol.md, "Proof of possession").
 */
export interface PossessionChallenge {
  renewalId: string;
  /** The terminal as the service knows it (its certificate's id): part of what the card signs. */
  terminalId: string;
  nonce: Uint8Array;
  expiresAt: Date;
}

/** RSA PKCS#1 v1.5 signatures by the card's current keys over `possessionMessage` (issuance/possession.ts). */
export interface PossessionProof {
  nonce: Uint8Array;
  authentication: Uint8Array;
  /** By the current signature key, when a signature certificate is renewed and the card has a valid or expired one. */
  signature?: Uint8Array;
}

/** The counter's identity check, as a PIN reset carries it: who checked, when, and how many documents; never which. */
export interface IdentityCheckRecord {
  staffId: string;
  /** ISO instant the staff member recorded the check. */
  checkedAt: string;
  documentsA: number;
  documentsB: number;
  oralQuestioning: boolean;
}

/** What the card's issuer channel is to allow, on which card, for which renewal or reset. */
export interface IssuerProofRequest {
  purpose: IssuerPurpose;
  /** The renewal id (renewal) or the session's reset reference (pin-reset). */
  reference: string;
  /** The card's chip serial (hex, GET CHIP SERIAL): the card the proof will work on. */
  chipSerial: string;
  /** The authentication certificate the card holds: who the resident is. */
  authenticationSerial: string;
  /** The card's single-use challenge. */
  challenge: Uint8Array;
  /** pin-reset only, and only from a counter terminal. */
  identityCheck?: IdentityCheckRecord;
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
  /**
   * The issuing authority's signature over the card's challenge, bound to the
   * card, the purpose and the reference (docs/card-protocol.md, issuer channel).
   */
  issuerProof(request: IssuerProofRequest): Promise<Uint8Array>;
  /** A nonce for the card's proof of possession, before `issue`. */
  possessionChallenge(renewalId: string, authenticationSerial: string): Promise<PossessionChallenge>;
  /**
   * Issues the new set for the card's new public keys, only with a valid
   * proof of possession over a nonce of this renewal. Same renewalId and same
   * keys → the same certificates (a repeat needs no new proof).
   */
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

/** The issuing side as a service sees it: each request's gateway answers as the terminal that asked. */
export interface IssuingAuthority {
  forTerminal(terminal: TerminalIdentity): IssuanceGateway;
}
