import { join } from 'node:path';
import type { CertificateSlot } from '../../issuance/gateway';
import type { CaKind, RevocationReason } from './ca';
import {
  isPostgresUrl,
  retryingTransaction,
  schemaTemplateKey,
  openPgliteDriver,
  openPostgresDriver,
  type PgliteOptions,
  type Queryable,
  type SqlDriver,
} from '../../base/sql-database';
import { migrate, MIGRATIONS } from './schema';

/**
 * The simulated J-LIS's records in PostgreSQL: residents, the certificates
 * issued per renewal id, the confirmations and the revocation register.
 * Embedded PGlite in `<simulation folder>/jlis-pg` by default, or a
 * PostgreSQL server at a `postgres://` URL (database.ts); the schema and its
 * migrations are schema.ts. Only SQL lives here; what the records mean is
 * the service's (service.ts).
 *
 * Each change is one SERIALIZABLE transaction (`transaction`), retried when
 * PostgreSQL aborts it because another transaction got there first; the
 * retry reads again, so the other process's answer stands.
 */

/** What the database is called in messages. */
const JLIS_DATABASE = 'the simulated J-LIS database';
/** The PGlite data directory inside a simulation folder. */
export const PGLITE_DIR = 'jlis-pg';

export interface JlisStoreOptions {
  /** A `postgres://…` URL; without it, PGlite in `<dir>/jlis-pg`. */
  database?: string;
  /** PGlite only: the prepared empty database and the open report (database.ts). */
  pglite?: PgliteOptions;
}

/** A new PGlite directory starts from a template that already holds this schema (database.ts), keyed by its version. */
export const JLIS_TEMPLATE = { key: schemaTemplateKey('jlis-schema', MIGRATIONS), run: (driver: SqlDriver) => migrate(driver) } as const;

