import Database from 'better-sqlite3';
import type { CertificateSlot } from '../../issuance/gateway';
import type { CaKind, RevocationReason } from './ca';

/**
 * The simulated J-LIS's records in `jlis.sqlite`: residents, the certificates
 * issued per renewal id, the confirmations and the revocation register (WAL,
 * synchronous=FULL; each change is one transaction, so a crash never leaves
 * half a record). Only SQL lives here; what the records mean is the
 * service's (service.ts).
 */

const SCHEMA_VERSION = 2;

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
  -- the card: its chip serial (what issuer proofs are bound to), its kind,
  -- and the current certificates (possession proofs verify with them)
  chip_serial TEXT,
  card_kind TEXT NOT NULL,
  authentication_certificate BLOB NOT NULL,
  signature_certificate BLOB,
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
  terminal_id TEXT NOT NULL,
  route TEXT NOT NULL,
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
-- single-use nonces for the card's proof of possession, each bound to a renewal, a terminal and a certificate
CREATE TABLE IF NOT EXISTS possession_challenges (
  nonce TEXT PRIMARY KEY,
  renewal_id TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  authentication_serial TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
-- every issuer proof given: which card, for what, from which terminal; a PIN reset names the staff member who checked identity
CREATE TABLE IF NOT EXISTS issuer_proofs (
  id INTEGER PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('renewal', 'pin-reset')),
  reference TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  chip_serial TEXT NOT NULL,
  resident_id INTEGER NOT NULL REFERENCES residents(id),
  staff_id TEXT,
  identity_checked_at TEXT,
  given_at TEXT NOT NULL,
  CHECK (purpose = 'renewal' OR (staff_id IS NOT NULL AND identity_checked_at IS NOT NULL))
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

export interface ResidentRow {
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
  chip_serial: string | null;
  card_kind: string;
  authentication_certificate: Buffer;
  signature_certificate: Buffer | null;
}

export type NewResident = Omit<ResidentRow, 'id'> & { enrolled_at: string };

export interface RenewalRow {
  renewal_id: string;
  generation: number;
  resident_id: number;
  authentication_serial: string;
  renewed_on: string;
  authentication_key: Buffer;
  signature_key: Buffer | null;
  terminal_id: string;
  route: string;
  voided_at: string | null;
  confirmed_at: string | null;
}

export interface PossessionChallengeRow {
  nonce: string;
  renewal_id: string;
  terminal_id: string;
  authentication_serial: string;
  issued_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface IssuerProofRow {
  purpose: 'renewal' | 'pin-reset';
  reference: string;
  terminal_id: string;
  chip_serial: string;
  resident_id: number;
  staff_id: string | null;
  identity_checked_at: string | null;
  given_at: string;
}

export interface CertificateRow {
  slot: CertificateSlot;
  serial: string;
  der: Buffer;
  not_after: string;
}

export interface RevocationRow {
  ca: CaKind;
  serial: string;
  reason: RevocationReason;
  revoked_at: string;
}

/** One issue: the renewal's next generation, its keys, and the certificates. */
export interface NewIssue {
  renewalId: string;
  residentId: number;
  authenticationSerial: string;
  renewedOn: string;
  keys: { authentication: Buffer; signature: Buffer | undefined };
  terminalId: string;
  route: string;
  issuedAt: string;
  certificates: { slot: CertificateSlot; serial: string; der: Buffer; notAfter: string }[];
}

export class JlisStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Opens (and creates or migrates) the records at `path`; `dir` names the simulation in messages. */
  static open(path: string, dir: string): JlisStore {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db, dir);
      return new JlisStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Runs `work` as one immediate transaction: two processes sharing the file never interleave inside it. */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work).immediate();
  }

  close(): void {
    this.#db.close();
  }

  // Residents.

  /** The resident who holds, or once held, this authentication certificate. */
  residentBySerial(serial: string): ResidentRow | undefined {
    return this.#db
      .prepare('SELECT r.* FROM residents r JOIN authentication_serials s ON s.resident_id = r.id WHERE s.serial = ?')
      .get(serial) as ResidentRow | undefined;
  }

  /** The resident whose current authentication certificate this is. */
  residentHolding(serial: string): ResidentRow | undefined {
    return this.#db.prepare('SELECT * FROM residents WHERE authentication_serial = ?').get(serial) as ResidentRow | undefined;
  }

  residentById(id: number): ResidentRow | undefined {
    return this.#db.prepare('SELECT * FROM residents WHERE id = ?').get(id) as ResidentRow | undefined;
  }

  knowsSerial(serial: string): boolean {
    return this.#db.prepare('SELECT 1 FROM authentication_serials WHERE serial = ?').get(serial) !== undefined;
  }

  insertResident(resident: NewResident): void {
    const { lastInsertRowid } = this.#db
      .prepare(
        `INSERT INTO residents (persona_id, authentication_serial, authentication_expires, signature_serial, signature_expires,
           date_of_birth, card_expires, period_of_stay_ends, adult_ward, signature_holder, chip_serial, card_kind,
           authentication_certificate, signature_certificate, enrolled_at)
         VALUES (@persona_id, @authentication_serial, @authentication_expires, @signature_serial, @signature_expires,
           @date_of_birth, @card_expires, @period_of_stay_ends, @adult_ward, @signature_holder, @chip_serial, @card_kind,
           @authentication_certificate, @signature_certificate, @enrolled_at)`,
      )
      .run(resident);
    this.#db
      .prepare('INSERT INTO authentication_serials (serial, resident_id) VALUES (?, ?)')
      .run(resident.authentication_serial, lastInsertRowid);
  }

  /** The resident's certificates after a confirmed renewal; the new serial joins the ones they held. */
  replaceCertificates(
    residentId: number,
    authentication: { serial: string; expires: string; der: Buffer },
    signature: { serial: string; expires: string; der: Buffer } | undefined,
  ): void {
    this.#db
      .prepare(
        `UPDATE residents SET authentication_serial = ?, authentication_expires = ?, authentication_certificate = ?,
           signature_serial = COALESCE(?, signature_serial), signature_expires = COALESCE(?, signature_expires),
           signature_certificate = COALESCE(?, signature_certificate) WHERE id = ?`,
      )
      .run(
        authentication.serial,
        authentication.expires,
        authentication.der,
        signature?.serial ?? null,
        signature?.expires ?? null,
        signature?.der ?? null,
        residentId,
      );
    this.#db
      .prepare('INSERT OR IGNORE INTO authentication_serials (serial, resident_id) VALUES (?, ?)')
      .run(authentication.serial, residentId);
  }

  // Renewals.

  latestRenewal(renewalId: string): RenewalRow | undefined {
    return this.#db
      .prepare(
        `SELECT r.*, c.confirmed_at FROM renewals r
         LEFT JOIN confirmations c ON c.renewal_id = r.renewal_id AND c.generation = r.generation
         WHERE r.renewal_id = ? ORDER BY r.generation DESC LIMIT 1`,
      )
      .get(renewalId) as RenewalRow | undefined;
  }

  /** The renewal's latest generation, unless it was voided. */
  activeRenewal(renewalId: string): RenewalRow | undefined {
    const renewal = this.latestRenewal(renewalId);
    return renewal && renewal.voided_at === null ? renewal : undefined;
  }

  certificates(renewal: { renewal_id: string; generation: number }): CertificateRow[] {
    return this.#db
      .prepare('SELECT slot, serial, der, not_after FROM issued_certificates WHERE renewal_id = ? AND generation = ? ORDER BY slot')
      .all(renewal.renewal_id, renewal.generation) as CertificateRow[];
  }

  /** Records an issue as the renewal's next generation; returns that generation. */
  insertIssue(issue: NewIssue): number {
    const latest = this.#db.prepare('SELECT MAX(generation) AS g FROM renewals WHERE renewal_id = ?').get(issue.renewalId) as {
      g: number | null;
    };
    const generation = (latest.g ?? 0) + 1;
    this.#db
      .prepare(
        `INSERT INTO renewals (renewal_id, generation, resident_id, authentication_serial, renewed_on,
           authentication_key, signature_key, terminal_id, route, issued_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        issue.renewalId,
        generation,
        issue.residentId,
        issue.authenticationSerial,
        issue.renewedOn,
        issue.keys.authentication,
        issue.keys.signature ?? null,
        issue.terminalId,
        issue.route,
        issue.issuedAt,
      );
    const insert = this.#db.prepare(
      'INSERT INTO issued_certificates (renewal_id, generation, slot, serial, der, not_after) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const certificate of issue.certificates) {
      insert.run(issue.renewalId, generation, certificate.slot, certificate.serial, certificate.der, certificate.notAfter);
    }
    return generation;
  }

  markVoided(renewal: { renewal_id: string; generation: number }, at: string): void {
    this.#db
      .prepare('UPDATE renewals SET voided_at = ? WHERE renewal_id = ? AND generation = ?')
      .run(at, renewal.renewal_id, renewal.generation);
  }

  confirm(renewal: { renewal_id: string; generation: number }, at: string): void {
    this.#db
      .prepare('INSERT INTO confirmations (renewal_id, generation, confirmed_at) VALUES (?, ?, ?)')
      .run(renewal.renewal_id, renewal.generation, at);
  }

  /** Issues of the same old certificate, under other renewal ids, neither voided nor confirmed. */
  unconfirmedRivals(renewal: RenewalRow): RenewalRow[] {
    return this.#db
      .prepare(
        `SELECT r.*, NULL AS confirmed_at FROM renewals r
         WHERE r.resident_id = ? AND r.authentication_serial = ? AND r.renewal_id <> ? AND r.voided_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM confirmations c WHERE c.renewal_id = r.renewal_id AND c.generation = r.generation)`,
      )
      .all(renewal.resident_id, renewal.authentication_serial, renewal.renewal_id) as RenewalRow[];
  }

  // Proofs.

  insertPossessionChallenge(row: Omit<PossessionChallengeRow, 'used_at'>): void {
    this.#db
      .prepare(
        `INSERT INTO possession_challenges (nonce, renewal_id, terminal_id, authentication_serial, issued_at, expires_at)
         VALUES (@nonce, @renewal_id, @terminal_id, @authentication_serial, @issued_at, @expires_at)`,
      )
      .run(row);
  }

  possessionChallenge(nonce: string): PossessionChallengeRow | undefined {
    return this.#db.prepare('SELECT * FROM possession_challenges WHERE nonce = ?').get(nonce) as PossessionChallengeRow | undefined;
  }

  /** Spends a nonce; false when it was already spent (the database decides, so two issues cannot share one). */
  spendPossessionChallenge(nonce: string, at: string): boolean {
    return (
      this.#db.prepare('UPDATE possession_challenges SET used_at = ? WHERE nonce = ? AND used_at IS NULL').run(at, nonce).changes === 1
    );
  }

  insertIssuerProof(row: IssuerProofRow): void {
    this.#db
      .prepare(
        `INSERT INTO issuer_proofs (purpose, reference, terminal_id, chip_serial, resident_id, staff_id, identity_checked_at, given_at)
         VALUES (@purpose, @reference, @terminal_id, @chip_serial, @resident_id, @staff_id, @identity_checked_at, @given_at)`,
      )
      .run(row);
  }

  issuerProofs(): IssuerProofRow[] {
    return this.#db
      .prepare(
        `SELECT purpose, reference, terminal_id, chip_serial, resident_id, staff_id, identity_checked_at, given_at
         FROM issuer_proofs ORDER BY id`,
      )
      .all() as IssuerProofRow[];
  }

  // The revocation register.

  revocations(): RevocationRow[] {
    return this.#db.prepare('SELECT ca, serial, reason, revoked_at FROM revocations').all() as RevocationRow[];
  }

  /** Enters revocations; one already in the register stands as it was. */
  insertRevocations(revocations: RevocationRow[], renewalId: string | null): void {
    const insert = this.#db.prepare(
      'INSERT OR IGNORE INTO revocations (ca, serial, reason, revoked_at, renewal_id) VALUES (?, ?, ?, ?, ?)',
    );
    for (const row of revocations) insert.run(row.ca, row.serial, row.reason, row.revoked_at, renewalId);
  }

  isRevoked(ca: CaKind, serial: string): boolean {
    return this.#db.prepare('SELECT 1 FROM revocations WHERE ca = ? AND serial = ?').get(ca, serial) !== undefined;
  }
}

function migrate(db: Database.Database, dir: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`the simulated J-LIS in ${dir} was written by a newer version (schema ${version} > ${SCHEMA_VERSION})`);
  }
  if (version === SCHEMA_VERSION) return;
  if (version !== 0) {
    // Schema 1 had no proofs, no terminals and no certificates per resident: its records cannot be carried over.
    throw new Error(`the simulated J-LIS in ${dir} was written by an older version (schema ${version}); remove the folder to start afresh`);
  }
  db.transaction(() => {
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
