import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The kiosk's records live in one SQLite file (docs/architecture.md,
 * "Records"): the renewal journal, the audit chain, and what is derived from
 * them. This module opens that file the one safe way:
 *
 * - `journal_mode=WAL` and `synchronous=FULL`: a transaction that has
 *   returned is on disk, so "journalled before it is attempted" holds even
 *   when the power goes the moment after;
 * - `foreign_keys=ON`; a busy timeout, so the CLI can read while the kiosk writes;
 * - the file (and with it SQLite's -wal and -shm files, which copy its
 *   permissions) is readable by the kiosk's user only (0600);
 * - the schema is versioned; migrations run forward only, each in its own
 *   transaction, and a file from a newer kiosk is refused rather than
 *   guessed at;
 * - a file that is not a kiosk database (another application's SQLite file,
 *   or not SQLite at all) is refused before anything is written to it.
 */

export type KioskDatabase = Database.Database;

export class KioskDatabaseError extends Error {
  override readonly name = 'KioskDatabaseError';
}

/** SQLite's application_id header field for our files: 'MYNK'. */
export const KIOSK_APPLICATION_ID = 0x4d594e4b;

interface Migration {
  /** The schema version this migration produces. */
  version: number;
  up(db: KioskDatabase): void;
}

/**
 * Forward-only migrations. Never edit a released one: add the next. The
 * audit triggers are part of the schema, so a migration that needs to
 * rewrite audit rows cannot exist — by design.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    // The renewal journal and the audit chain.
    version: 1,
    up(db) {
      db.exec(`
        CREATE TABLE renewals (
          renewal_id            TEXT PRIMARY KEY,
          card_key              TEXT NOT NULL,
          token_label           TEXT NOT NULL,
          authentication_serial TEXT NOT NULL,
          signature_serial      TEXT,
          route                 TEXT NOT NULL,
          state                 TEXT NOT NULL CHECK (state IN ('open', 'done', 'abandoned')),
          abandon_reason        TEXT,
          started_at            TEXT NOT NULL,
          ended_at              TEXT
        ) STRICT;
        -- At most one unfinished renewal per card.
        CREATE UNIQUE INDEX renewals_open_card ON renewals (card_key) WHERE state = 'open';

        -- The identities under which a renewal's card may come back: the card as it
        -- was ('old') and, once certificates are issued, the card as it will be ('new').
        CREATE TABLE renewal_cards (
          renewal_id TEXT NOT NULL REFERENCES renewals (renewal_id),
          kind       TEXT NOT NULL CHECK (kind IN ('old', 'new')),
          card_key   TEXT NOT NULL,
          PRIMARY KEY (renewal_id, kind)
        ) STRICT;
        CREATE INDEX renewal_cards_key ON renewal_cards (card_key);

        CREATE TABLE renewal_steps (
          renewal_id TEXT NOT NULL REFERENCES renewals (renewal_id),
          seq        INTEGER NOT NULL,
          step       TEXT NOT NULL,
          state      TEXT NOT NULL CHECK (state IN ('started', 'finished')),
          at         TEXT NOT NULL,
          data       TEXT NOT NULL,
          PRIMARY KEY (renewal_id, seq)
        ) STRICT;

        CREATE TABLE audit_log (
          seq                   INTEGER PRIMARY KEY,
          at                    TEXT NOT NULL,
          event                 TEXT NOT NULL,
          terminal_id           TEXT NOT NULL,
          session_id            TEXT,
          renewal_id            TEXT,
          staff                 TEXT,
          authentication_serial TEXT,
          signature_serial      TEXT,
          detail                TEXT NOT NULL,
          prev_hash             TEXT NOT NULL,
          hash                  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX audit_log_at ON audit_log (at);

        -- The chain cannot show a cut-off tail on its own: the head remembers
        -- the last row, and is moved in the same transaction as each append.
        CREATE TABLE audit_head (
          id   INTEGER PRIMARY KEY CHECK (id = 1),
          seq  INTEGER NOT NULL,
          hash TEXT NOT NULL
        ) STRICT;
        INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${'0'.repeat(64)}');

        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be changed'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: rows cannot be deleted'); END;
        CREATE TRIGGER audit_log_append_only_at_head BEFORE INSERT ON audit_log
          WHEN NEW.seq IS NOT (SELECT seq + 1 FROM audit_head WHERE id = 1)
            OR NEW.prev_hash IS NOT (SELECT hash FROM audit_head WHERE id = 1)
          BEGIN SELECT RAISE(ABORT, 'an audit row must follow the head of the chain'); END;
        CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
          BEGIN SELECT RAISE(ABORT, 'the audit head cannot be deleted'); END;
        CREATE TRIGGER audit_head_moves_forward BEFORE UPDATE ON audit_head
          WHEN NEW.id IS NOT OLD.id
            OR NEW.seq IS NOT OLD.seq + 1
            OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash)
          BEGIN SELECT RAISE(ABORT, 'the audit head only moves to the row just appended'); END;
      `);
    },
  },
  {
    // Audit shipping: what the issuing service has acknowledged.
    version: 2,
    up(db) {
      db.exec(`
        -- The audit outbox: every audit row after acknowledged_seq is still to be
        -- delivered to the issuing service (docs/fleet.md). The log itself is the
        -- outbox's content, so no row can be appended without being queued.
        -- chain_id names this file's chain for the service: a new database (a replaced
        -- disk, a reinstall) starts a new chain, which the service keeps apart and reports.
        CREATE TABLE audit_shipping (
          id                INTEGER PRIMARY KEY CHECK (id = 1),
          chain_id          TEXT NOT NULL CHECK (length(chain_id) = 32),
          acknowledged_seq  INTEGER NOT NULL,
          acknowledged_hash TEXT NOT NULL
        ) STRICT;
        INSERT INTO audit_shipping (id, chain_id, acknowledged_seq, acknowledged_hash)
          VALUES (1, lower(hex(randomblob(16))), 0, '${'0'.repeat(64)}');
      `);
    },
  },
  {
    // Staff sign-in limits that survive a restart.
    version: 3,
    up(db) {
      db.exec(`
        -- Wrong staff passcodes in a row, per account and for the whole terminal
        -- (account = ''), and until when sign-in is refused (kiosk/staff-session.ts).
        -- Kept here so that restarting the counter PC does not clear them.
        CREATE TABLE staff_sign_in_limits (
          account       TEXT NOT NULL PRIMARY KEY,
          failures      INTEGER NOT NULL CHECK (failures >= 0),
          refused_until INTEGER NOT NULL,
          locked        INTEGER NOT NULL CHECK (locked IN (0, 1))
        ) STRICT;
      `);
    },
  },
];

/**
 * The objects whose SQL must be exactly what the migrations made: the
 * triggers that make the audit log append-only. Someone who drops or edits
 * one (to delete or rewrite rows) is seen the next time the kiosk opens the
 * file, whatever they did to the rows.
 */
