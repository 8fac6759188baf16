import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { createPublicKey, randomBytes, verify as verifySignature, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SignatureHolder } from '../../card/jpki-certificate';
import { substituteMask } from '../../card/jpki-certificate';
import { normaliseSerial } from '../../domain/certificate-serial';
import { newCertificateSetExpiry, signatureCertificateRule, type CertificateSetExpiryInput } from '../../domain/eligibility';
import { isJapanDate, japanDate } from '../../domain/japan-calendar';
import {
  GatewayError,
  type CertificateSlot,
  type CertificateStatus,
  type IssuanceGateway,
  type IssuedCertificate,
  type IssuedSet,
  type IssuerProofRequest,
  type PossessionChallenge,
  type RenewalRequest,
  type ResidentRecord,
  type TerminalIdentity,
} from '../../issuance/gateway';
import { POSSESSION_NONCE_LENGTH, possessionMessage } from '../../issuance/possession';
import { identityCheckSchema, renewalIdSchema } from '../../issuance/wire';
import { ISSUER_PURPOSES } from '../../domain/issuer-purpose';
import { RENEWAL_ROUTES } from '../../../preload/vocabulary';
import type { CardImage } from '../card/card-image';
import { simulationDir } from '../simulation-dir';
import { revocationInstant, type ResolvedPersona } from '../personas';
import { ISSUER_CHALLENGE_LENGTH, referenceHash } from '../issuer-proof';
import { SimulatedCa, newOpaqueId } from './ca';
import { FaultInjector, garbleIssuedSet, garbleIssuerProof, type Garble, type GatewayFault, type GatewayOperation } from './faults';
import type { PgliteOptions } from '../../base/sql-database';
import { JlisStore, type CertificateRow, type RenewalRow, type ResidentRow, type RevocationRow } from './storage';

export { GATEWAY_OPERATIONS, type GatewayFault, type GatewayOperation } from './faults';

/**
 * The simulated J-LIS: the issuing service of tests, the emulator and the
 * trainer demo, behind the same `IssuanceGateway` the kiosk uses in
 * production. Nothing here is, or talks to, the real J-LIS.
 *
 * State lives in one folder (by default `simulationDir()`, shared with the
 * virtual card): `ca/`, the SimulatedCa (CA keys and certificates,
 * issuer-channel key), and `jlis-pg/`, the records in an embedded PGlite
 * (storage.ts) — or, with the `database` option, a PostgreSQL server that
 * several service processes share.
 *
 * The revocation register in the database is the source of truth: it is
 * replayed into the CA's memory on open, and every status answer also reads
 * it, so processes sharing one database agree. The rules "one issuance per
 * renewal id", "revoked once" and "a possession nonce allows one issue" are
 * the database's (schema.ts); each change is one serializable transaction,
 * tried again when another process got there first, so that process's
 * answer stands.
 *
 * Idempotency (docs/card-protocol.md, "Recovery must not depend on the
 * atomic commit"): `issue` with a renewal id it has seen returns the stored
 * certificates, byte for byte, when the public keys are the same, and is
 * refused when they differ — unless `voidUnconfirmed` voided that issue
 * first (its certificates are then revoked and a new issue under the same
 * id starts a new generation).
 *
 * Faults (`setFault`, faults.ts) change only what the caller sees, never the
 * stored state.
 */

/** The last valid day (YYYY-MM-DD, Japan) of each new certificate. */
export interface ExpiryRuleResult {
  authentication: string;
  signature: string;
}

/** The validity of new certificates, from the holder's record (a test may stage another). */
export type ExpiryRule = (input: CertificateSetExpiryInput) => ExpiryRuleResult;

export interface SimulatedJlisOptions {
  /** The clock for `certificateStatus` ('expired') and the recorded times. Default: the system clock. */
  now?: () => Date;
  /** The validity of new certificates. Default: `defaultExpiryRule` (docs/domain.md, "Validity and the renewal window"). */
  expiryRule?: ExpiryRule;
  /**
   * Who calls the gateway methods of this object directly (in-process tests
   * and tools). Default: a counter terminal named `simulation`. The issuing
   * service gives each request its caller with `forTerminal`.
   */
  terminal?: TerminalIdentity;
  /** The records on a PostgreSQL server (`postgres://…`) instead of the embedded PGlite in the folder. */
  database?: string;
  /** PGlite only: where its prepared empty database is kept, and how long opening took (storage.ts). */
  pglite?: PgliteOptions;
}

