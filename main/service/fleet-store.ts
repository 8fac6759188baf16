import { join } from 'node:path';
import {
  openPgliteDriver,
  openPostgresDriver,
  retryingTransaction,
  runMigrations,
  schemaTemplateKey,
  type Migration,
  type PgliteOptions,
  type Queryable,
  type SqlDriver,
} from '../base/sql-database';
import { ALERT_KINDS } from '../../preload/dashboard-contract';
import {
  auditRowFromStored,
  canonicalJson,
  continueChain,
  STORED_AUDIT_COLUMNS,
  storedAuditRow,
  type AuditRow,
  type ChainBreak,
  type ChainHead,
  type StoredAuditRow,
} from '../domain/audit-record';
import { addDays, dayAfter, japanInstant, japanTimestamp, todayInJapan, type JapanDate } from '../domain/japan-calendar';
import type { AuditBatchResponse, Heartbeat } from '../issuance/fleet-wire';

/**
 * The fleet's records at the issuing service (docs/fleet.md), in PostgreSQL
 * beside (or, on one server, in the same database as) the issuing side:
 *
 * - every terminal's audit rows, keyed by (terminal, seq), each delivery
 *   checked to continue the chain already held (domain/audit-record.ts
 *   `continueChain`). What does not continue it is never taken: an alert is
 *   opened and the refused row kept as evidence;
 * - each terminal's last heartbeat, and the alerts it raises (reader
 *   unplugged, printer failed, a head behind the copy held) or its silence
 *   raises (stale);
 * - every sign-in to the dashboard, refused or accepted, and every sign-out;
 * - every export of the fleet's rows.
 *
 * No table has a column for a PIN, a My Number, a name or an address; audit
 * rows arrive already checked against the terminal's closed vocabulary
 * (`auditRowSchema`).
 */

/**
 * Chain alerts (chain-*) are never closed by a terminal: a person looks and
 * closes them. Health alerts (stale, reader-unplugged, printer-failed) close
 * when the next heartbeat shows the terminal well again.
 */
export { ALERT_KINDS };
export type AlertKind = (typeof ALERT_KINDS)[number];

const CHAIN_ALERT: Record<ChainBreak['kind'], AlertKind> = {
  gap: 'chain-gap',
  rewritten: 'chain-rewritten',
  unlinked: 'chain-unlinked',
  'row-edited': 'chain-row-edited',
};

export interface Alert {
  id: number;
  terminalId: string;
  kind: AlertKind;
  firstBadSeq: number | null;
  message: string;
  openedAt: string;
  lastSeenAt: string;
  count: number;
  closedAt: string | null;
}

