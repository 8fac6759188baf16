import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import Database from 'better-sqlite3';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CardImage } from '../card/card-image';
import { resolveDate, type ResolvedPersona } from '../personas';
import { newCertificateExpiry, signatureCertificateRule } from '../../domain/eligibility';
import { ISSUER_CHALLENGE_LENGTH, SimulatedCa, issuerProofMessage, newOpaqueId, type CaKind, type RevocationReason } from './ca';
import { substituteMask, type SignatureHolder } from '../../card/jpki-certificate';
import { simulationDir } from '../card/card-state';
import { normaliseSerial } from '../../domain/certificate-serial';
import { japanDate } from '../../domain/japan-calendar';
import {
  GatewayError,
  type CertificateSlot,
  type CertificateStatus,
  type IssuanceGateway,
  type IssuedCertificate,
  type IssuedSet,
  type RenewalRequest,
  type ResidentRecord,
} from '../../issuance/gateway';

/**
 * The simulated J-LIS: the issuing service of tests, the emulator and the
 * trainer demo, behind the same `IssuanceGateway` the kiosk uses in
 * production. Nothing here is, or talks to, the real J-LIS.
 *
 * State lives in one folder (by default `simulationDir()`, shared with the
 * virtual card):
 *
 * - `ca/`: the SimulatedCa (CA keys and certificates, issuer-channel key);
 * - `jlis.sqlite`: residents, the certificates issued per renewal id, the
 *   confirmations and the revocation register (WAL, synchronous=FULL; each
 *   change is one transaction, so a crash never leaves half a record).
 *
 * The revocation register in SQLite is the source of truth: it is replayed
 * into the CA's memory on open, and every status answer also reads it, so
 * two processes sharing the folder agree.
 *
 * Idempotency (docs/card-protocol.md, "Recovery must not depend on the
 * atomic commit"): `issue` with a renewal id it has seen returns the stored
 * certificates, byte for byte, when the public keys are the same, and is
 * refused when they differ — unless `voidUnconfirmed` voided that issue
 * first (its certificates are then revoked and a new issue under the same
 * id starts a new generation).
 *
 * Fault injection (`setFault`) changes only what the caller sees, never the
 * stored state: a call that "times out" or answers garbage may still have
 * been carried out, exactly as over a real network.
 */

export const GATEWAY_OPERATIONS = [
  'lookupResident',
  'issuerProof',
  'issue',
  'issuedFor',
  'voidUnconfirmed',
  'confirmWritten',
  'certificateStatus',
] as const;
export type GatewayOperation = (typeof GATEWAY_OPERATIONS)[number];

/**
 * What an injected fault does to the next calls of an operation (`times`
 * calls, or every call until cleared when absent):
 *
 * - `latency`: answers correctly after `ms`.
 * - `timeout`: the call is carried out but never answers; after `ms` it
 *   fails with GatewayError 'timeout'. (An `issue` that timed out has issued.)
 * - `server-error`, `unavailable`: fails at once with that GatewayError; the
 *   call was not carried out.
 * - `garbled-answer`: the call is carried out, but the answer is damaged.
 *   Where the answer is bytes the caller must check (the certificates of
 *   `issue`, the proof of `issuerProof`), it gets the damaged bytes:
 *   `garble: 'unparseable'` (the default) cuts them short so they do not
 *   parse; `garble: 'wrong-key'` keeps them well-formed but for the wrong
 *   key (a certificate whose public key is not the card's and whose CA
 *   signature no longer verifies; a proof signed by a key that is not the
 *   issuer's). Other operations answer structured data that a client would
 *   fail to parse: they fail with GatewayError 'garbled-answer'.
 */
export type GatewayFault =
  | { kind: 'latency'; ms: number; times?: number }
  | { kind: 'timeout'; ms: number; times?: number }
  | { kind: 'server-error'; times?: number }
  | { kind: 'unavailable'; times?: number }
  | { kind: 'garbled-answer'; garble?: 'unparseable' | 'wrong-key'; times?: number };

/** What the validity rule is given: every date a YYYY-MM-DD Japan calendar date. */
export interface ExpiryRuleInput {
  dateOfBirth: string;
  /** The Japan date of the renewal. */
  renewedOn: string;
  /**
   * The last valid day of the certificates being replaced: absent for a
   * slot with no valid certificate (none on the card, or revoked), which is
   * then issued anew.
   */
  currentExpiry: { authentication?: string; signature?: string };
  cardExpires: string;
  periodOfStayEnds?: string;
}

/** The last valid day (YYYY-MM-DD, Japan) of each new certificate. */
export interface ExpiryRuleResult {
  authentication: string;
  signature: string;
}

export type ExpiryRule = (input: ExpiryRuleInput) => ExpiryRuleResult;

export interface SimulatedJlisOptions {
  /** The clock for `certificateStatus` ('expired') and the recorded times. Default: the system clock. */
  now?: () => Date;
  /** The validity of new certificates. Default: `defaultExpiryRule` (docs/domain.md, "Validity and the renewal window"). */
  expiryRule?: ExpiryRule;
}

