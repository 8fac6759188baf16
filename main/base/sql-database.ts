import { PGlite, type Transaction } from '@electric-sql/pglite';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

/**
 * The two ways a store of the issuing side reaches PostgreSQL — the
 * simulated J-LIS (main/simulation/jlis/) and the fleet's records
 * (main/service/fleet-store.ts) — behind one tiny interface, so every SQL
 * statement runs unchanged on both:
 *
 * - PGlite (`@electric-sql/pglite`, PostgreSQL compiled to WebAssembly), in
 *   a data directory of its own, embedded in this process: the default,
 *   nothing to install. One process at a time: the directory is guarded by
 *   a lock file, and every opener in this process shares one database.
 * - `pg` (node-postgres) with a pool of connections, for a `postgres://…`
 *   URL: several service processes on one PostgreSQL server.
 *
 * Every transaction runs at SERIALIZABLE. The caller (JlisStore, FleetStore) retries
 * the ones PostgreSQL aborts (`isRetryable`).
 */

export interface Queryable {
  /** One statement with `$1…` parameters; the rows it returns. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements without parameters (a migration). */
  exec(sql: string): Promise<void>;
}

export type Isolation = 'serializable' | 'read committed';

export interface SqlDriver extends Queryable {
  /** Where the data is, for messages (a directory, or the URL without its password). */
  readonly where: string;
  /**
   * `work` inside one transaction, SERIALIZABLE unless told otherwise:
   * committed when it resolves, rolled back when it throws.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>, isolation?: Isolation): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL's SQLSTATEs that mean "another transaction got there first": run it again, it will see what the other did. */
const RETRYABLE = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '23505', // unique_violation: the row another transaction committed meanwhile; a replay reads it
]);

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && RETRYABLE.has(code);
}

/** One forward-only step of a schema. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The name a PGlite template of a schema is kept under: the schema's name
 * and a digest of its migrations, so a template made by other migrations
 * (an older version, or one edited before release) is never taken for it.
 */
export function schemaTemplateKey(name: string, migrations: readonly Migration[]): string {
  const digest = createHash('sha256');
  for (const migration of migrations) digest.update(`${migration.version}\0${migration.sql}\0`);
  return `${name}-${migrations.at(-1)?.version ?? 0}-${digest.digest('hex').slice(0, 12)}`;
}

/**
 * Brings a schema to its last migration, one transaction per migration,
 * under an advisory lock so that processes starting together on one server
 * migrate once. Each schema keeps its versions in a table of its own (two
 * stores may share one database). A database written by a newer version is
 * refused.
 */
export async function runMigrations(
  db: SqlDriver,
  migrations: readonly Migration[],
  schema: { table: string; lock: number; what: string },
): Promise<void> {
  if (!/^[a-z_]+$/.test(schema.table)) throw new Error(`not a table name: ${schema.table}`);
  const latest = migrations[migrations.length - 1]!.version;
  // READ COMMITTED: after waiting for the lock, each statement sees what the process before it committed.
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [schema.lock]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS ${schema.table} (
      version INTEGER PRIMARY KEY,
      description TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
  }, 'read committed');
  for (;;) {
    const applied = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [schema.lock]);
      const [row] = await tx.query<{ version: number | null }>(`SELECT MAX(version) AS version FROM ${schema.table}`);
      const current = row?.version ?? 0;
      if (current > latest) throw new Error(`${schema.what} in ${db.where} was written by a newer version (schema ${current} > ${latest})`);
      const next = migrations.find((migration) => migration.version > current);
      if (!next) return false;
      await tx.exec(next.sql);
      await tx.query(`INSERT INTO ${schema.table} (version, description) VALUES ($1, $2)`, [next.version, next.description]);
      return true;
    }, 'read committed');
    if (!applied) return;
  }
}

/**
 * Runs `work` as one SERIALIZABLE transaction, again from the start when
 * PostgreSQL aborts it because a concurrent transaction got there first
 * (`isRetryable`): `work` must read what it decides on inside it.
 */