export interface TerminalHealth {
  terminalId: string;
  receivedAt: string;
  report: Heartbeat;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'fleet audit rows, heads, alerts, heartbeats, dashboard sign-ins, exports',
    sql: `
      CREATE TABLE fleet_audit (
        terminal_id           TEXT NOT NULL,
        chain_id              TEXT NOT NULL,
        seq                   BIGINT NOT NULL CHECK (seq >= 1),
        at                    TEXT NOT NULL,
        event                 TEXT NOT NULL,
        row_terminal_id       TEXT NOT NULL,
        session_id            TEXT,
        renewal_id            TEXT,
        staff                 TEXT,
        authentication_serial TEXT,
        signature_serial      TEXT,
        detail                TEXT NOT NULL,
        prev_hash             TEXT NOT NULL,
        hash                  TEXT NOT NULL,
        received_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (terminal_id, chain_id, seq)
      );
      CREATE INDEX fleet_audit_at ON fleet_audit (at);

      -- The last row held per terminal and chain, moved in the transaction that stores rows. A terminal's
      -- current chain is the one that last delivered (a new database starts a new chain).
      CREATE TABLE fleet_audit_heads (
        terminal_id TEXT NOT NULL,
        chain_id    TEXT NOT NULL,
        seq         BIGINT NOT NULL,
        hash        TEXT NOT NULL,
        started_at  TIMESTAMPTZ NOT NULL,
        updated_at  TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (terminal_id, chain_id)
      );

      CREATE TABLE fleet_alerts (
        id             BIGSERIAL PRIMARY KEY,
        terminal_id    TEXT NOT NULL,
        kind           TEXT NOT NULL,
        first_bad_seq  BIGINT,
        message        TEXT NOT NULL,
        opened_at      TIMESTAMPTZ NOT NULL,
        last_seen_at   TIMESTAMPTZ NOT NULL,
        seen           INTEGER NOT NULL DEFAULT 1,
        closed_at      TIMESTAMPTZ,
        closed_by      TEXT
      );
      -- One open alert per terminal and kind: a repeat is counted, not a new alert.
      CREATE UNIQUE INDEX fleet_alerts_one_open ON fleet_alerts (terminal_id, kind) WHERE closed_at IS NULL;

      -- A row refused because it did not continue the chain, kept for the auditors.
      CREATE TABLE fleet_audit_evidence (
        alert_id    BIGINT NOT NULL REFERENCES fleet_alerts (id),
        seq         BIGINT NOT NULL,
        row_json    TEXT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (alert_id, seq, row_json)
      );

      CREATE TABLE fleet_heartbeats (
        terminal_id TEXT PRIMARY KEY,
        received_at TIMESTAMPTZ NOT NULL,
        report      TEXT NOT NULL
      );

      CREATE TABLE dashboard_sign_ins (
        id         BIGSERIAL PRIMARY KEY,
        account_id TEXT NOT NULL,
        at         TIMESTAMPTZ NOT NULL,
        result     TEXT NOT NULL CHECK (result IN ('accepted', 'refused', 'signed-out', 'expired'))
      );

      CREATE TABLE fleet_exports (
        id       BIGSERIAL PRIMARY KEY,
        at       TIMESTAMPTZ NOT NULL,
        operator TEXT NOT NULL,
        from_day TEXT NOT NULL,
        to_day   TEXT NOT NULL,
        format   TEXT NOT NULL,
        rows     INTEGER NOT NULL
      );
    `,
  },
];

const FLEET_SCHEMA = { table: 'fleet_schema_migrations', lock: 0x666c6574 /* 'flet' */, what: "the issuing service's fleet records" };
const FLEET_DATABASE = "the issuing service's fleet database";
/** The PGlite directory inside the service folder. */
export const FLEET_PGLITE_DIR = 'fleet-pg';

export interface FleetStoreOptions {
  /** A postgres:// URL; without it, an embedded PGlite in `dir`. */
  database?: string;
  /** The service folder (the PGlite directory goes in it). */
  dir?: string;
  pglite?: PgliteOptions;
  now?: () => Date;
}

export async function openFleetStore(options: FleetStoreOptions): Promise<FleetStore> {
  let driver: SqlDriver;
  if (options.database) driver = await openPostgresDriver(options.database, FLEET_DATABASE);
  else if (options.dir)
    driver = await openPgliteDriver(join(options.dir, FLEET_PGLITE_DIR), {
      ...options.pglite,
      label: FLEET_DATABASE,
      prepare: { key: schemaTemplateKey('fleet-schema', MIGRATIONS), run: (fresh) => runMigrations(fresh, MIGRATIONS, FLEET_SCHEMA) },
    });
  else throw new Error('the fleet store needs a database URL or a folder for its embedded database');
  try {
    await runMigrations(driver, MIGRATIONS, FLEET_SCHEMA);
  } catch (error) {
    await driver.close();
    throw error;
  }
  return new FleetStore(driver, options.now ?? (() => new Date()));
}

interface AlertDbRow {
  id: string | number;
  terminal_id: string;
  kind: AlertKind;
  first_bad_seq: string | number | null;
  message: string;
  opened_at: Date | string;
  last_seen_at: Date | string;
  seen: number;
  closed_at: Date | string | null;
}

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