/** How long a possession nonce may wait for its issue. */
export const POSSESSION_CHALLENGE_LIFETIME_MS = 10 * 60_000;

/** A resident as `enrol` recorded it, with the persona behind it (trainer and tests). */
export interface EnrolledResident extends ResidentRecord {
  personaId: string;
}

export class SimulatedJlis implements IssuanceGateway {
  readonly #dir: string;
  readonly #ca: SimulatedCa;
  readonly #store: JlisStore;
  readonly #now: () => Date;
  readonly #expiryRule: ExpiryRule;
  readonly #faults = new FaultInjector();
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #terminal: TerminalIdentity;
  #closed = false;

  private constructor(dir: string, ca: SimulatedCa, store: JlisStore, options: SimulatedJlisOptions) {
    this.#dir = dir;
    this.#ca = ca;
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
    this.#expiryRule = options.expiryRule ?? defaultExpiryRule;
    this.#terminal = options.terminal ?? { id: 'simulation', role: 'counter' };
  }

  /**
   * Opens the simulated J-LIS kept in `dir` (the CA in `dir/ca`, the records
   * in `dir/jlis-pg` or at `options.database`), creating it when missing.
   */
  static async open(dir: string, options: SimulatedJlisOptions = {}): Promise<SimulatedJlis> {
    mkdirSync(dir, { recursive: true });
    const ca = await SimulatedCa.openOrCreate(join(dir, 'ca'));
    const store = await JlisStore.open(dir, {
      ...(options.database !== undefined ? { database: options.database } : {}),
      ...(options.pglite ? { pglite: options.pglite } : {}),
    });
    try {
      const jlis = new SimulatedJlis(dir, ca, store, options);
      // The register in the database is the truth; the CA's memory follows it.
      jlis.#applyRevocations(await store.revocations());
      return jlis;
    } catch (error) {
      // A register that cannot be replayed leaves nothing open behind it.
      await store.close();
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

  /** The records (tests and tools: counts, a rule proven at the database). */
  get records(): JlisStore {
    return this.#store;
  }

  /** Where the records are: the PGlite directory, or the PostgreSQL URL without its password. */
  get database(): string {
    return this.#store.where;
  }

  /** How many certificate sets were issued under each renewal id, voided ones included (at most one stands). */
  issuesPerRenewal(): Promise<Map<string, number>> {
    this.#open();
    return this.#track(this.#store.issuesPerRenewal());
  }

  // -------------------------------------------------------------------------
  // Residents (not part of the gateway: the simulation's resident register).

  /**
   * Records the resident behind a persona's card: keyed by the serial of the
   * card's authentication certificate, so enrolling the same card again
   * changes nothing and returns the record as it stands. The persona's
   * revoked certificates are entered in the revocation register.
   */
  enrol(persona: ResolvedPersona, image: CardImage): Promise<EnrolledResident> {
    this.#open();
    return this.#track(this.#enrol(persona, image));
  }

  async #enrol(persona: ResolvedPersona, image: CardImage): Promise<EnrolledResident> {
    const { holder, card } = persona;
    const cardExpires = card.expires;
    if (!holder || !cardExpires || card.kind === 'not-my-number') {
      throw new Error(`enrol ${persona.id}: not a card the issuing service knows (no holder, no card expiry, or not a My Number Card)`);
    }
    const certificates = { authentication: certificateOf(image, 'authentication'), signature: certificateOf(image, 'signature') };
    if (!certificates.authentication) {
      throw new Error(`enrol ${persona.id}: the card has no authentication certificate to identify the resident by`);
    }
    const revocations: RevocationRow[] = [];
    for (const slot of ['authentication', 'signature'] as const) {
      const der = certificates[slot];
      if (der && this.#ca.status(der).status === 'unknown') {
        throw new Error(`enrol ${persona.id}: the card's ${slot} certificate was not issued by this simulated CA`);
      }
      const entry = persona.certificates?.[slot];
      if (entry?.state !== 'revoked' || !der) continue;
      revocations.push({
        ca: slot,
        serial: describeCertificate(der).serialNumber,
        reason: entry.revokedReason ?? 'unspecified',
        revoked_at: revocationInstant(persona, entry).toISOString(),
      });
    }
    const authentication = describeCertificate(certificates.authentication);
    const signature = certificates.signature && describeCertificate(certificates.signature);
    const signatureHolder: NonNullable<ResidentRecord['signatureHolder']> = dropUndefined({
      name: holder.name,
      nameAlternate: holder.nameAlternate,
      address: holder.address,
      addressAlternate: holder.addressAlternate,
      prefecture: holder.prefecture,
      municipality: holder.municipality,
      sex: String(holder.sex) as '1' | '2' | '9',
    });

    await this.#store.transaction(async (tx) => {
      await tx.insertRevocations(revocations, null);
      if (await tx.knowsSerial(authentication.serialNumber)) return;
      await tx.insertResident({
        persona_id: persona.id,
        authentication_serial: authentication.serialNumber,
        authentication_expires: japanDate(authentication.notAfter),
        signature_serial: signature?.serialNumber ?? null,
        signature_expires: signature ? japanDate(signature.notAfter) : null,
        date_of_birth: holder.dateOfBirth,
        card_expires: cardExpires,
        period_of_stay_ends: persona.residence?.periodOfStayEnds ?? null,
        adult_ward: holder.adultWard ? 1 : 0,
        signature_holder: JSON.stringify(signatureHolder),
        chip_serial: image.chipSerial ?? null,
        card_kind: card.kind,
        authentication_certificate: certificates.authentication!,
        signature_certificate: certificates.signature ?? null,
        enrolled_at: this.#now().toISOString(),
      });
    });
    this.#applyRevocations(revocations);
    const resident = await this.#store.residentBySerial(authentication.serialNumber);
    if (!resident) throw new Error(`enrol ${persona.id}: the resident was not recorded`);
    return { personaId: resident.persona_id, ...toRecord(resident) };
  }

  // -------------------------------------------------------------------------
  // The gateway: this object answers as `options.terminal`; `forTerminal` as any other.

  /**
   * The gateway as one terminal calls it: the issuing service hands each
   * request's terminal (from its client certificate) to this, so nonces,
   * renewals and proofs are bound to the terminal that asked.
   */
  forTerminal(terminal: TerminalIdentity): IssuanceGateway {
    return {
      lookupResident: (serial) => this.#lookupResident(serial),
      issuerProof: (request) => this.#issuerProofCall(terminal, request),
      possessionChallenge: (renewalId, serial) => this.#possessionChallengeCall(terminal, renewalId, serial),
      issue: (request) => this.#issueCall(terminal, request),
      issuedFor: (renewalId) => this.#issuedFor(terminal, renewalId),
      voidUnconfirmed: (renewalId) => this.#voidUnconfirmed(terminal, renewalId),
      confirmWritten: (renewalId) => this.#confirmWritten(terminal, renewalId),
      certificateStatus: (der) => this.certificateStatus(der),
    };
  }

  /**
   * The resident behind an authentication serial: the current one, or one
   * the resident had before a confirmed renewal (the record then names the
   * current serial, which differs from the one asked about). A serial issued
   * under a renewal not yet confirmed is not known yet.
   */
  lookupResident(authenticationSerial: string): Promise<ResidentRecord | undefined> {
    return this.#lookupResident(authenticationSerial);
  }

  issuerProof(request: IssuerProofRequest): Promise<Uint8Array> {
    return this.#issuerProofCall(this.#terminal, request);
  }

  possessionChallenge(renewalId: string, authenticationSerial: string): Promise<PossessionChallenge> {
    return this.#possessionChallengeCall(this.#terminal, renewalId, authenticationSerial);
  }

  issue(request: RenewalRequest): Promise<IssuedSet> {
    return this.#issueCall(this.#terminal, request);
  }

  issuedFor(renewalId: string): Promise<IssuedSet | undefined> {
    return this.#issuedFor(this.#terminal, renewalId);
  }

  voidUnconfirmed(renewalId: string): Promise<void> {
    return this.#voidUnconfirmed(this.#terminal, renewalId);
  }

  /**
   * The new set is on the card: the certificates it replaces are revoked
   * ('renewed'; the signature certificate only when a new one was issued),
   * and the new authentication serial becomes the resident's current one.
   * Other unconfirmed renewals of the same certificate are voided. Repeating
   * it changes nothing.
   */
  confirmWritten(renewalId: string): Promise<void> {
    return this.#confirmWritten(this.#terminal, renewalId);
  }

  certificateStatus(der: Uint8Array): Promise<CertificateStatus> {
    return this.#call('certificateStatus', async () => {
      const status = this.#ca.status(der);
      if (status.status === 'unknown') return 'unknown';
      if (status.status === 'revoked' || (await this.#store.isRevoked(status.ca, status.serialNumber))) return 'revoked';
      return this.#now().getTime() > new X509Certificate(der).notAfter.getTime() ? 'expired' : 'valid';
    });
  }

  /** Every issuer proof given, oldest first (tests and the trainer: who asked for what on which card). */
  issuerProofsGiven() {
    return this.#track(this.#store.issuerProofs());
  }

  #lookupResident(authenticationSerial: string): Promise<ResidentRecord | undefined> {
    return this.#call('lookupResident', async () => {
      const resident = await this.#store.residentBySerial(normaliseSerial(String(authenticationSerial ?? '')));
      return resident && toRecord(resident);
    });
  }

  #issuerProofCall(terminal: TerminalIdentity, request: IssuerProofRequest): Promise<Uint8Array> {
    const binding = {
      challenge: request.challenge instanceof Uint8Array ? request.challenge : new Uint8Array(0),
      purpose: request.purpose,
      chipSerial: typeof request.chipSerial === 'string' ? Buffer.from(request.chipSerial, 'hex') : Buffer.alloc(0),
      referenceHash: referenceHash(String(request.reference ?? '')),
    };
    return this.#call('issuerProof', async () => this.#issuerProof(terminal, request, binding), garbleIssuerProof(binding));
  }

  /**
   * Signs the card's challenge only for a card the service knows, for one
   * purpose: a renewal of the resident whose certificate the card holds, by
   * a terminal that may ask for it; a PIN reset only from a counter, with
   * the staff member's identity check. Every proof given is recorded.
   */
  async #issuerProof(
    terminal: TerminalIdentity,
    request: IssuerProofRequest,
    binding: Parameters<SimulatedCa['signIssuerProof']>[0],
  ): Promise<Uint8Array> {
    const { purpose, reference, chipSerial } = request;
    if (!(ISSUER_PURPOSES as readonly string[]).includes(purpose))
      throw new GatewayError('refused', `no issuer proof for the purpose ${String(purpose)}`);
    checkRenewalId(reference);
    if (typeof chipSerial !== 'string' || !/^[0-9A-F]{16}$/.test(chipSerial)) {
      throw new GatewayError('refused', 'a chip serial is 16 hex digits (GET CHIP SERIAL)');
    }
    if (binding.challenge.length !== ISSUER_CHALLENGE_LENGTH) {
      throw new GatewayError('refused', `the issuer challenge is ${ISSUER_CHALLENGE_LENGTH} bytes`);
    }
    const serial = normaliseSerial(String(request.authenticationSerial ?? ''));
    const resident = await this.#store.residentBySerial(serial);
    if (!resident) throw new GatewayError('refused', `no resident holds the authentication certificate ${serial}`);
    if (resident.chip_serial !== chipSerial) {
      throw new GatewayError('refused', `the card ${chipSerial} is not the card certificate ${serial} was issued to`);
    }
    refuseForRole(terminal, resident);
    let identityCheck: { staffId: string; checkedAt: string } | undefined;
    if (purpose === 'renewal') {
      if (request.identityCheck !== undefined)
        throw new GatewayError('refused', 'a renewal carries no identity check: the card proves possession');
      const renewal = await this.#store.latestRenewal(reference);
      if (renewal) {
        if (renewal.terminal_id !== terminal.id) throw new GatewayError('refused', `renewal ${reference} belongs to another terminal`);
        if (renewal.resident_id !== resident.id) throw new GatewayError('refused', `renewal ${reference} is another resident's`);
      } else {
        await this.#currentResident(this.#store, serial);
      }
    } else {
      if (terminal.role !== 'counter')
        throw new GatewayError('refused', 'a PIN reset is done only at a counter terminal, after the identity check');
      identityCheck = this.#checkedIdentity(request.identityCheck);
    }
    const proof = new Uint8Array(this.#ca.signIssuerProof(binding));
    await this.#store.insertIssuerProof({
      purpose,
      reference,
      terminal_id: terminal.id,
      chip_serial: chipSerial,
      resident_id: resident.id,
      staff_id: identityCheck?.staffId ?? null,
      identity_checked_at: identityCheck?.checkedAt ?? null,
      given_at: this.#now().toISOString(),
    });
    return proof;
  }

  /**
   * A PIN reset's identity check: a staff member's, with at least one
   * document or oral questioning. Its time is the terminal's and is recorded
   * as given beside the service's own time of the proof; it is not compared
   * with the service's clock (terminal clocks drift, and the check's
   * evidence is the audit record at the counter).
   */
  #checkedIdentity(check: IssuerProofRequest['identityCheck']): { staffId: string; checkedAt: string } {
    const parsed = identityCheckSchema.safeParse(check);
    if (!parsed.success) throw new GatewayError('refused', 'a PIN reset needs the identity check: staff id, time and documents');
    const { staffId, checkedAt, documentsA, documentsB, oralQuestioning } = parsed.data;
    if (documentsA + documentsB === 0 && !oralQuestioning) throw new GatewayError('refused', 'the identity check names no document');
    return { staffId, checkedAt };
  }

  #possessionChallengeCall(terminal: TerminalIdentity, renewalId: string, authenticationSerial: string): Promise<PossessionChallenge> {
    return this.#call('possessionChallenge', async () => {
      checkRenewalId(renewalId);
      const serial = normaliseSerial(String(authenticationSerial ?? ''));
      const renewal = await this.#store.latestRenewal(renewalId);
      if (renewal && renewal.terminal_id !== terminal.id)
        throw new GatewayError('refused', `renewal ${renewalId} belongs to another terminal`);
      await this.#currentResident(this.#store, serial);
      const issuedAt = this.#now();
      const expiresAt = new Date(issuedAt.getTime() + POSSESSION_CHALLENGE_LIFETIME_MS);
      const nonce = randomBytes(POSSESSION_NONCE_LENGTH);
      await this.#store.insertPossessionChallenge({
        nonce: nonce.toString('hex'),
        renewal_id: renewalId,
        terminal_id: terminal.id,
        authentication_serial: serial,
        issued_at: issuedAt.toISOString(),
        expires_at: expiresAt.toISOString(),
      });
      return { renewalId, terminalId: terminal.id, nonce: new Uint8Array(nonce), expiresAt };
    });
  }

  #issueCall(terminal: TerminalIdentity, request: RenewalRequest): Promise<IssuedSet> {
    return this.#call(
      'issue',
      () => this.#exclusive(`renewal:${request.renewalId}`, () => this.#issue(terminal, request)),
      garbleIssuedSet,
    );
  }

  #issuedFor(terminal: TerminalIdentity, renewalId: string): Promise<IssuedSet | undefined> {
    return this.#call('issuedFor', async () => {
      checkRenewalId(renewalId);
      const renewal = await this.#store.activeRenewal(renewalId);
      if (renewal) this.#ownedBy(terminal, renewal);
      return renewal && toIssuedSet(renewal.renewal_id, await this.#store.certificates(renewal));
    });
  }

  #voidUnconfirmed(terminal: TerminalIdentity, renewalId: string): Promise<void> {
    return this.#call('voidUnconfirmed', () =>
      this.#exclusive(`renewal:${renewalId}`, async () => {
        checkRenewalId(renewalId);
        const revocations = await this.#store.transaction(async (tx): Promise<RevocationRow[]> => {
          const renewal = await tx.latestRenewal(renewalId);
          if (!renewal || renewal.voided_at !== null) return [];
          this.#ownedBy(terminal, renewal);
          if (renewal.confirmed_at !== null) {
            throw new GatewayError('refused', `renewal ${renewalId} is confirmed: its certificates are on the card and cannot be voided`);
          }
          return this.#voidGeneration(tx, renewal);
        });
        this.#applyRevocations(revocations);
      }),
    );
  }

  #confirmWritten(terminal: TerminalIdentity, renewalId: string): Promise<void> {
    return this.#call('confirmWritten', () =>
      this.#exclusive(`renewal:${renewalId}`, async () => {
        checkRenewalId(renewalId);
        const revocations = await this.#store.transaction(async (tx): Promise<RevocationRow[]> => {
          const renewal = await tx.latestRenewal(renewalId);
          if (!renewal) throw new GatewayError('refused', `no certificates were issued under renewal ${renewalId}`);
          this.#ownedBy(terminal, renewal);
          if (renewal.voided_at !== null) throw new GatewayError('refused', `the certificates of renewal ${renewalId} were voided`);
          if (renewal.confirmed_at !== null) return [];
          const resident = await tx.residentById(renewal.resident_id);
          if (!resident || resident.authentication_serial !== renewal.authentication_serial) {
            throw new GatewayError(
              'refused',
              `renewal ${renewalId} replaces ${renewal.authentication_serial}, which another renewal has already replaced`,
            );
          }
          const issued = await tx.certificates(renewal);
          const newAuthentication = issued.find((row) => row.slot === 'authentication');
          const newSignature = issued.find((row) => row.slot === 'signature');
          if (!newAuthentication) throw new Error(`renewal ${renewalId}: no authentication certificate stored`);
          const at = this.#now().toISOString();
          const revocations: RevocationRow[] = [
            { ca: 'authentication', serial: resident.authentication_serial, reason: 'renewed', revoked_at: at },
          ];
          if (newSignature && resident.signature_serial) {
            revocations.push({ ca: 'signature', serial: resident.signature_serial, reason: 'renewed', revoked_at: at });
          }
          await tx.insertRevocations(revocations, renewalId);
          await tx.confirm(renewal, at);
          const expires = (row: CertificateRow) => ({ serial: row.serial, expires: japanDate(new Date(row.not_after)), der: row.der });
          await tx.replaceCertificates(resident.id, expires(newAuthentication), newSignature && expires(newSignature));
          // Other issues for the same old certificate can no longer be confirmed: void them.
          for (const rival of await tx.unconfirmedRivals(renewal)) revocations.push(...(await this.#voidGeneration(tx, rival)));
          return revocations;
        });
        this.#applyRevocations(revocations);
      }),
    );
  }

  /** A renewal is answered only to the terminal that made it (its journal is there). */
  #ownedBy(terminal: TerminalIdentity, renewal: RenewalRow): void {
    if (renewal.terminal_id !== terminal.id) throw new GatewayError('refused', `renewal ${renewal.renewal_id} belongs to another terminal`);
  }

  // -------------------------------------------------------------------------
  // Fault injection (faults.ts).

  /** Sets (or, with undefined, clears) the fault of one operation, or of every one with '*'; an operation's own fault wins. */
  setFault(operation: GatewayOperation | '*', fault: GatewayFault | undefined): void {
    this.#faults.set(operation, fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** The faults in force, with the calls each has left (for the trainer's panel). */
  get faults(): { operation: GatewayOperation | '*'; fault: GatewayFault; callsLeft?: number }[] {
    return this.#faults.list();
  }

  /** Closes the records once every call under way has ended; calls after it are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
    await this.#store.close();
  }

  // -------------------------------------------------------------------------
  // Inside.

  #open(): void {
    if (this.#closed) throw new Error(`the simulated J-LIS in ${this.#dir} is closed`);
  }

  /** One gateway call, through the fault in force, if any. */
  async #call<T>(operation: GatewayOperation, run: () => Promise<T>, garble?: Garble<T>): Promise<T> {
    this.#open();
    return this.#track(this.#faults.call(operation, run, garble, () => this.#open()));
  }

  /** A call under way, which `close` waits for. */
  #track<T>(call: Promise<T>): Promise<T> {
    this.#running.add(call);
    const done = () => this.#running.delete(call);
    call.then(done, done);
    return call;
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

  async #issue(terminal: TerminalIdentity, request: RenewalRequest): Promise<IssuedSet> {
    this.#open();
    const { renewalId, renewedOn } = request;
    checkRenewalId(renewalId);
    if (!(RENEWAL_ROUTES as readonly string[]).includes(request.route))
      throw new GatewayError('refused', `no renewal route ${String(request.route)}`);
    if (request.route !== 'in-person' && terminal.role !== 'counter') {
      throw new GatewayError('refused', `a ${request.route} renewal is accepted only at a counter terminal`);
    }
    if (!isJapanDate(renewedOn)) throw new GatewayError('refused', `renewedOn is not a YYYY-MM-DD date: ${String(renewedOn)}`);
    const authenticationSerial = normaliseSerial(String(request.authenticationSerial ?? ''));
    const keys = {
      authentication: canonicalRsaSpki(request.publicKeys?.authentication, 'authentication'),
      signature: request.publicKeys?.signature === undefined ? undefined : canonicalRsaSpki(request.publicKeys.signature, 'signature'),
    };
    if (keys.signature?.equals(keys.authentication)) {
      throw new GatewayError('refused', 'the signature key is the authentication key: each certificate has its own key pair');
    }

    const stored = await this.#store.activeRenewal(renewalId);
    if (stored) return this.#replay(this.#store, terminal, stored, authenticationSerial, keys);

    const resident = await this.#currentResident(this.#store, authenticationSerial);
    refuseForRole(terminal, resident);
    const nonce = await this.#provenPossession(terminal, request, resident, keys.signature !== undefined);
    const holder = JSON.parse(resident.signature_holder) as NonNullable<ResidentRecord['signatureHolder']>;
    if (resident.card_expires < renewedOn)
      throw new GatewayError('refused', `the card expired on ${resident.card_expires}: a new card is needed`);
    if (resident.period_of_stay_ends !== null && resident.period_of_stay_ends < renewedOn) {
      throw new GatewayError('refused', `the period of stay ended on ${resident.period_of_stay_ends}`);
    }
    const signatureValid = resident.signature_serial !== null && !(await this.#store.isRevoked('signature', resident.signature_serial));
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
    // Whatever rule is staged, the signature certificate never outlives the authentication one.
    const signatureExpires = expiry.signature < authenticationExpires ? expiry.signature : authenticationExpires;
    if (
      !isJapanDate(authenticationExpires) ||
      authenticationExpires < renewedOn ||
      !isJapanDate(signatureExpires) ||
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

    // Another process may issue under this id meanwhile: the unique index lets only one commit, and the
    // transaction of the other is tried again, finds that issue and replays it — its answer stands.
    return this.#store.transaction(async (tx): Promise<IssuedSet> => {
      const raced = await tx.activeRenewal(renewalId);
      if (raced) return this.#replay(tx, terminal, raced, authenticationSerial, keys);
      await this.#currentResident(tx, authenticationSerial);
      const issuedAt = this.#now().toISOString();
      // The nonce is spent with the issue it allows, in one transaction: a proof allows one issue.
      if (!(await tx.spendPossessionChallenge(nonce, issuedAt)))
        throw new GatewayError('refused', 'the proof of possession was already used');
      const generation = await tx.insertIssue({
        renewalId,
        residentId: resident.id,
        authenticationSerial,
        renewedOn,
        keys,
        terminalId: terminal.id,
        route: request.route,
        issuedAt,
        certificates: [authentication, ...(signature ? [signature] : [])].map((certificate) => ({
          slot: certificate.ca,
          serial: certificate.serialNumber,
          der: certificate.der,
          notAfter: certificate.notAfter.toISOString(),
        })),
      });
      return toIssuedSet(renewalId, await tx.certificates({ renewal_id: renewalId, generation }));
    });
  }

  /**
   * The card's proof of possession for this request (issuance/possession.ts):
   * a nonce this service gave for this renewal, this terminal and this
   * certificate, unspent and unexpired, signed by the key of the resident's
   * current authentication certificate (revoked refused, expired accepted),
   * and by the current signature key when a signature certificate is renewed
   * and the resident holds one not revoked. Returns the nonce, spent with the issue.
   */
  async #provenPossession(
    terminal: TerminalIdentity,
    request: RenewalRequest,
    resident: ResidentRow,
    withSignature: boolean,
  ): Promise<string> {
    const proof = request.possession;
    if (!proof || !(proof.nonce instanceof Uint8Array) || proof.nonce.length !== POSSESSION_NONCE_LENGTH) {
      throw new GatewayError('refused', 'no proof of possession: ask for a possession challenge and have the card sign it');
    }
    const nonce = Buffer.from(proof.nonce).toString('hex');
    const challenge = await this.#store.possessionChallenge(nonce);
    if (!challenge) throw new GatewayError('refused', 'the proof of possession is over a nonce this service did not give');
    if (challenge.used_at !== null) throw new GatewayError('refused', 'the proof of possession was already used');
    if (challenge.renewal_id !== request.renewalId)
      throw new GatewayError('refused', 'the proof of possession was made for another renewal');
    if (challenge.terminal_id !== terminal.id) throw new GatewayError('refused', 'the proof of possession was made at another terminal');
    if (challenge.authentication_serial !== resident.authentication_serial) {
      throw new GatewayError('refused', 'the proof of possession was made for another certificate');
    }
    if (new Date(challenge.expires_at).getTime() < this.#now().getTime())
      throw new GatewayError('refused', 'the proof of possession expired');
    const publicKeys = {
      authentication: request.publicKeys.authentication,
      ...(request.publicKeys.signature ? { signature: request.publicKeys.signature } : {}),
    };
    const binding = { renewalId: request.renewalId, terminalId: terminal.id, nonce: proof.nonce, publicKeys };
    const signedBy = (slot: CertificateSlot, certificate: Buffer, signature: Uint8Array | undefined) =>
      signature instanceof Uint8Array &&
      verifySignature('sha256', possessionMessage({ ...binding, slot }), new NodeX509Certificate(certificate).publicKey, signature);
    if (!signedBy('authentication', resident.authentication_certificate, proof.authentication)) {
      throw new GatewayError('refused', "the card did not prove it holds the current authentication certificate's key");
    }
    const signatureHeld =
      withSignature &&
      resident.signature_certificate !== null &&
      resident.signature_serial !== null &&
      !(await this.#store.isRevoked('signature', resident.signature_serial));
    if (signatureHeld && !signedBy('signature', resident.signature_certificate!, proof.signature)) {
      throw new GatewayError('refused', "the card did not prove it holds the current signature certificate's key");
    }
    return nonce;
  }

  /** The stored answer to a repeated issue: the same certificates for the same keys, refused for others. */
  async #replay(
    store: JlisStore,
    terminal: TerminalIdentity,
    renewal: RenewalRow,
    authenticationSerial: string,
    keys: { authentication: Buffer; signature: Buffer | undefined },
  ): Promise<IssuedSet> {
    this.#ownedBy(terminal, renewal);
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
    return toIssuedSet(renewal.renewal_id, await store.certificates(renewal));
  }

  async #currentResident(store: JlisStore, authenticationSerial: string): Promise<ResidentRow> {
    const resident = await store.residentHolding(authenticationSerial);
    if (!resident) {
      const known = await store.residentBySerial(authenticationSerial);
      throw new GatewayError(
        'refused',
        known
          ? `certificate ${authenticationSerial} was replaced by ${known.authentication_serial}`
          : `no resident holds the authentication certificate ${authenticationSerial}`,
      );
    }
    if (await store.isRevoked('authentication', authenticationSerial)) {
      throw new GatewayError('refused', `the authentication certificate ${authenticationSerial} is revoked`);
    }
    return resident;
  }

  /** Marks a generation void and revokes its certificates (they never reached a card). Inside a transaction. */
  async #voidGeneration(tx: JlisStore, renewal: RenewalRow): Promise<RevocationRow[]> {
    const at = this.#now().toISOString();
    await tx.markVoided(renewal, at);
    const revocations = (await tx.certificates(renewal)).map((row): RevocationRow => ({
      ca: row.slot,
      serial: row.serial,
      reason: 'unspecified',
      revoked_at: at,
    }));
    await tx.insertRevocations(revocations, renewal.renewal_id);
    return revocations;
  }

  /** After the transaction committed: the CA's memory follows the register. */
  #applyRevocations(revocations: RevocationRow[]): void {
    for (const row of revocations) this.#ca.revoke({ ca: row.ca, serialNumber: row.serial }, row.reason, new Date(row.revoked_at));
  }
}

