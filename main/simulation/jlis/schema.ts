import { runMigrations, type Migration, type SqlDriver } from '../../base/sql-database';

/**
 * The simulated J-LIS's schema, the one place it is written: an ordered list
 * of migrations, each applied once and recorded in `schema_migrations`. A
 * new table (or column, or constraint) is a new entry at the end — never an
 * edit of one already released. The same SQL runs on PGlite and PostgreSQL.
 *
 * The rules the issuing side must keep are constraints, so they hold however
 * many service processes share one PostgreSQL (docs/issuing-service.md,
 * "The database"):
 *
 * - at most one issuance per renewal id that is not voided:
 *   `renewals_one_active` (a unique index on renewal_id WHERE voided_at IS NULL),
 *   and one row per (renewal_id, generation);
 * - a renewal is confirmed at most once (`confirmations` keyed by renewal_id),
 *   and one certificate is replaced by at most one confirmed renewal
 *   (`confirmations_replaces_once`);
 * - a certificate is revoked exactly once: `revocations` keyed by (ca, serial);
 * - a serial is issued once per CA: `issued_certificates_serial_once`;
 * - a possession nonce allows one issue: spent by a conditional update
 *   (`used_at IS NULL`) in the issue's own transaction;
 * - a PIN-reset proof names the staff member and the identity check:
 *   `issuer_proofs_reset_names_staff`.
 */

export type { Migration } from '../../base/sql-database';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'residents, renewals, issued certificates, confirmations, revocations, possession challenges, issuer proofs',
    sql: `
CREATE TABLE residents (
  id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
  authentication_certificate BYTEA NOT NULL,
  signature_certificate BYTEA,
  enrolled_at TEXT NOT NULL
);
-- every authentication serial a resident ever had (the current one included)
CREATE TABLE authentication_serials (
  serial TEXT PRIMARY KEY,
  resident_id INTEGER NOT NULL REFERENCES residents(id)
);
-- one row per issue; a voided generation is followed by the next one
CREATE TABLE renewals (
  renewal_id TEXT NOT NULL,
  generation INTEGER NOT NULL CHECK (generation >= 1),
  resident_id INTEGER NOT NULL REFERENCES residents(id),
  authentication_serial TEXT NOT NULL,
  renewed_on TEXT NOT NULL,
  authentication_key BYTEA NOT NULL,
  signature_key BYTEA,
  -- the terminal that made the renewal: only it is answered about it
  terminal_id TEXT NOT NULL,
  route TEXT NOT NULL CHECK (route IN ('in-person', 'voluntary-proxy', 'legal-representative')),
  issued_at TEXT NOT NULL,
  voided_at TEXT,
  PRIMARY KEY (renewal_id, generation)
);
-- the rule "one issuance per renewal id": at most one generation is not voided
CREATE UNIQUE INDEX renewals_one_active ON renewals (renewal_id) WHERE voided_at IS NULL;
CREATE TABLE issued_certificates (
  renewal_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  slot TEXT NOT NULL CHECK (slot IN ('authentication', 'signature')),
  serial TEXT NOT NULL,
  der BYTEA NOT NULL,
  not_after TEXT NOT NULL,
  PRIMARY KEY (renewal_id, generation, slot),
  FOREIGN KEY (renewal_id, generation) REFERENCES renewals (renewal_id, generation),
  CONSTRAINT issued_certificates_serial_once UNIQUE (slot, serial)
);
CREATE TABLE confirmations (
  renewal_id TEXT PRIMARY KEY,
  generation INTEGER NOT NULL,
  -- the authentication certificate the confirmed renewal replaced
  replaces_serial TEXT NOT NULL,
  confirmed_at TEXT NOT NULL,
  FOREIGN KEY (renewal_id, generation) REFERENCES renewals (renewal_id, generation),
  CONSTRAINT confirmations_replaces_once UNIQUE (replaces_serial)
);
-- single-use nonces for the card's proof of possession, each bound to a renewal, a terminal and a certificate
CREATE TABLE possession_challenges (
  nonce TEXT PRIMARY KEY,
  renewal_id TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  authentication_serial TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  -- set once, by the issue the proof allowed (in the issue's transaction)
  used_at TEXT
);
-- every issuer proof given: which card, for what, from which terminal; a PIN reset names the staff member who checked identity
CREATE TABLE issuer_proofs (
  id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('renewal', 'pin-reset')),
  reference TEXT NOT NULL,
  terminal_id TEXT NOT NULL,
  chip_serial TEXT NOT NULL,
  resident_id INTEGER NOT NULL REFERENCES residents(id),
  staff_id TEXT,
  identity_checked_at TEXT,
  given_at TEXT NOT NULL,
  CONSTRAINT issuer_proofs_reset_names_staff CHECK (purpose = 'renewal' OR (staff_id IS NOT NULL AND identity_checked_at IS NOT NULL))
);
CREATE TABLE revocations (
  ca TEXT NOT NULL CHECK (ca IN ('authentication', 'signature')),
  serial TEXT NOT NULL,
  reason TEXT NOT NULL,
  revoked_at TEXT NOT NULL,
  renewal_id TEXT,
  PRIMARY KEY (ca, serial)
);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the database to SCHEMA_VERSION (main/base/sql-database.ts
 * `runMigrations`: one transaction per migration, under an advisory lock, a
 * newer database refused).
 */
export async function migrate(db: SqlDriver, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  await runMigrations(db, migrations, { table: 'schema_migrations', lock: 0x6a6c6973 /* 'jlis' */, what: 'the simulated J-LIS' });
}