function alertOf(row: AlertDbRow): Alert {
  return {
    id: Number(row.id),
    terminalId: row.terminal_id,
    kind: row.kind,
    firstBadSeq: row.first_bad_seq === null ? null : Number(row.first_bad_seq),
    message: row.message,
    openedAt: iso(row.opened_at),
    lastSeenAt: iso(row.last_seen_at),
    count: row.seen,
    closedAt: row.closed_at === null ? null : iso(row.closed_at),
  };
}

/** What a delivery did, for the answer and the service's counters. */
export interface AuditReceipt extends AuditBatchResponse {
  /** The rows taken by this delivery (none of a repeat). */
  fresh: AuditRow[];
}

/** The day's figures the dashboard shows (per terminal and in total). */
export interface DayFigures {
  renewals: number;
  handOffs: Record<string, number>;
  abandoned: number;
  sessions: number;
}

/** A session that ended without a renewal or a hand-off: the resident left, or time ran out. */
const ABANDONED_ENDS = ['cancelled', 'timed-out', 'card-removed'];

export class FleetStore {
  readonly #driver: SqlDriver;
  readonly #now: () => Date;

  constructor(driver: SqlDriver, now: () => Date) {
    this.#driver = driver;
    this.#now = now;
  }

  get where(): string {
    return this.#driver.where;
  }

  // -------------------------------------------------------------------------
  // Audit rows

