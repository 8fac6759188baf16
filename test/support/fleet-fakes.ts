import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson, continueChain, GENESIS_HASH, rowHash, type AuditRow, type ChainHead } from '../../main/domain/audit-record';
import type { AuditBatchResponse, AuditHashesResponse, FleetChannel, Heartbeat, HeartbeatAnswer } from '../../main/issuance/fleet-wire';
import { AuditChain } from '../../main/store/audit';
import { AuditOutbox } from '../../main/store/audit-outbox';
import { openKioskDatabase, type KioskDatabase } from '../../main/store/database';

/**
 * A terminal's records in a temporary folder (the real SQLite schema), with
 * rows appended on demand, and an insider's hands on the file.
 */
export class TerminalFile {
  readonly dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-fleet-'));
  readonly path = join(this.dir, 'kiosk.sqlite');
  db: KioskDatabase;
  chain: AuditChain;
  outbox: AuditOutbox;
  #clock = Date.parse('2026-12-07T01:00:00.000Z');

  constructor(readonly terminalId = 'lobby-01') {
    this.db = openKioskDatabase(this.path);
    this.chain = new AuditChain(this.db, { terminalId, now: () => new Date(this.#clock) });
    this.outbox = new AuditOutbox(this.db, this.chain);
  }

  /** Appends n rows (a card taken out between sessions: the smallest event). */
  append(n: number): void {
    for (let i = 0; i < n; i++) {
      this.#clock += 1000;
      this.chain.append({ event: 'card-removed', detail: { midRenewal: false } });
    }
  }

  /** Closes and opens the file again, as a kiosk restart does. */
  reopen(): void {
    this.db.close();
    this.db = openKioskDatabase(this.path);
    this.chain = new AuditChain(this.db, { terminalId: this.terminalId, now: () => new Date(this.#clock) });
    this.outbox = new AuditOutbox(this.db, this.chain);
  }

  /**
   * What an insider with the file does: drops the guards, removes every row
   * after `keep`, sets the head to row `keep`, and puts the guards back so
   * the kiosk opens the file as if nothing happened.
   */
  cutAfter(keep: number): void {
    this.#withGuardsDown((raw) => {
      raw.prepare('DELETE FROM audit_log WHERE seq > ?').run(keep);
      const last = raw.prepare('SELECT seq, hash FROM audit_log WHERE seq = ?').get(keep) as ChainHead | undefined;
      raw.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(last?.seq ?? 0, last?.hash ?? GENESIS_HASH);
    });
  }

  /** Rewrites row `seq`'s detail and re-hashes it and every row after it, and the head: a chain valid on its own. */
  rewrite(seq: number, detail: Record<string, unknown>): void {
    const rows = this.chain.rowsAfter(seq - 1, 1_000_000);
    let prevHash = seq === 1 ? GENESIS_HASH : this.chain.hashesAfter(seq - 2, 1)[0]!.hash;
    this.#withGuardsDown((raw) => {
      for (const row of rows) {
        const changed: Omit<AuditRow, 'hash'> = { ...row, prevHash, ...(row.seq === seq ? { detail } : {}) };
        const hash = rowHash(changed);
        raw
          .prepare('UPDATE audit_log SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?')
          .run(canonicalJson(changed.detail), prevHash, hash, row.seq);
        prevHash = hash;
      }
      raw.prepare('UPDATE audit_head SET hash = ? WHERE id = 1').run(prevHash);
    });
  }

  /** Drops the guards and leaves them dropped. */
  dropGuards(): void {
    const raw = new Database(this.path);
    for (const { name } of raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger'").all() as { name: string }[])
      raw.exec(`DROP TRIGGER ${name}`);
    raw.close();
  }

  #withGuardsDown(work: (raw: Database.Database) => void): void {
    this.db.close();
    const raw = new Database(this.path);
    const triggers = raw.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'").all() as { name: string; sql: string }[];
    for (const trigger of triggers) raw.exec(`DROP TRIGGER ${trigger.name}`);
    work(raw);
    for (const trigger of triggers) raw.exec(trigger.sql);
    raw.close();
    this.reopen();
  }

  close(): void {
    if (this.db.open) this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The service's side of the fleet channel in memory, with the very chain
 * check the service runs (continueChain): for the reporter's unit tests.
 * `failNext` makes calls fail as a network would; `loseAnswers` stores a
 * delivery and then fails it, as an answer lost on the way back does.
 */
export class InMemoryFleetService implements FleetChannel {
  readonly rows = new Map<number, AuditRow>();
  head: ChainHead = { seq: 0, hash: GENESIS_HASH };
  /** The one chain it keeps (the first delivered); another is refused, as a test fake need not keep two. */
  chainId: string | undefined;
  readonly heartbeats: Heartbeat[] = [];
  readonly breaks: NonNullable<AuditBatchResponse['conflict']>[] = [];
  deliveries = 0;
  failNext = 0;
  loseAnswers = 0;
  serviceClockOffsetMs = 0;

  async shipAudit(chainId: string, rows: readonly AuditRow[]): Promise<AuditBatchResponse> {
    this.#maybeFail();
    this.chainId ??= chainId;
    if (chainId !== this.chainId) throw new Error(`the fake service keeps one chain (${this.chainId}), not ${chainId}`);
    this.deliveries++;
    const result = continueChain(this.head, (seq) => this.rows.get(seq)?.hash, rows);
    for (const row of result.fresh) this.rows.set(row.seq, structuredClone(row));
    const last = result.fresh.at(-1);
    if (last) this.head = { seq: last.seq, hash: last.hash };
    if (result.broken)
      this.breaks.push({ kind: result.broken.kind, firstBadSeq: result.broken.firstBadSeq, message: result.broken.message });
    if (this.loseAnswers > 0) {
      this.loseAnswers--;
      throw new Error('the answer was lost on the way back');
    }
    return {
      head: this.head,
      accepted: result.fresh.length,
      repeats: result.repeats,
      ...(result.broken ? { conflict: this.breaks.at(-1)! } : {}),
    };
  }

  async auditHashes(chainId: string, after: number, limit = 1000): Promise<AuditHashesResponse> {
    this.#maybeFail();
    if (this.chainId !== undefined && chainId !== this.chainId) return { head: { seq: 0, hash: GENESIS_HASH }, hashes: [] };
    const hashes = [...this.rows.values()]
      .filter((row) => row.seq > after)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit)
      .map((row) => ({ seq: row.seq, hash: row.hash }));
    return { head: this.head, hashes };
  }

  async heartbeat(report: Heartbeat): Promise<HeartbeatAnswer> {
    this.#maybeFail();
    this.heartbeats.push(report);
    return { serviceTime: new Date(Date.now() + this.serviceClockOffsetMs).toISOString() };
  }

  #maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('the issuing service cannot be reached');
    }
  }
}