export async function retryingTransaction<T>(driver: SqlDriver, work: (tx: Queryable) => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await driver.transaction(work);
    } catch (error) {
      if (!isRetryable(error) || attempt >= attempts) throw error;
      await new Promise((resolveWait) => setTimeout(resolveWait, Math.random() * 5 * attempt));
    }
  }
}

/** A `postgres://` or `postgresql://` URL (the `--database` option). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//.test(value);
}

/** The URL as it may be printed: never its password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(an unreadable URL)';
  }
}

// ---------------------------------------------------------------------------
// node-postgres.

export async function openPostgresDriver(url: string, label = 'the database'): Promise<SqlDriver> {
  const where = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle connection that the server drops must not crash the process.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new Error(`cannot reach ${label} ${where}: ${(error as Error).message}`, { cause: error });
  }
  return {
    where,
    async query(sql, params = []) {
      return (await pool.query(sql, params as unknown[])).rows;
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(work, isolation = 'serializable') {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${isolation === 'serializable' ? 'SERIALIZABLE' : 'READ COMMITTED'}`);
        const tx: Queryable = {
          query: async (sql, params = []) => (await client.query(sql, params as unknown[])).rows,
          exec: async (sql) => {
            await client.query(sql);
          },
        };
        const result = await work(tx);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

// ---------------------------------------------------------------------------
// PGlite.

interface OpenPglite {
  db: Promise<PGlite>;
  users: number;
  lockFile: string;
}

/**
 * The PGlite databases open in this process, by data directory. Kept on
 * globalThis so that a module loaded twice (test runners do) still finds
 * the database the first copy opened instead of opening it a second time.
 */
interface ProcessState {
  databases: Map<string, OpenPglite>;
  /** Lock files this process holds, released when it exits. */
  locks: Set<string>;
  releaseOnExit: boolean;
}
const STATE_KEY = Symbol.for('myna-kiosk.pglite-databases');
const state = ((globalThis as Record<symbol, unknown>)[STATE_KEY] ??= {
  databases: new Map(),
  locks: new Set(),
  releaseOnExit: false,
} satisfies ProcessState) as ProcessState;
const registry = state.databases;

/** What a new PGlite data directory cost and how it was made, for the docs and the tests. */
export interface PgliteOpenReport {
  created: 'template' | 'initdb' | 'existing' | 'shared';
  ms: number;
}

export interface PgliteOptions {
  /** Where the prepared empty database is kept (default: the user's cache folder); `false` always runs initdb. */
  templateDir?: string | false;
  /**
   * What a database made by initdb gets before it becomes the template (the
   * schema's migrations), and the name that template is kept under: a new
   * directory then starts with the schema in place instead of running it.
   */
  prepare?: { key: string; run: (driver: SqlDriver) => Promise<void> };
  /** Told how the directory was opened. */
  onOpened?: (report: PgliteOpenReport) => void;
  /** What the database is, for messages ("the simulated J-LIS database"); default "the database". */
  label?: string;
}

/**
 * The PGlite database in `dataDir`, created when missing. A second opener in
 * this process shares it; another process holding it is refused with a
 * message that names it.
 */
export async function openPgliteDriver(dataDir: string, options: PgliteOptions = {}): Promise<SqlDriver> {
  const key = resolve(dataDir);
  let entry = registry.get(key);
  const started = performance.now();
  if (entry) {
    entry.users++;
    options.onOpened?.({ created: 'shared', ms: 0 });
  } else {
    const lockFile = `${key}.lock`;
    takeLock(lockFile, key, options.label ?? 'the database');
    const opening: OpenPglite = { db: createPglite(key, options, started), users: 1, lockFile };
    entry = opening;
    registry.set(key, opening);
    opening.db.catch(() => {
      if (registry.get(key) === opening) registry.delete(key);
      releaseLock(lockFile);
    });
  }
  const open = entry;
  const db = await open.db;
  let closed = false;
  return {
    ...pgliteQueries(db, key),
    async close() {
      if (closed) return;
      closed = true;
      if (--open.users > 0) return;
      registry.delete(key);
      try {
        await db.close();
      } finally {
        releaseLock(open.lockFile);
      }
    },
  };
}