  /** A delivery of rows from a terminal (in seq order), checked against the chain held, in one transaction. */
  async receiveAudit(terminalId: string, chainId: string, rows: readonly AuditRow[]): Promise<AuditReceipt> {
    const sorted = [...rows].sort((a, b) => a.seq - b.seq);
    return retryingTransaction(this.#driver, async (tx) => {
      const head = await headOf(tx, terminalId, chainId);
      if (head.seq === 0) await this.#noteNewChain(tx, terminalId, chainId);
      const low = sorted[0]?.seq ?? 0;
      const held = new Map<number, string>();
      if (low <= head.seq) {
        const heldRows = await tx.query<{ seq: string | number; hash: string }>(
          'SELECT seq, hash FROM fleet_audit WHERE terminal_id = $1 AND chain_id = $2 AND seq >= $3 AND seq <= $4',
          [terminalId, chainId, low, head.seq],
        );
        for (const row of heldRows) held.set(Number(row.seq), row.hash);
      }
      const result = continueChain(head, (seq) => held.get(seq), sorted);
      // One statement for the whole delivery: the per-statement cost, not the per-row one, is most of a small batch's.
      if (result.fresh.length > 0) {
        // The row's own terminal (its hash covers it) goes in row_terminal_id; terminal_id is the certificate's.
        const columns = [
          'terminal_id',
          'chain_id',
          ...STORED_AUDIT_COLUMNS.map((column) => (column === 'terminal_id' ? 'row_terminal_id' : column)),
        ];
        const values = result.fresh.map(
          (_row, index) => `(${columns.map((_column, at) => `$${index * columns.length + at + 1}`).join(', ')})`,
        );
        await tx.query(
          `INSERT INTO fleet_audit (${columns.join(', ')}) VALUES ${values.join(', ')}`,
          result.fresh.flatMap((row) => {
            const stored = storedAuditRow(row);
            return [terminalId, chainId, ...STORED_AUDIT_COLUMNS.map((column) => stored[column])];
          }),
        );
      }
      const last = result.fresh.at(-1);
      const newHead = last ? { seq: last.seq, hash: last.hash } : head;
      if (last)
        await tx.query(
          `INSERT INTO fleet_audit_heads (terminal_id, chain_id, seq, hash, started_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
           ON CONFLICT (terminal_id, chain_id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at`,
          [terminalId, chainId, newHead.seq, newHead.hash, this.#now()],
        );
      const broken = result.broken;
      if (broken) {
        const alertId = await this.#raise(tx, terminalId, CHAIN_ALERT[broken.kind], broken.firstBadSeq, broken.message);
        const refused = sorted.find((row) => row.seq >= broken.firstBadSeq);
        if (refused)
          await tx.query('INSERT INTO fleet_audit_evidence (alert_id, seq, row_json) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
            alertId,
            refused.seq,
            canonicalJson({ ...refused }),
          ]);
      }
      return {
        head: newHead,
        accepted: result.fresh.length,
        repeats: result.repeats,
        fresh: result.fresh,
        ...(broken ? { conflict: { kind: broken.kind, firstBadSeq: broken.firstBadSeq, message: broken.message.slice(0, 300) } } : {}),
      };
    });
  }

  /** The last row held of every terminal's current chain (the one that last delivered). */
  async auditHeads(): Promise<Map<string, ChainHead & { chainId: string }>> {
    const rows = await this.#driver.query<{ terminal_id: string; chain_id: string; seq: string | number; hash: string }>(
      'SELECT terminal_id, chain_id, seq, hash FROM fleet_audit_heads ORDER BY updated_at, started_at',
    );
    return new Map(rows.map((row) => [row.terminal_id, { chainId: row.chain_id, seq: Number(row.seq), hash: row.hash }]));
  }

  async auditHead(terminalId: string, chainId: string): Promise<ChainHead> {
    return headOf(this.#driver, terminalId, chainId);
  }

  /** The hashes held for a terminal chain's rows after `after` (at most `limit`), in seq order. */
  async auditHashes(terminalId: string, chainId: string, after: number, limit: number): Promise<{ seq: number; hash: string }[]> {
    const rows = await this.#driver.query<{ seq: string | number; hash: string }>(
      'SELECT seq, hash FROM fleet_audit WHERE terminal_id = $1 AND chain_id = $2 AND seq > $3 ORDER BY seq LIMIT $4',
      [terminalId, chainId, after, limit],
    );
    return rows.map((row) => ({ seq: Number(row.seq), hash: row.hash }));
  }

  /** Every terminal's rows whose instant falls on the Japan dates from..to, by terminal then seq. */
  async auditRows(from: JapanDate, to: JapanDate): Promise<(AuditRow & { storedFor: string; chainId: string })[]> {
    const rows = await this.#driver.query<FleetAuditDbRow>(
      'SELECT * FROM fleet_audit WHERE at >= $1 AND at < $2 ORDER BY terminal_id, chain_id, seq',
      [japanInstant(from).toISOString(), japanInstant(dayAfter(to)).toISOString()],
    );
    return rows.map(fleetRowOf);
  }

  /** Records an export (who, which days, how many rows). */
  async recordExport(entry: { operator: string; from: JapanDate; to: JapanDate; format: 'csv' | 'jsonl'; rows: number }): Promise<void> {
    await this.#driver.query('INSERT INTO fleet_exports (at, operator, from_day, to_day, format, rows) VALUES ($1, $2, $3, $4, $5, $6)', [
      this.#now(),
      entry.operator,
      entry.from,
      entry.to,
      entry.format,
      entry.rows,
    ]);
  }

  // -------------------------------------------------------------------------
  // Health

  /**
   * Keeps a terminal's heartbeat, and opens or closes what it shows: the
   * reader unplugged, the printer failed, a chain whose head is behind (or
   * differs from) the copy held — a chain rolled back on the terminal.
   */
  async receiveHeartbeat(terminalId: string, report: Heartbeat): Promise<void> {
    const now = this.#now();
    const readerGone = report.reader === 'no_reader' || report.reader === 'unavailable';
    const printerFailed = report.printer === 'failed';
    const wellAgain: AlertKind[] = [
      'stale',
      ...(readerGone ? [] : ['reader-unplugged' as const]),
      ...(printerFailed ? [] : ['printer-failed' as const]),
    ];
    // The common case in one statement, no transaction around it (a heartbeat is most of the fleet's calls): keep the
    // report, close what it shows well again, and read the head held for its chain to compare.
    const [held] = await this.#driver.query<{ seq: string | number | null; hash: string | null }>(
      `WITH beat AS (
         INSERT INTO fleet_heartbeats (terminal_id, received_at, report) VALUES ($1, $2, $3)
         ON CONFLICT (terminal_id) DO UPDATE SET received_at = EXCLUDED.received_at, report = EXCLUDED.report
         RETURNING 1),
       closed AS (
         UPDATE fleet_alerts SET closed_at = $2, closed_by = 'heartbeat'
          WHERE terminal_id = $1 AND kind = ANY($4::text[]) AND closed_at IS NULL
         RETURNING 1)
       SELECT (SELECT count(*) FROM beat) AS beats, (SELECT count(*) FROM closed) AS closed, head.seq, head.hash
         FROM (SELECT 1) AS one
         LEFT JOIN fleet_audit_heads AS head ON head.terminal_id = $1 AND head.chain_id = $5`,
      [terminalId, now, JSON.stringify(report), wellAgain, report.auditChain],
    );
    const heldHead = { seq: Number(held?.seq ?? 0), hash: held?.hash ?? '0'.repeat(64) };
    const local = report.auditHead;
    const raise: [AlertKind, number | null, string][] = [];
    if (readerGone)
      raise.push([
        'reader-unplugged',
        null,
        report.reader === 'no_reader' ? 'no card reader is connected' : 'the card reader service is not running',
      ]);
    if (printerFailed) raise.push(['printer-failed', null, 'the last slip did not print (paper out, jammed or offline)']);
    if (local.seq < heldHead.seq)
      raise.push([
        'chain-rolled-back',
        local.seq + 1,
        `the terminal's chain ends at row ${local.seq}, but the service holds rows up to ${heldHead.seq}: ` +
          `rows from ${local.seq + 1} were removed or the file was rolled back`,
      ]);
    else if (local.seq === heldHead.seq && local.hash !== heldHead.hash)
      raise.push([
        'chain-rewritten',
        null,
        `the terminal's row ${local.seq} differs from the service's: its chain was rewritten at or before row ${local.seq}`,
      ]);
    if (raise.length > 0)
      await retryingTransaction(this.#driver, async (tx) => {
        for (const [kind, firstBadSeq, message] of raise) await this.#raise(tx, terminalId, kind, firstBadSeq, message);
      });
  }

  /** Opens a stale alert for every terminal silent longer than `staleAfterMs`; returns how many are stale. */
  async sweepStale(staleAfterMs: number): Promise<number> {
    const cutoff = new Date(this.#now().getTime() - staleAfterMs);
    const silent = await this.#driver.query<{ terminal_id: string; received_at: Date | string }>(
      'SELECT terminal_id, received_at FROM fleet_heartbeats WHERE received_at < $1',
      [cutoff],
    );
    for (const row of silent) {
      // Worded so it stays true while the alert is open and seen again at every sweep.
      const since = japanTimestamp(new Date(row.received_at));
      await retryingTransaction(this.#driver, (tx) =>
        this.#raise(tx, row.terminal_id, 'stale', null, `no heartbeat since ${since} (stale after ${Math.round(staleAfterMs / 1000)} s)`),
      );
    }
    return silent.length;
  }

  async heartbeats(): Promise<TerminalHealth[]> {
    const rows = await this.#driver.query<{ terminal_id: string; received_at: Date | string; report: string }>(
      'SELECT terminal_id, received_at, report FROM fleet_heartbeats ORDER BY terminal_id',
    );
    return rows.map((row) => ({
      terminalId: row.terminal_id,
      receivedAt: iso(row.received_at),
      report: JSON.parse(row.report) as Heartbeat,
    }));
  }

  // -------------------------------------------------------------------------
  // Alerts

  async alerts(options: { open?: boolean } = {}): Promise<Alert[]> {
    const rows = await this.#driver.query<AlertDbRow>(
      `SELECT * FROM fleet_alerts ${options.open ? 'WHERE closed_at IS NULL' : ''} ORDER BY opened_at DESC, id DESC LIMIT 500`,
    );
    return rows.map(alertOf);
  }

  /** A person closes an alert they have looked into (chain alerts close no other way). */
  async closeAlert(id: number, by: string): Promise<boolean> {
    const rows = await this.#driver.query(
      'UPDATE fleet_alerts SET closed_at = $1, closed_by = $2 WHERE id = $3 AND closed_at IS NULL RETURNING id',
      [this.#now(), by, id],
    );
    return rows.length > 0;
  }

  /**
   * A chain the service has not seen from this terminal: its database is new
   * (a replaced disk, a reinstall) — or someone made it new. Either way a
   * person should know, and where the earlier chain ended.
   */
  async #noteNewChain(tx: Queryable, terminalId: string, chainId: string): Promise<void> {
    const earlier = await tx.query<{ chain_id: string; seq: string | number }>(
      'SELECT chain_id, seq FROM fleet_audit_heads WHERE terminal_id = $1 AND chain_id <> $2 ORDER BY updated_at DESC LIMIT 1',
      [terminalId, chainId],
    );
    const previous = earlier[0];
    if (!previous) return;
    await this.#raise(
      tx,
      terminalId,
      'chain-restarted',
      null,
      `the terminal started a new audit chain (${chainId.slice(0, 8)}…): its database is new. ` +
        `Its previous chain (${previous.chain_id.slice(0, 8)}…) ends at row ${Number(previous.seq)}, kept here`,
    );
  }

  async #raise(tx: Queryable, terminalId: string, kind: AlertKind, firstBadSeq: number | null, message: string): Promise<number> {
    const now = this.#now();
    const [existing] = await tx.query<{ id: string | number }>(
      // A later sighting that names an earlier row makes the alert more precise (LEAST ignores a NULL).
      `UPDATE fleet_alerts SET last_seen_at = $1, seen = seen + 1, first_bad_seq = LEAST(first_bad_seq, $4::bigint)
        WHERE terminal_id = $2 AND kind = $3 AND closed_at IS NULL RETURNING id`,
      [now, terminalId, kind, firstBadSeq],
    );
    if (existing) return Number(existing.id);
    const [created] = await tx.query<{ id: string | number }>(
      `INSERT INTO fleet_alerts (terminal_id, kind, first_bad_seq, message, opened_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
      [terminalId, kind, firstBadSeq, message.slice(0, 500), now],
    );
    return Number(created!.id);
  }

  // -------------------------------------------------------------------------
  // The day's figures

  /** Renewals, hand-offs by reason, abandoned and all sessions on a Japan date, per terminal. */
  async dayFigures(day: JapanDate): Promise<Map<string, DayFigures>> {
    const rows = await this.#driver.query<{ terminal_id: string; event: string; code: string | null; n: string | number }>(
      `SELECT terminal_id, event,
              CASE event WHEN 'hand-off' THEN detail::jsonb->>'reason' WHEN 'session-ended' THEN detail::jsonb->>'outcome' END AS code,
              count(*) AS n
         FROM fleet_audit
        WHERE at >= $1 AND at < $2 AND event IN ('renewal-done', 'hand-off', 'session-ended')
        GROUP BY terminal_id, event, code`,
      [japanInstant(day).toISOString(), japanInstant(dayAfter(day)).toISOString()],
    );
    const figures = new Map<string, DayFigures>();
    for (const row of rows) {
      const entry = figures.get(row.terminal_id) ?? { renewals: 0, handOffs: {}, abandoned: 0, sessions: 0 };
      const n = Number(row.n);
      if (row.event === 'renewal-done') entry.renewals += n;
      else if (row.event === 'hand-off' && row.code) entry.handOffs[row.code] = (entry.handOffs[row.code] ?? 0) + n;
      else if (row.event === 'session-ended') {
        entry.sessions += n;
        if (row.code && ABANDONED_ENDS.includes(row.code)) entry.abandoned += n;
      }
      figures.set(row.terminal_id, entry);
    }
    return figures;
  }

  /** Renewals per Japan hour (0–23) of a date, fleet-wide. */
  async renewalsByHour(day: JapanDate): Promise<number[]> {
    const start = japanInstant(day);
    const rows = await this.#driver.query<{ at: string }>(
      `SELECT at FROM fleet_audit WHERE at >= $1 AND at < $2 AND event = 'renewal-done'`,
      [start.toISOString(), japanInstant(dayAfter(day)).toISOString()],
    );
    const hours = Array.from({ length: 24 }, () => 0);
    for (const row of rows) {
      const hour = Math.floor((new Date(row.at).getTime() - start.getTime()) / 3_600_000);
      if (hour >= 0 && hour < 24) hours[hour]! += 1;
    }
    return hours;
  }

  /** Today (Japan) and the same weekday a week before. */
  today(): { today: JapanDate; lastWeek: JapanDate } {
    const today = todayInJapan(this.#now());
    return { today, lastWeek: addDays(today, -7) };
  }

  // -------------------------------------------------------------------------
  // Dashboard sign-ins (the accounts are a file of the service folder: dashboard-accounts.ts)

  /** Every sign-in, refusal and sign-out is kept. */
  async recordSignIn(accountId: string, result: 'accepted' | 'refused' | 'signed-out' | 'expired'): Promise<void> {
    await this.#driver.query('INSERT INTO dashboard_sign_ins (account_id, at, result) VALUES ($1, $2, $3)', [
      accountId.slice(0, 64),
      this.#now(),
      result,
    ]);
  }

  async signIns(limit = 50): Promise<{ accountId: string; at: string; result: string }[]> {
    const rows = await this.#driver.query<{ account_id: string; at: Date | string; result: string }>(
      'SELECT account_id, at, result FROM dashboard_sign_ins ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return rows.map((row) => ({ accountId: row.account_id, at: iso(row.at), result: row.result }));
  }

  /** One statement outside the store's queries (tests and tools). */
  query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.#driver.query<R>(sql, params);
  }

  async close(): Promise<void> {
    await this.#driver.close();
  }
}

async function headOf(q: Queryable, terminalId: string, chainId: string): Promise<ChainHead> {
  const [row] = await q.query<{ seq: string | number; hash: string }>(
    'SELECT seq, hash FROM fleet_audit_heads WHERE terminal_id = $1 AND chain_id = $2',
    [terminalId, chainId],
  );
  return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: '0'.repeat(64) };
}

type FleetAuditDbRow = Omit<StoredAuditRow, 'terminal_id' | 'seq'> & {
  terminal_id: string;
  chain_id: string;
  row_terminal_id: string;
  seq: string | number;
};

function fleetRowOf(raw: FleetAuditDbRow): AuditRow & { storedFor: string; chainId: string } {
  return {
    storedFor: raw.terminal_id,
    chainId: raw.chain_id,
    ...auditRowFromStored({ ...raw, seq: Number(raw.seq), terminal_id: raw.row_terminal_id }),
  };
}

/**
 * Opens a stale alert for each terminal silent longer than `staleAfterMs`,
 * every `everyMs`, until stopped. A failed sweep is logged and tried again.
 */
export function startStaleSweep(
  store: FleetStore,
  options: { staleAfterMs: number; everyMs?: number; onError: (error: unknown) => void },
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(
    () => {
      running = store.sweepStale(options.staleAfterMs).catch(options.onError);
    },
    options.everyMs ?? Math.max(1000, Math.min(10_000, options.staleAfterMs / 3)),
  );
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