/** How often a transaction is tried when other transactions keep getting there first. */
const TRANSACTION_ATTEMPTS = 12;

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
  readonly #q: Queryable;
  readonly #driver: SqlDriver | undefined;

  private constructor(q: Queryable, driver: SqlDriver | undefined) {
    this.#q = q;
    this.#driver = driver;
  }

  /** Opens (and creates or migrates) the records of the simulation folder `dir`, or of `options.database`. */
  static async open(dir: string, options: JlisStoreOptions = {}): Promise<JlisStore> {
    if (options.database !== undefined && !isPostgresUrl(options.database)) {
      throw new Error('the simulated J-LIS database must be a postgres:// or postgresql:// URL');
    }
    const driver = options.database
      ? await openPostgresDriver(options.database, JLIS_DATABASE)
      : await openPgliteDriver(join(dir, PGLITE_DIR), { ...options.pglite, prepare: JLIS_TEMPLATE, label: JLIS_DATABASE });
    try {
      await migrate(driver);
      return new JlisStore(driver, driver);
    } catch (error) {
      await driver.close();
      throw error;
    }
  }

  /** Where the records are: the PGlite directory, or the server's URL without its password. */
  get where(): string {
    return this.#driver?.where ?? '(a transaction)';
  }

  /**
   * Runs `work` as one SERIALIZABLE transaction on a store bound to it. When
   * PostgreSQL aborts it because a concurrent transaction got there first
   * (a serialization failure, a deadlock, or a unique constraint the other
   * one's row now holds), it runs again from the start: `work` must read
   * what it decides on inside it, and return what to do after the commit.
   */
  async transaction<T>(work: (tx: JlisStore) => Promise<T>): Promise<T> {
    return retryingTransaction(this.#driverOrThrow(), (tx) => work(new JlisStore(tx, undefined)), TRANSACTION_ATTEMPTS);
  }

  /** One statement outside the store's queries (tests and tools: counts, a constraint proven). */
  query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.#q.query<R>(sql, params);
  }

  async close(): Promise<void> {
    await this.#driverOrThrow().close();
  }

  #driverOrThrow(): SqlDriver {
    if (!this.#driver) throw new Error('the store of a transaction cannot open another transaction or close the database');
    return this.#driver;
  }

  async #one<R>(sql: string, params: readonly unknown[]): Promise<R | undefined> {
    const [row] = await this.#q.query<R>(sql, params);
    return row;
  }

  // Residents.

  /** The resident who holds, or once held, this authentication certificate. */
  async residentBySerial(serial: string): Promise<ResidentRow | undefined> {
    return residentRow(
      await this.#one<ResidentRow>(
        `SELECT ${RESIDENT_COLUMNS} FROM residents r JOIN authentication_serials s ON s.resident_id = r.id WHERE s.serial = $1`,
        [serial],
      ),
    );
  }

  /** The resident whose current authentication certificate this is (locked until the transaction ends). */
  async residentHolding(serial: string): Promise<ResidentRow | undefined> {
    return residentRow(
      await this.#one<ResidentRow>(`SELECT ${RESIDENT_COLUMNS} FROM residents r WHERE r.authentication_serial = $1 FOR UPDATE`, [serial]),
    );
  }

  /** The resident (locked until the transaction ends). */
  async residentById(id: number): Promise<ResidentRow | undefined> {
    return residentRow(await this.#one<ResidentRow>(`SELECT ${RESIDENT_COLUMNS} FROM residents r WHERE r.id = $1 FOR UPDATE`, [id]));
  }

  async knowsSerial(serial: string): Promise<boolean> {
    return (await this.#one('SELECT 1 FROM authentication_serials WHERE serial = $1', [serial])) !== undefined;
  }

  async insertResident(resident: NewResident): Promise<void> {
    const inserted = await this.#one<{ id: number }>(
      `INSERT INTO residents (persona_id, authentication_serial, authentication_expires, signature_serial, signature_expires,
         date_of_birth, card_expires, period_of_stay_ends, adult_ward, signature_holder, chip_serial, card_kind,
         authentication_certificate, signature_certificate, enrolled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
      [
        resident.persona_id,
        resident.authentication_serial,
        resident.authentication_expires,
        resident.signature_serial,
        resident.signature_expires,
        resident.date_of_birth,
        resident.card_expires,
        resident.period_of_stay_ends,
        resident.adult_ward,
        resident.signature_holder,
        resident.chip_serial,
        resident.card_kind,
        resident.authentication_certificate,
        resident.signature_certificate,
        resident.enrolled_at,
      ],
    );
    await this.#q.query('INSERT INTO authentication_serials (serial, resident_id) VALUES ($1, $2)', [
      resident.authentication_serial,
      inserted!.id,
    ]);
  }

  /** The resident's certificates after a confirmed renewal; the new serial joins the ones they held. */
  async replaceCertificates(
    residentId: number,
    authentication: { serial: string; expires: string; der: Buffer },
    signature: { serial: string; expires: string; der: Buffer } | undefined,
  ): Promise<void> {
    await this.#q.query(
      `UPDATE residents SET authentication_serial = $1, authentication_expires = $2, authentication_certificate = $3,
         signature_serial = COALESCE($4, signature_serial), signature_expires = COALESCE($5, signature_expires),
         signature_certificate = COALESCE($6, signature_certificate) WHERE id = $7`,
      [
        authentication.serial,
        authentication.expires,
        authentication.der,
        signature?.serial ?? null,
        signature?.expires ?? null,
        signature?.der ?? null,
        residentId,
      ],
    );
    await this.#q.query('INSERT INTO authentication_serials (serial, resident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      authentication.serial,
      residentId,
    ]);
  }

  // Renewals.

  async latestRenewal(renewalId: string): Promise<RenewalRow | undefined> {
    const row = await this.#one<RenewalRow>(
      `SELECT ${RENEWAL_COLUMNS}, c.confirmed_at FROM renewals r
       LEFT JOIN confirmations c ON c.renewal_id = r.renewal_id AND c.generation = r.generation
       WHERE r.renewal_id = $1 ORDER BY r.generation DESC LIMIT 1`,
      [renewalId],
    );
    return row && renewalRow(row);
  }

  /** The renewal's latest generation, unless it was voided. */
  async activeRenewal(renewalId: string): Promise<RenewalRow | undefined> {
    const renewal = await this.latestRenewal(renewalId);
    return renewal && renewal.voided_at === null ? renewal : undefined;
  }

  async certificates(renewal: { renewal_id: string; generation: number }): Promise<CertificateRow[]> {
    const rows = await this.#q.query<CertificateRow>(
      'SELECT slot, serial, der, not_after FROM issued_certificates WHERE renewal_id = $1 AND generation = $2 ORDER BY slot',
      [renewal.renewal_id, renewal.generation],
    );
    return rows.map((row) => ({ ...row, der: bytes(row.der) }));
  }

  /** Records an issue as the renewal's next generation; returns that generation. */
  async insertIssue(issue: NewIssue): Promise<number> {
    const inserted = await this.#one<{ generation: number }>(
      `INSERT INTO renewals (renewal_id, generation, resident_id, authentication_serial, renewed_on,
         authentication_key, signature_key, terminal_id, route, issued_at)
       SELECT $1, COALESCE(MAX(generation), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 FROM renewals WHERE renewal_id = $1
       RETURNING generation`,
      [
        issue.renewalId,
        issue.residentId,
        issue.authenticationSerial,
        issue.renewedOn,
        issue.keys.authentication,
        issue.keys.signature ?? null,
        issue.terminalId,
        issue.route,
        issue.issuedAt,
      ],
    );
    const generation = inserted!.generation;
    for (const certificate of issue.certificates) {
      await this.#q.query(
        'INSERT INTO issued_certificates (renewal_id, generation, slot, serial, der, not_after) VALUES ($1, $2, $3, $4, $5, $6)',
        [issue.renewalId, generation, certificate.slot, certificate.serial, certificate.der, certificate.notAfter],
      );
    }
    return generation;
  }

  async markVoided(renewal: { renewal_id: string; generation: number }, at: string): Promise<void> {
    await this.#q.query('UPDATE renewals SET voided_at = $1 WHERE renewal_id = $2 AND generation = $3', [
      at,
      renewal.renewal_id,
      renewal.generation,
    ]);
  }

  async confirm(renewal: { renewal_id: string; generation: number; authentication_serial: string }, at: string): Promise<void> {
    await this.#q.query('INSERT INTO confirmations (renewal_id, generation, replaces_serial, confirmed_at) VALUES ($1, $2, $3, $4)', [
      renewal.renewal_id,
      renewal.generation,
      renewal.authentication_serial,
      at,
    ]);
  }

  /** Issues of the same old certificate, under other renewal ids, neither voided nor confirmed. */
  async unconfirmedRivals(renewal: RenewalRow): Promise<RenewalRow[]> {
    const rows = await this.#q.query<RenewalRow>(
      `SELECT ${RENEWAL_COLUMNS}, NULL AS confirmed_at FROM renewals r
       WHERE r.resident_id = $1 AND r.authentication_serial = $2 AND r.renewal_id <> $3 AND r.voided_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM confirmations c WHERE c.renewal_id = r.renewal_id AND c.generation = r.generation)
       ORDER BY r.renewal_id`,
      [renewal.resident_id, renewal.authentication_serial, renewal.renewal_id],
    );
    return rows.map(renewalRow);
  }

  /** How many generations were issued under each renewal id, voided ones included (tests: at most one is the rule). */
  async issuesPerRenewal(): Promise<Map<string, number>> {
    const rows = await this.#q.query<{ id: string; n: number }>(
      'SELECT renewal_id AS id, COUNT(*)::int AS n FROM renewals GROUP BY renewal_id',
    );
    return new Map(rows.map((row) => [row.id, row.n]));
  }

  // Proofs.

  async insertPossessionChallenge(row: Omit<PossessionChallengeRow, 'used_at'>): Promise<void> {
    await this.#q.query(
      `INSERT INTO possession_challenges (nonce, renewal_id, terminal_id, authentication_serial, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [row.nonce, row.renewal_id, row.terminal_id, row.authentication_serial, row.issued_at, row.expires_at],
    );
  }

  possessionChallenge(nonce: string): Promise<PossessionChallengeRow | undefined> {
    return this.#one<PossessionChallengeRow>(
      `SELECT nonce, renewal_id, terminal_id, authentication_serial, issued_at, expires_at, used_at
       FROM possession_challenges WHERE nonce = $1`,
      [nonce],
    );
  }

  /** Spends a nonce; false when it was already spent (the database decides, so two issues cannot share one). */
  async spendPossessionChallenge(nonce: string, at: string): Promise<boolean> {
    const spent = await this.#q.query(
      'UPDATE possession_challenges SET used_at = $1 WHERE nonce = $2 AND used_at IS NULL RETURNING nonce',
      [at, nonce],
    );
    return spent.length === 1;
  }

  async insertIssuerProof(row: IssuerProofRow): Promise<void> {
    await this.#q.query(
      `INSERT INTO issuer_proofs (purpose, reference, terminal_id, chip_serial, resident_id, staff_id, identity_checked_at, given_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [row.purpose, row.reference, row.terminal_id, row.chip_serial, row.resident_id, row.staff_id, row.identity_checked_at, row.given_at],
    );
  }

  issuerProofs(): Promise<IssuerProofRow[]> {
    return this.#q.query<IssuerProofRow>(
      `SELECT purpose, reference, terminal_id, chip_serial, resident_id, staff_id, identity_checked_at, given_at
       FROM issuer_proofs ORDER BY id`,
    );
  }

  // The revocation register.

  revocations(): Promise<RevocationRow[]> {
    return this.#q.query<RevocationRow>('SELECT ca, serial, reason, revoked_at FROM revocations ORDER BY revoked_at, ca, serial');
  }

  /** Enters revocations; one already in the register stands as it was. */
  async insertRevocations(revocations: RevocationRow[], renewalId: string | null): Promise<void> {
    for (const row of revocations) {
      await this.#q.query(
        `INSERT INTO revocations (ca, serial, reason, revoked_at, renewal_id) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (ca, serial) DO NOTHING`,
        [row.ca, row.serial, row.reason, row.revoked_at, renewalId],
      );
    }
  }

  async isRevoked(ca: CaKind, serial: string): Promise<boolean> {
    return (await this.#one('SELECT 1 FROM revocations WHERE ca = $1 AND serial = $2', [ca, serial])) !== undefined;
  }
}

const RESIDENT_COLUMNS = `r.id, r.persona_id, r.authentication_serial, r.authentication_expires, r.signature_serial, r.signature_expires,
  r.date_of_birth, r.card_expires, r.period_of_stay_ends, r.adult_ward, r.signature_holder, r.chip_serial, r.card_kind,
  r.authentication_certificate, r.signature_certificate`;

const RENEWAL_COLUMNS = `r.renewal_id, r.generation, r.resident_id, r.authentication_serial, r.renewed_on,
  r.authentication_key, r.signature_key, r.terminal_id, r.route, r.voided_at`;

/** BYTEA comes back as a Buffer from node-postgres and as a Uint8Array from PGlite: one kind for the service. */
function bytes(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function residentRow(row: ResidentRow | undefined): ResidentRow | undefined {
  return (
    row && {
      ...row,
      authentication_certificate: bytes(row.authentication_certificate),
      signature_certificate: row.signature_certificate === null ? null : bytes(row.signature_certificate),
    }
  );
}

function renewalRow(row: RenewalRow): RenewalRow {
  return {
    ...row,
    authentication_key: bytes(row.authentication_key),
    signature_key: row.signature_key === null ? null : bytes(row.signature_key),
  };
}