const GUARDED_TRIGGERS = [
  'audit_log_no_update',
  'audit_log_no_delete',
  'audit_log_append_only_at_head',
  'audit_head_no_delete',
  'audit_head_moves_forward',
] as const;

/** The guarded triggers' SQL as the migrations write it, taken from a fresh in-memory database once. */
let expectedTriggers: Map<string, string> | undefined;
function expectedTriggerSql(): Map<string, string> {
  return (expectedTriggers ??= freshTriggerSql());
}

function freshTriggerSql(): Map<string, string> {
  // Stryker disable next-line StringLiteral: '' opens a temporary database instead, which answers the same
  const fresh = new Database(':memory:');
  // The migrations run on an empty database in memory as they ran on every kiosk's; nothing here throws but a bug.
  for (const migration of MIGRATIONS) migration.up(fresh);
  const sql = triggerSql(fresh);
  fresh.close();
  return sql;
}

function triggerSql(db: KioskDatabase): Map<string, string> {
  const rows = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'").all() as { name: string; sql: string }[];
  return new Map(rows.map((row) => [row.name, row.sql]));
}

/**
 * What is wrong with the schema's guards, one sentence each (empty when
 * nothing is): a trigger of the audit log dropped, changed, or one added
 * that the kiosk never made.
 */
export function schemaFindings(db: KioskDatabase): string[] {
  const expected = expectedTriggerSql();
  const actual = triggerSql(db);
  const findings: string[] = [];
  for (const name of GUARDED_TRIGGERS) {
    const sql = actual.get(name);
    if (sql === undefined) findings.push(`the trigger ${name} has been dropped, so audit rows could be changed or removed unseen`);
    else if (sql !== expected.get(name)) findings.push(`the trigger ${name} has been changed from the one the kiosk made`);
  }
  for (const name of actual.keys()) if (!expected.has(name)) findings.push(`a trigger ${name} that the kiosk never made has been added`);
  return findings;
}

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

export interface OpenOptions {
  /** Create the file (and its folder, 0700) when it does not exist. Default true; the CLI passes false. */
  create?: boolean;
  /**
   * Open a file whose audit triggers were dropped or changed, to report it
   * (`audit verify`). Without it such a file is refused: the kiosk never
   * writes to a log whose guards are gone.
   */
  inspect?: boolean;
}