/** A resident as `enrol` recorded it, with the persona behind it (trainer and tests). */
export interface EnrolledResident extends ResidentRecord {
  personaId: string;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS residents (
  id INTEGER PRIMARY KEY,
  persona_id TEXT NOT NULL,
  -- the current authentication certificate and signature certificate
  authentication_serial TEXT NOT NULL UNIQUE,
  authentication_expires TEXT NOT NULL,
  signature_serial TEXT,
  signature_expires TEXT,
  date_of_birth TEXT NOT NULL,
  card_expires TEXT NOT NULL,
  period_of_stay_ends TEXT,
  adult_ward INTEGER NOT NULL CHECK (adult_ward IN (0, 1)),
  signature_holder TEXT NOT NULL,
  enrolled_at TEXT NOT NULL
);
-- every authentication serial a resident ever had (the current one included)
CREATE TABLE IF NOT EXISTS authentication_serials (
  serial TEXT PRIMARY KEY,
  resident_id INTEGER NOT NULL REFERENCES residents(id)
);
-- one row per issue; a voided generation is followed by the next one
CREATE TABLE IF NOT EXISTS renewals (
  renewal_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  resident_id INTEGER NOT NULL REFERENCES residents(id),
  authentication_serial TEXT NOT NULL,
  renewed_on TEXT NOT NULL,
  authentication_key BLOB NOT NULL,
  signature_key BLOB,
  issued_at TEXT NOT NULL,
  voided_at TEXT,
  PRIMARY KEY (renewal_id, generation)
);
CREATE TABLE IF NOT EXISTS issued_certificates (
  renewal_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  slot TEXT NOT NULL CHECK (slot IN ('authentication', 'signature')),
  serial TEXT NOT NULL,
  der BLOB NOT NULL,
  not_after TEXT NOT NULL,
  PRIMARY KEY (renewal_id, generation, slot),
  FOREIGN KEY (renewal_id, generation) REFERENCES renewals(renewal_id, generation)
);
CREATE TABLE IF NOT EXISTS confirmations (
  renewal_id TEXT PRIMARY KEY,
  generation INTEGER NOT NULL,
  confirmed_at TEXT NOT NULL,
  FOREIGN KEY (renewal_id, generation) REFERENCES renewals(renewal_id, generation)
);
CREATE TABLE IF NOT EXISTS revocations (
  ca TEXT NOT NULL CHECK (ca IN ('authentication', 'signature')),
  serial TEXT NOT NULL,
  reason TEXT NOT NULL,
  revoked_at TEXT NOT NULL,
  renewal_id TEXT,
  PRIMARY KEY (ca, serial)
);
`;

interface ResidentRow {
  id: number;
  persona_id: string;
  authentication_serial: string;
  authentication_expires: string;
  signature_serial: string | null;
  signature_expires: string | null;
  date_of_birth: string;
  card_expires: string;
  period_of_stay_ends: string | null;
  adult_ward: number;
  signature_holder: string;
}

interface RenewalRow {
  renewal_id: string;
  generation: number;
  resident_id: number;
  authentication_serial: string;
  renewed_on: string;
  authentication_key: Buffer;
  signature_key: Buffer | null;
  voided_at: string | null;
  confirmed_at: string | null;
}

interface CertificateRow {
  slot: CertificateSlot;
  serial: string;
  der: Buffer;
  not_after: string;
}

interface RevocationRow {
  ca: CaKind;
  serial: string;
  reason: RevocationReason;
  revoked_at: string;
}

type FaultEntry = { fault: GatewayFault; left: number | undefined };

const JAPAN_DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_RENEWAL_ID_LENGTH = 200;

export class SimulatedJlis implements IssuanceGateway {
  readonly #dir: string;
  readonly #ca: SimulatedCa;
  readonly #db: Database.Database;
  readonly #now: () => Date;
  readonly #expiryRule: ExpiryRule;
  readonly #faults = new Map<GatewayOperation | '*', FaultEntry>();
  readonly #queues = new Map<string, Promise<unknown>>();
  #closed = false;

  private constructor(dir: string, ca: SimulatedCa, db: Database.Database, options: SimulatedJlisOptions) {
    this.#dir = dir;
    this.#ca = ca;
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#expiryRule = options.expiryRule ?? defaultExpiryRule;
    // The register in SQLite is the truth; the CA's memory follows it.
    for (const row of db.prepare('SELECT ca, serial, reason, revoked_at FROM revocations').all() as RevocationRow[]) {
      ca.revoke({ ca: row.ca, serialNumber: row.serial }, row.reason, new Date(row.revoked_at));
    }
  }

  /** Opens the simulated J-LIS kept in `dir` (the CA in `dir/ca`, the database `dir/jlis.sqlite`), creating it when missing. */
  static async open(dir: string, options: SimulatedJlisOptions = {}): Promise<SimulatedJlis> {
    mkdirSync(dir, { recursive: true });
    const ca = await SimulatedCa.openOrCreate(join(dir, 'ca'));
    const db = new Database(join(dir, 'jlis.sqlite'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db, dir);
      return new SimulatedJlis(dir, ca, db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  get dir(): string {
    return this.#dir;
  }

  /** The CA behind the service: build persona card images with it so the service knows their certificates. */
  get ca(): SimulatedCa {
    return this.#ca;
  }

  // -------------------------------------------------------------------------
  // Residents (not part of the gateway: the simulation's resident register).

  /**
   * Records the resident behind a persona's card: keyed by the serial of the
   * card's authentication certificate, so enrolling the same card again
   * changes nothing and returns the record as it stands. The persona's
   * revoked certificates are entered in the revocation register.
   */
  enrol(persona: ResolvedPersona, image: CardImage): EnrolledResident {
    this.#open();
    const { holder, card } = persona;
    if (!holder || !card.expires || card.kind === 'not-my-number') {
      throw new Error(`enrol ${persona.id}: not a card the issuing service knows (no holder, no card expiry, or not a My Number Card)`);
    }
    const authenticationDer = certificateOf(image, 'authentication');
    if (!authenticationDer) throw new Error(`enrol ${persona.id}: the card has no authentication certificate to identify the resident by`);
    const signatureDer = certificateOf(image, 'signature');
    for (const [slot, der] of [
      ['authentication', authenticationDer],
      ['signature', signatureDer],
    ] as const) {
      if (der && this.#ca.status(der).status === 'unknown')
        throw new Error(`enrol ${persona.id}: the card's ${slot} certificate was not issued by this simulated CA`);
    }
    const authentication = describeCertificate(authenticationDer);
    const signature = signatureDer && describeCertificate(signatureDer);

    const revocations: RevocationRow[] = [];
    for (const [slot, der] of [
      ['authentication', authenticationDer],
      ['signature', signatureDer],
    ] as const) {
      const entry = persona.certificates?.[slot];
      if (entry?.state !== 'revoked' || !der) continue;
      // As build-card-image.ts does: revoked on the persona's Japan date, 09:00.
      const revokedAt = new Date(`${entry.revokedOn ?? persona.resolvedOn}T09:00:00+09:00`);
      revocations.push({
        ca: slot,
        serial: describeCertificate(der).serialNumber,
        reason: entry.revokedReason ?? 'unspecified',
        revoked_at: revokedAt.toISOString(),
      });
    }

    const signatureHolder: NonNullable<ResidentRecord['signatureHolder']> = dropUndefined({
      name: holder.name,
      nameAlternate: holder.nameAlternate,
      address: holder.address,
      addressAlternate: holder.addressAlternate,
      prefecture: holder.prefecture,
      municipality: holder.municipality,
      sex: String(holder.sex) as '1' | '2' | '9',
    });

    this.#db
      .transaction(() => {
        this.#insertRevocations(revocations, null);
        if (this.#db.prepare('SELECT 1 FROM authentication_serials WHERE serial = ?').get(authentication.serialNumber)) return;
        const { lastInsertRowid } = this.#db
          .prepare(
            `INSERT INTO residents (persona_id, authentication_serial, authentication_expires, signature_serial, signature_expires,
               date_of_birth, card_expires, period_of_stay_ends, adult_ward, signature_holder, enrolled_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            persona.id,
            authentication.serialNumber,
            japanDate(authentication.notAfter),
            signature?.serialNumber ?? null,
            signature ? japanDate(signature.notAfter) : null,
            holder.dateOfBirth,
            card.expires,
            persona.residence?.periodOfStayEnds ?? null,
            holder.adultWard ? 1 : 0,
            JSON.stringify(signatureHolder),
            this.#now().toISOString(),
          );
        this.#db
          .prepare('INSERT INTO authentication_serials (serial, resident_id) VALUES (?, ?)')
          .run(authentication.serialNumber, lastInsertRowid);
      })
      .immediate();
    this.#applyRevocations(revocations);
    const resident = this.#residentBySerial(authentication.serialNumber);
    if (!resident) throw new Error(`enrol ${persona.id}: the resident was not recorded`);
    return { personaId: resident.persona_id, ...toRecord(resident) };
  }

  // -------------------------------------------------------------------------
  // The gateway.

  /**
   * The resident behind an authentication serial: the current one, or one
   * the resident had before a confirmed renewal (the record then names the
   * current serial, which differs from the one asked about). A serial issued
   * under a renewal not yet confirmed is not known yet.
   */
  lookupResident(authenticationSerial: string): Promise<ResidentRecord | undefined> {
    return this.#call('lookupResident', async () => {
      const resident = this.#residentBySerial(normaliseSerial(authenticationSerial));
      return resident && toRecord(resident);
    });
  }

  issuerProof(renewalId: string, challenge: Uint8Array): Promise<Uint8Array> {
    return this.#call<Uint8Array>(
      'issuerProof',
      async () => {
        checkRenewalId(renewalId);
        if (!(challenge instanceof Uint8Array) || challenge.length !== ISSUER_CHALLENGE_LENGTH) {
          throw new GatewayError('refused', `the issuer challenge is ${ISSUER_CHALLENGE_LENGTH} bytes`);
        }
        return new Uint8Array(this.#ca.signIssuerProof(challenge));
      },
      (proof, garble) => (garble === 'wrong-key' ? proofByAnotherKey(challenge) : proof.slice(0, proof.length >> 1)),
    );
  }

  issue(request: RenewalRequest): Promise<IssuedSet> {
    return this.#call('issue', () => this.#exclusive(`renewal:${request.renewalId}`, () => this.#issue(request)), garbleIssuedSet);
  }

  issuedFor(renewalId: string): Promise<IssuedSet | undefined> {
    return this.#call('issuedFor', async () => {
      checkRenewalId(renewalId);
      const renewal = this.#activeRenewal(renewalId);
      return renewal && toIssuedSet(renewal.renewal_id, this.#certificates(renewal));
    });
  }

  voidUnconfirmed(renewalId: string): Promise<void> {
    return this.#call('voidUnconfirmed', () =>
      this.#exclusive(`renewal:${renewalId}`, async () => {
        checkRenewalId(renewalId);
        const revocations = this.#db
          .transaction((): RevocationRow[] => {
            const renewal = this.#latestRenewal(renewalId);
            if (!renewal || renewal.voided_at !== null) return [];
            if (renewal.confirmed_at !== null)
              throw new GatewayError('refused', `renewal ${renewalId} is confirmed: its certificates are on the card and cannot be voided`);
            return this.#voidGeneration(renewal);
          })
          .immediate();
        this.#applyRevocations(revocations);
      }),
    );
  }

  /**
   * The new set is on the card: the certificates it replaces are revoked
   * ('renewed'; the signature certificate only when a new one was issued),
   * and the new authentication serial becomes the resident's current one.
   * Other unconfirmed renewals of the same certificate are voided. Repeating
   * it changes nothing.
   */
  confirmWritten(renewalId: string): Promise<void> {
    return this.#call('confirmWritten', () =>
      this.#exclusive(`renewal:${renewalId}`, async () => {
        checkRenewalId(renewalId);
        const revocations = this.#db
          .transaction((): RevocationRow[] => {
            const renewal = this.#latestRenewal(renewalId);
            if (!renewal) throw new GatewayError('refused', `no certificates were issued under renewal ${renewalId}`);
            if (renewal.voided_at !== null) throw new GatewayError('refused', `the certificates of renewal ${renewalId} were voided`);
            if (renewal.confirmed_at !== null) return [];
            const resident = this.#db.prepare('SELECT * FROM residents WHERE id = ?').get(renewal.resident_id) as ResidentRow;
            if (resident.authentication_serial !== renewal.authentication_serial) {
              throw new GatewayError(
                'refused',
                `renewal ${renewalId} replaces ${renewal.authentication_serial}, which another renewal has already replaced`,
              );
            }
            const issued = this.#certificates(renewal);
            const newAuthentication = issued.find((row) => row.slot === 'authentication');
            const newSignature = issued.find((row) => row.slot === 'signature');
            if (!newAuthentication) throw new Error(`renewal ${renewalId}: no authentication certificate stored`);
            const at = this.#now().toISOString();
            const revocations: RevocationRow[] = [
              { ca: 'authentication', serial: resident.authentication_serial, reason: 'renewed', revoked_at: at },
            ];
            if (newSignature && resident.signature_serial)
              revocations.push({ ca: 'signature', serial: resident.signature_serial, reason: 'renewed', revoked_at: at });
            this.#insertRevocations(revocations, renewalId);
            this.#db
              .prepare('INSERT INTO confirmations (renewal_id, generation, confirmed_at) VALUES (?, ?, ?)')
              .run(renewalId, renewal.generation, at);
            this.#db
              .prepare(
                `UPDATE residents SET authentication_serial = ?, authentication_expires = ?,
                   signature_serial = COALESCE(?, signature_serial), signature_expires = COALESCE(?, signature_expires) WHERE id = ?`,
              )
              .run(
                newAuthentication.serial,
                japanDate(new Date(newAuthentication.not_after)),
                newSignature?.serial ?? null,
                newSignature ? japanDate(new Date(newSignature.not_after)) : null,
                resident.id,
              );
            this.#db
              .prepare('INSERT OR IGNORE INTO authentication_serials (serial, resident_id) VALUES (?, ?)')
              .run(newAuthentication.serial, resident.id);
            // Other issues for the same old certificate can no longer be confirmed: void them.
            const others = this.#db
              .prepare(
                `SELECT r.*, NULL AS confirmed_at FROM renewals r
                 WHERE r.resident_id = ? AND r.authentication_serial = ? AND r.renewal_id <> ? AND r.voided_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM confirmations c WHERE c.renewal_id = r.renewal_id AND c.generation = r.generation)`,
              )
              .all(resident.id, renewal.authentication_serial, renewalId) as RenewalRow[];
            for (const other of others) revocations.push(...this.#voidGeneration(other));
            return revocations;
          })
          .immediate();
        this.#applyRevocations(revocations);
      }),
    );
  }

  certificateStatus(der: Uint8Array): Promise<CertificateStatus> {
    return this.#call('certificateStatus', async () => {
      const status = this.#ca.status(der);
      if (status.status === 'unknown') return 'unknown';
      if (status.status === 'revoked') return 'revoked';
      if (this.#db.prepare('SELECT 1 FROM revocations WHERE ca = ? AND serial = ?').get(status.ca, status.serialNumber)) return 'revoked';
      return this.#now().getTime() > new X509Certificate(der).notAfter.getTime() ? 'expired' : 'valid';
    });
  }

  // -------------------------------------------------------------------------
  // Fault injection.

  /** Sets (or, with undefined, clears) the fault of one operation, or of every operation with '*'. An operation's own fault wins over '*'. */
  setFault(operation: GatewayOperation | '*', fault: GatewayFault | undefined): void {
    if (operation !== '*' && !(GATEWAY_OPERATIONS as readonly string[]).includes(operation))
      throw new RangeError(`setFault: no operation ${String(operation)}`);
    if (!fault) {
      this.#faults.delete(operation);
      return;
    }
    if ((fault.kind === 'latency' || fault.kind === 'timeout') && !(Number.isFinite(fault.ms) && fault.ms >= 0)) {
      throw new RangeError(`setFault: ${fault.kind} needs ms ≥ 0`);
    }
    if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0))
      throw new RangeError('setFault: times is a whole number ≥ 1');
    this.#faults.set(operation, { fault: { ...fault }, left: fault.times });
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** The faults in force, with the calls each has left (for the trainer's panel). */
  get faults(): { operation: GatewayOperation | '*'; fault: GatewayFault; callsLeft?: number }[] {
    return [...this.#faults].map(([operation, entry]) => ({
      operation,
      fault: { ...entry.fault },
      ...(entry.left === undefined ? {} : { callsLeft: entry.left }),
    }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  // -------------------------------------------------------------------------
  // Inside.

  #open(): void {
    if (this.#closed) throw new Error(`the simulated J-LIS in ${this.#dir} is closed`);
  }

  #takeFault(operation: GatewayOperation): GatewayFault | undefined {
    const key = this.#faults.has(operation) ? operation : this.#faults.has('*') ? '*' : undefined;
    if (key === undefined) return undefined;
    const entry = this.#faults.get(key) as FaultEntry;
    if (entry.left !== undefined) {
      entry.left -= 1;
      if (entry.left <= 0) this.#faults.delete(key);
    }
    return entry.fault;
  }

  /** Runs an operation through the fault in force, if any. */
  async #call<T>(
    operation: GatewayOperation,
    run: () => Promise<T>,
    garble?: (answer: T, how: 'unparseable' | 'wrong-key') => T,
  ): Promise<T> {
    this.#open();
    const fault = this.#takeFault(operation);
    if (!fault) return run();
    switch (fault.kind) {
      case 'latency':
        await sleep(fault.ms);
        this.#open();
        return run();
      case 'timeout': {
        const started = performance.now();
        // Carried out all the same: only the answer is lost.
        await run().catch(() => undefined);
        await sleep(Math.max(0, fault.ms - (performance.now() - started)));
        throw new GatewayError('timeout', `simulated J-LIS: ${operation} did not answer within ${fault.ms} ms (injected)`);
      }
      case 'server-error':
        throw new GatewayError('server-error', `simulated J-LIS: ${operation} failed with a server error (injected)`);
      case 'unavailable':
        throw new GatewayError('unavailable', `simulated J-LIS: the service is unavailable (injected, ${operation})`);
      case 'garbled-answer': {
        const answer = await run();
        if (garble) return garble(answer, fault.garble ?? 'unparseable');
        throw new GatewayError('garbled-answer', `simulated J-LIS: the answer to ${operation} does not parse (injected)`);
      }
    }
  }

  /** One task at a time per key (a renewal id), so a repeated call waits for the first instead of issuing twice. */
  async #exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const tail = run.catch(() => undefined);
    this.#queues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    }
  }

  async #issue(request: RenewalRequest): Promise<IssuedSet> {
    this.#open();
    const { renewalId, renewedOn } = request;
    checkRenewalId(renewalId);
    if (typeof renewedOn !== 'string' || !JAPAN_DATE.test(renewedOn) || resolveDateOrUndefined(renewedOn) !== renewedOn) {
      throw new GatewayError('refused', `renewedOn is not a YYYY-MM-DD date: ${String(renewedOn)}`);
    }
    const authenticationSerial = normaliseSerial(String(request.authenticationSerial ?? ''));
    const keys = {
      authentication: canonicalRsaSpki(request.publicKeys?.authentication, 'authentication'),
      signature: request.publicKeys?.signature === undefined ? undefined : canonicalRsaSpki(request.publicKeys.signature, 'signature'),
    };
    if (keys.signature?.equals(keys.authentication))
      throw new GatewayError('refused', 'the signature key is the authentication key: each certificate has its own key pair');

    const stored = this.#activeRenewal(renewalId);
    if (stored) return this.#replay(stored, authenticationSerial, keys);

    const resident = this.#currentResident(authenticationSerial);
    const holder = JSON.parse(resident.signature_holder) as NonNullable<ResidentRecord['signatureHolder']>;
    if (resident.card_expires < renewedOn)
      throw new GatewayError('refused', `the card expired on ${resident.card_expires}: a new card is needed`);
    if (resident.period_of_stay_ends !== null && resident.period_of_stay_ends < renewedOn) {
      throw new GatewayError('refused', `the period of stay ended on ${resident.period_of_stay_ends}`);
    }
    const signatureValid = resident.signature_serial !== null && !this.#isRevoked('signature', resident.signature_serial);
    const expiry = this.#expiryRule({
      dateOfBirth: resident.date_of_birth,
      renewedOn,
      currentExpiry: {
        authentication: resident.authentication_expires,
        ...(signatureValid && resident.signature_expires ? { signature: resident.signature_expires } : {}),
      },
      cardExpires: resident.card_expires,
      ...(resident.period_of_stay_ends ? { periodOfStayEnds: resident.period_of_stay_ends } : {}),
    });
    const authenticationExpires = expiry.authentication;
    const signatureExpires = expiry.signature < authenticationExpires ? expiry.signature : authenticationExpires;
    if (
      !JAPAN_DATE.test(authenticationExpires) ||
      authenticationExpires < renewedOn ||
      !JAPAN_DATE.test(signatureExpires) ||
      signatureExpires < renewedOn
    ) {
      throw new GatewayError(
        'refused',
        `no valid certificate can be issued on ${renewedOn} (the validity rule gives ${authenticationExpires} / ${expiry.signature})`,
      );
    }
    const withSignature =
      keys.signature !== undefined &&
      signatureCertificateRule({ dateOfBirth: resident.date_of_birth, on: renewedOn, adultWard: resident.adult_ward === 1 }).issued;

    const [authentication, signature] = await Promise.all([
      this.#ca.issueAuthentication({
        publicKey: keys.authentication,
        opaqueId: newOpaqueId(),
        notBefore: renewedOn,
        notAfter: authenticationExpires,
      }),
      withSignature && keys.signature
        ? this.#ca.issueSignature({
            publicKey: keys.signature,
            holder: caSignatureHolder(holder, resident.date_of_birth),
            notBefore: renewedOn,
            notAfter: signatureExpires,
          })
        : Promise.resolve(undefined),
    ]);
    this.#open();

    return this.#db
      .transaction((): IssuedSet => {
        // Another process may have issued under this id meanwhile: its answer stands.
        const raced = this.#activeRenewal(renewalId);
        if (raced) return this.#replay(raced, authenticationSerial, keys);
        this.#currentResident(authenticationSerial);
        const generation =
          ((this.#db.prepare('SELECT MAX(generation) AS g FROM renewals WHERE renewal_id = ?').get(renewalId) as { g: number | null }).g ??
            0) + 1;
        this.#db
          .prepare(
            `INSERT INTO renewals (renewal_id, generation, resident_id, authentication_serial, renewed_on, authentication_key, signature_key, issued_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            renewalId,
            generation,
            resident.id,
            authenticationSerial,
            renewedOn,
            keys.authentication,
            keys.signature ?? null,
            this.#now().toISOString(),
          );
        const insert = this.#db.prepare(
          'INSERT INTO issued_certificates (renewal_id, generation, slot, serial, der, not_after) VALUES (?, ?, ?, ?, ?, ?)',
        );
        insert.run(
          renewalId,
          generation,
          'authentication',
          authentication.serialNumber,
          authentication.der,
          authentication.notAfter.toISOString(),
        );
        if (signature)
          insert.run(renewalId, generation, 'signature', signature.serialNumber, signature.der, signature.notAfter.toISOString());
        return toIssuedSet(renewalId, this.#certificates({ renewal_id: renewalId, generation }));
      })
      .immediate();
  }

  /** The stored answer to a repeated issue: the same certificates for the same keys, refused for others. */
  #replay(renewal: RenewalRow, authenticationSerial: string, keys: { authentication: Buffer; signature: Buffer | undefined }): IssuedSet {
    const sameKeys =
      renewal.authentication_key.equals(keys.authentication) &&
      (renewal.signature_key === null
        ? keys.signature === undefined
        : keys.signature !== undefined && renewal.signature_key.equals(keys.signature));
    if (renewal.authentication_serial !== authenticationSerial) {
      throw new GatewayError(
        'refused',
        `renewal ${renewal.renewal_id} was issued for another certificate (${renewal.authentication_serial})`,
      );
    }
    if (!sameKeys) {
      throw new GatewayError(
        'refused',
        `renewal ${renewal.renewal_id} was issued for other public keys: void it first (voidUnconfirmed) to issue for new keys`,
      );
    }
    return toIssuedSet(renewal.renewal_id, this.#certificates(renewal));
  }

  #currentResident(authenticationSerial: string): ResidentRow {
    const resident = this.#db.prepare('SELECT * FROM residents WHERE authentication_serial = ?').get(authenticationSerial) as
      ResidentRow | undefined;
    if (!resident) {
      const known = this.#residentBySerial(authenticationSerial);
      throw new GatewayError(
        'refused',
        known
          ? `certificate ${authenticationSerial} was replaced by ${known.authentication_serial}`
          : `no resident holds the authentication certificate ${authenticationSerial}`,
      );
    }
    if (this.#isRevoked('authentication', authenticationSerial))
      throw new GatewayError('refused', `the authentication certificate ${authenticationSerial} is revoked`);
    return resident;
  }

  #residentBySerial(serial: string): ResidentRow | undefined {
    return this.#db
      .prepare('SELECT r.* FROM residents r JOIN authentication_serials s ON s.resident_id = r.id WHERE s.serial = ?')
      .get(serial) as ResidentRow | undefined;
  }

  #latestRenewal(renewalId: string): RenewalRow | undefined {
    return this.#db
      .prepare(
        `SELECT r.*, c.confirmed_at FROM renewals r
         LEFT JOIN confirmations c ON c.renewal_id = r.renewal_id AND c.generation = r.generation
         WHERE r.renewal_id = ? ORDER BY r.generation DESC LIMIT 1`,
      )
      .get(renewalId) as RenewalRow | undefined;
  }

  #activeRenewal(renewalId: string): RenewalRow | undefined {
    const renewal = this.#latestRenewal(renewalId);
    return renewal && renewal.voided_at === null ? renewal : undefined;
  }

  #certificates(renewal: { renewal_id: string; generation: number }): CertificateRow[] {
    return this.#db
      .prepare('SELECT slot, serial, der, not_after FROM issued_certificates WHERE renewal_id = ? AND generation = ? ORDER BY slot')
      .all(renewal.renewal_id, renewal.generation) as CertificateRow[];
  }

  /** Marks a generation void and revokes its certificates (they never reached a card). Inside a transaction. */
  #voidGeneration(renewal: RenewalRow): RevocationRow[] {
    const at = this.#now().toISOString();
    this.#db
      .prepare('UPDATE renewals SET voided_at = ? WHERE renewal_id = ? AND generation = ?')
      .run(at, renewal.renewal_id, renewal.generation);
    const revocations = this.#certificates(renewal).map((row): RevocationRow => ({
      ca: row.slot,
      serial: row.serial,
      reason: 'unspecified',
      revoked_at: at,
    }));
    this.#insertRevocations(revocations, renewal.renewal_id);
    return revocations;
  }

  #insertRevocations(revocations: RevocationRow[], renewalId: string | null): void {
    const insert = this.#db.prepare(
      'INSERT OR IGNORE INTO revocations (ca, serial, reason, revoked_at, renewal_id) VALUES (?, ?, ?, ?, ?)',
    );
    for (const row of revocations) insert.run(row.ca, row.serial, row.reason, row.revoked_at, renewalId);
  }

  /** After the transaction committed: the CA's memory follows the register. */
  #applyRevocations(revocations: RevocationRow[]): void {
    for (const row of revocations) this.#ca.revoke({ ca: row.ca, serialNumber: row.serial }, row.reason, new Date(row.revoked_at));
  }

  #isRevoked(ca: CaKind, serial: string): boolean {
    return this.#db.prepare('SELECT 1 FROM revocations WHERE ca = ? AND serial = ?').get(ca, serial) !== undefined;
  }
}

/** The simulated J-LIS in the simulation folder (`$MYNA_KIOSK_SIM_DIR` or the cache), sharing its CA with the virtual card. */
export function openSimulatedJlis(simDir?: string, options: SimulatedJlisOptions = {}): Promise<SimulatedJlis> {
  return SimulatedJlis.open(simulationDir(simDir), options);
}

/**
 * The validity rule (docs/domain.md, "Validity and the renewal window"),
 * from the eligibility module: inside its window a slot runs to the 6th
 * birthday, otherwise (and issued anew) to the 5th; capped by the card's
 * expiry and the period of stay; the signature certificate never outlives
 * the authentication one.
 */
export function defaultExpiryRule(input: ExpiryRuleInput): ExpiryRuleResult {
  // The kiosk's own eligibility rules (main/session/eligibility.ts): one implementation of validity.
  const common = {
    dateOfBirth: input.dateOfBirth,
    renewedOn: input.renewedOn,
    cardExpires: input.cardExpires,
    ...(input.periodOfStayEnds ? { periodOfStayEnds: input.periodOfStayEnds } : {}),
  };
  const authentication = newCertificateExpiry({
    ...common,
    ...(input.currentExpiry.authentication ? { currentExpiry: input.currentExpiry.authentication } : {}),
  }).expiresOn;
  const signature = newCertificateExpiry({
    ...common,
    ...(input.currentExpiry.signature ? { currentExpiry: input.currentExpiry.signature } : {}),
    authenticationExpires: authentication,
  }).expiresOn;
  return { authentication, signature };
}

// ---------------------------------------------------------------------------
// Helpers.

function migrate(db: Database.Database, dir: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new Error(`the simulated J-LIS in ${dir} was written by a newer version (schema ${version} > ${SCHEMA_VERSION})`);
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

function checkRenewalId(renewalId: string): void {
  if (typeof renewalId !== 'string' || renewalId.length === 0 || renewalId.length > MAX_RENEWAL_ID_LENGTH) {
    throw new GatewayError('refused', `a renewal id is 1–${MAX_RENEWAL_ID_LENGTH} characters`);
  }
}

function resolveDateOrUndefined(date: string): string | undefined {
  try {
    return resolveDate(date, date);
  } catch {
    return undefined;
  }
}

/** The SPKI DER of an RSA-2048 public key, re-encoded so that equal keys compare equal byte for byte. */
function canonicalRsaSpki(spki: Uint8Array | undefined, slot: CertificateSlot): Buffer {
  if (!(spki instanceof Uint8Array)) throw new GatewayError('refused', `no ${slot} public key`);
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (error) {
    throw new GatewayError('refused', `the ${slot} public key is not an SPKI`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== 2048) {
    throw new GatewayError('refused', `the ${slot} public key is not RSA-2048`);
  }
  return key.export({ type: 'spki', format: 'der' });
}

function certificateOf(image: CardImage, slot: CertificateSlot): Buffer | undefined {
  const base64 = image.jpki?.[slot].certificate;
  return base64 ? Buffer.from(base64, 'base64') : undefined;
}

function describeCertificate(der: Uint8Array): { serialNumber: string; notAfter: Date } {
  const certificate = new X509Certificate(der);
  return { serialNumber: normaliseSerial(certificate.serialNumber), notAfter: certificate.notAfter };
}

function toRecord(row: ResidentRow): ResidentRecord {
  return {
    authenticationSerial: row.authentication_serial,
    dateOfBirth: row.date_of_birth,
    cardExpires: row.card_expires,
    ...(row.period_of_stay_ends ? { periodOfStayEnds: row.period_of_stay_ends } : {}),
    adultWard: row.adult_ward === 1,
    signatureHolder: JSON.parse(row.signature_holder) as NonNullable<ResidentRecord['signatureHolder']>,
  };
}

function toIssuedSet(renewalId: string, rows: CertificateRow[]): IssuedSet {
  const certificate = (slot: CertificateSlot): IssuedCertificate | undefined => {
    const row = rows.find((item) => item.slot === slot);
    return row && { der: new Uint8Array(row.der), serialNumber: row.serial, notAfter: new Date(row.not_after) };
  };
  const authentication = certificate('authentication');
  if (!authentication) throw new Error(`renewal ${renewalId}: no authentication certificate stored`);
  const signature = certificate('signature');
  return { renewalId, authentication, ...(signature ? { signature } : {}) };
}

/** The signature certificate's holder as the CA takes it: the certificate's text, with the substitute masks. */
function caSignatureHolder(holder: NonNullable<ResidentRecord['signatureHolder']>, dateOfBirth: string): SignatureHolder {
  return dropUndefined({
    name: holder.nameAlternate ?? holder.name,
    nameSubstitutes: substituteMask(holder.name, holder.nameAlternate),
    address: holder.addressAlternate ?? holder.address,
    addressSubstitutes: substituteMask(holder.address, holder.addressAlternate),
    prefecture: holder.prefecture,
    municipality: holder.municipality,
    dateOfBirth,
    sex: Number(holder.sex) as 1 | 2 | 9,
  });
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A garbled `issue` answer: the same set, with every certificate damaged the same way. */
function garbleIssuedSet(set: IssuedSet, how: 'unparseable' | 'wrong-key'): IssuedSet {
  const damage = (certificate: IssuedCertificate): IssuedCertificate => ({
    ...certificate,
    der: how === 'wrong-key' ? withWrongKey(certificate.der) : certificate.der.slice(0, certificate.der.length >> 1),
  });
  return { ...set, authentication: damage(set.authentication), ...(set.signature ? { signature: damage(set.signature) } : {}) };
}

/**
 * The certificate with one byte of its RSA modulus changed: still DER, still
 * the same serial and dates, but the key is not the card's and the CA's
 * signature no longer verifies.
 */
function withWrongKey(der: Uint8Array): Uint8Array {
  const spki = Buffer.from(new X509Certificate(der).publicKey.rawData);
  const bytes = new Uint8Array(der);
  const at = Buffer.from(der).indexOf(spki);
  if (at < 0) return bytes.slice(0, bytes.length >> 1);
  const middle = at + (spki.length >> 1);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0x5a;
  return bytes;
}

/** A well-formed issuer proof (raw r‖s, 64 bytes) over the right message, by a P-256 key that is not the issuer's. */
function proofByAnotherKey(challenge: Uint8Array): Uint8Array {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return new Uint8Array(sign('sha256', issuerProofMessage(challenge), { key: privateKey, dsaEncoding: 'ieee-p1363' }));
}