/** Queries and transactions on an open PGlite: the driver's, and what `prepare` runs on a new database. */
function pgliteQueries(db: PGlite, where: string): Omit<SqlDriver, 'close'> {
  return {
    where,
    async query(sql, params = []) {
      return (await db.query(sql, params as unknown[])).rows as never[];
    },
    async exec(sql) {
      await db.exec(sql);
    },
    async transaction(work, isolation = 'serializable') {
      return db.transaction(async (tx: Transaction) => {
        // PGlite has one connection and runs one transaction at a time; the level is set all the same, as on a server.
        if (isolation === 'serializable') await tx.query('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
        return work({
          query: async (sql, params = []) => (await tx.query(sql, params as unknown[])).rows as never[],
          exec: async (sql) => {
            await tx.exec(sql);
          },
        });
      });
    },
  };
}

async function createPglite(dataDir: string, options: PgliteOptions, started: number): Promise<PGlite> {
  mkdirSync(dirname(dataDir), { recursive: true });
  const report = (created: PgliteOpenReport['created']) => options.onOpened?.({ created, ms: performance.now() - started });
  if (existsSync(join(dataDir, 'PG_VERSION'))) {
    const db = await PGlite.create({ dataDir });
    report('existing');
    return db;
  }
  // A new directory: PGlite's initdb takes seconds, unpacking a prepared empty database far less.
  rmSync(dataDir, { recursive: true, force: true });
  const template = options.templateDir === false ? undefined : templatePath(options.templateDir, options.prepare?.key);
  if (template && existsSync(template)) {
    try {
      const db = await PGlite.create({ dataDir, loadDataDir: new Blob([readFileSync(template)]) });
      report('template');
      return db;
    } catch {
      // A damaged template: forget it and make the directory the long way (and a new template).
      rmSync(template, { force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const db = await PGlite.create({ dataDir });
  report('initdb');
  if (options.prepare) await options.prepare.run({ ...pgliteQueries(db, dataDir), close: async () => undefined });
  if (template) {
    // The new database (with the schema `prepare` gave it): the next new directory starts from it.
    const dump = Buffer.from(await (await db.dumpDataDir('gzip')).arrayBuffer());
    mkdirSync(dirname(template), { recursive: true });
    const partial = `${template}.${process.pid}.partial`;
    writeFileSync(partial, dump);
    renameSync(partial, template);
  }
  return db;
}

/** The prepared database of this PGlite version: empty, or with what `prepare` under `key` gave it. */
export function templatePath(templateDir?: string, key = 'empty'): string {
  const dir = templateDir ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'myna-kiosk', 'pglite-templates');
  return join(dir, `pglite-${pgliteVersion()}-${key}.tar.gz`);
}

function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@electric-sql/pglite');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

// ---------------------------------------------------------------------------
// The lock file beside a PGlite directory: `<dir>.lock` holds the PID of the process that has it open.

function takeLock(lockFile: string, dataDir: string, label: string): void {
  mkdirSync(dirname(lockFile), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      state.locks.add(lockFile);
      if (!state.releaseOnExit) {
        state.releaseOnExit = true;
        process.once('exit', () => {
          for (const file of state.locks) releaseLock(file);
        });
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readLock(lockFile), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new Error(
        `${label} ${dataDir} is open in process ${holder}; point other processes at its service ` +
          `(or run the services on one PostgreSQL server with --database postgres://…). Lock file: ${lockFile}`,
      );
    }
    // Left by a process that ended without closing (or by this process, before its database was forgotten): take it over.
    rmSync(lockFile, { force: true });
  }
  throw new Error(`cannot take the lock ${lockFile} of ${label} ${dataDir}`);
}

function readLock(lockFile: string): string {
  try {
    return readFileSync(lockFile, 'utf8').trim();
  } catch {
    return '';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseLock(lockFile: string): void {
  if (!state.locks.delete(lockFile)) return;
  try {
    if (readLock(lockFile) === String(process.pid)) unlinkSync(lockFile);
  } catch {
    // Already gone.
  }
}