export function openKioskDatabase(path: string, options: OpenOptions = {}): KioskDatabase {
  const create = options.create ?? true;
  if (!existsSync(path)) {
    if (!create) throw new KioskDatabaseError(`no kiosk database at ${path}`);
    const cannotCreate = (error: unknown) => new KioskDatabaseError(`${path} cannot be created: ${(error as Error).message}`);
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw cannotCreate(error);
    }
    try {
      // Created empty with the right mode before SQLite sees it, so it is never world-readable.
      closeSync(openSync(path, 'wx', 0o600));
    } catch (error) {
      // EEXIST: something was made there meanwhile; it is checked below like any file found.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate(error);
    }
  }
  try {
    chmodSync(path, 0o600);
  } catch (error) {
    throw new KioskDatabaseError(`${path}: cannot restrict the file to its owner: ${(error as Error).message}`);
  }

  let db: KioskDatabase;
  try {
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: the file was made above; only one removed in between would tell
    db = new Database(path, { fileMustExist: true });
  } catch (error) {
    throw new KioskDatabaseError(`${path} cannot be opened: ${(error as Error).message}`);
  }
  try {
    checkIdentity(db, path);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal')
      throw new KioskDatabaseError(
        `${path}: SQLite refused write-ahead logging (journal_mode is ${String(mode)}); is it on a network file system?`,
      );
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, path);
    const findings = schemaFindings(db);
    if (findings.length > 0 && !options.inspect)
      throw new KioskDatabaseError(
        `${path}: the audit log's guards have been tampered with — ${findings.join('; ')}. ` +
          'The kiosk will not write to it: run `npx myna-kiosk audit verify` and call the IT department',
      );
    return db;
  } catch (error) {
    db.close();
    if (error instanceof KioskDatabaseError) throw error;
    if ((error as { code?: string }).code === 'SQLITE_NOTADB')
      throw new KioskDatabaseError(`${path} is not a kiosk database (not an SQLite file)`);
    throw new KioskDatabaseError(`${path} cannot be opened: ${(error as Error).message}`);
  }
}

/** Refuses a file that holds someone else's data, before anything (even WAL mode) is written to it. */
function checkIdentity(db: KioskDatabase, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId === KIOSK_APPLICATION_ID) return;
  const objects = (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get() as { n: number }).n;
  if (applicationId !== 0 || objects > 0) {
    throw new KioskDatabaseError(`${path} is not a kiosk database (it is an SQLite file of another application); refusing to touch it`);
  }
  // An empty file: ours to set up (migrate() does, in one transaction).
}

function readVersion(db: KioskDatabase, path: string): number {
  const table = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'kiosk_schema'").get();
  if (!table) {
    if ((db.pragma('application_id', { simple: true }) as number) === KIOSK_APPLICATION_ID) {
      throw new KioskDatabaseError(`${path} is marked as a kiosk database but has no schema version table; it is damaged`);
    }
    return 0;
  }
  const row = db.prepare('SELECT version FROM kiosk_schema WHERE id = 1').get() as { version: number } | undefined;
  if (!row || !Number.isInteger(row.version))
    throw new KioskDatabaseError(`${path}: the schema version row is missing; the database is damaged`);
  return row.version;
}

function migrate(db: KioskDatabase, path: string): void {
  const initial = readVersion(db, path);
  if (initial > SCHEMA_VERSION) {
    throw new KioskDatabaseError(
      `${path} was written by a newer myna-kiosk (schema version ${initial}; this version knows up to ${SCHEMA_VERSION}); ` +
        'refusing to open it — update the kiosk software',
    );
  }
  for (const migration of MIGRATIONS) {
    // Spares an up-to-date database a write lock per migration at every start; the check inside the lock decides.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the re-read inside the lock gives the same answer
    if (migration.version <= initial) continue;
    db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      const current = readVersion(db, path);
      if (current >= migration.version) return;
      // Stryker disable ConditionalExpression,StringLiteral: migrations run in order, so only a gap in their numbers (a bug) gets here
      if (current !== migration.version - 1)
        throw new KioskDatabaseError(`${path}: schema version ${current} cannot be migrated to ${migration.version}`);
      // Stryker restore ConditionalExpression,StringLiteral
      if (current === 0) {
        db.exec(
          'CREATE TABLE kiosk_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, migrated_at TEXT NOT NULL) STRICT',
        );
        db.prepare('INSERT INTO kiosk_schema (id, version, migrated_at) VALUES (1, 0, ?)').run(new Date().toISOString());
        db.pragma(`application_id = ${KIOSK_APPLICATION_ID}`);
      }
      migration.up(db);
      db.prepare('UPDATE kiosk_schema SET version = ?, migrated_at = ? WHERE id = 1').run(migration.version, new Date().toISOString());
    }).immediate();
  }
}

/** `$MYNA_KIOSK_DATA_DIR`, or `~/.local/share/myna-kiosk`. */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env.MYNA_KIOSK_DATA_DIR || join(home, '.local', 'share', 'myna-kiosk');
}

/** `$MYNA_KIOSK_DB`, or `kiosk.sqlite` in the data folder. */
export function resolveDatabasePath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  return env.MYNA_KIOSK_DB || join(resolveDataDir(env, home), 'kiosk.sqlite');
}