/** The simulated J-LIS in the simulation folder (`$MYNA_KIOSK_SIM_DIR` or the cache), sharing its CA with the virtual card. */
export function openSimulatedJlis(simDir?: string, options: SimulatedJlisOptions = {}): Promise<SimulatedJlis> {
  return SimulatedJlis.open(simulationDir(simDir), options);
}

/**
 * The validity rule (docs/domain.md, "Validity and the renewal window"): the
 * kiosk's own (`newCertificateSetExpiry`), so the dates the eligibility
 * decision promises are the dates issued.
 */
export function defaultExpiryRule(input: CertificateSetExpiryInput): ExpiryRuleResult {
  const expiry = newCertificateSetExpiry(input);
  return { authentication: expiry.authentication.expiresOn, signature: expiry.signature.expiresOn };
}

// ---------------------------------------------------------------------------
// Helpers.

/** The renewal id rule of the service's API (main/issuance/wire.ts), so the simulated J-LIS in process answers the same. */
function checkRenewalId(renewalId: string): void {
  if (!renewalIdSchema.safeParse(renewalId).success) {
    throw new GatewayError('refused', 'a renewal id is 1–200 of letters, digits and . _ : -');
  }
}

/** What only a counter may ask for: anything about a face-authentication card (no PIN; staff check the face). */
function refuseForRole(terminal: TerminalIdentity, resident: ResidentRow): void {
  if (resident.card_kind === 'face-auth' && terminal.role !== 'counter') {
    throw new GatewayError('refused', 'a face-authentication card is renewed only at a counter terminal');
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
