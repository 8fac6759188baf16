import { describeIssues } from '../base/validation';
import {
  AUDIT_DETAIL,
  AuditError,
  auditRowFromStored,
  STORED_AUDIT_COLUMNS,
  storedAuditRow,
  type StoredAuditRow,
  envelopeSchema,
  formatAuditExport,
  GENESIS_HASH,
  japanDateSchema,
  rowHash,
  terminalIdSchema,
  type AuditEventInput,
  type AuditRow,
  type AuditVerification,
} from '../domain/audit-record';
import { dayAfter, japanInstant } from '../domain/japan-calendar';
import type { KioskDatabase } from './database';

export {
  csvField,
  AUDIT_DETAIL,
  AUDIT_EVENTS,
  AuditError,
  canonicalJson,
  GENESIS_HASH,
  HAND_OFF_REASONS,
  PROXY_REJECTIONS,
  rowHash,
  type AuditBreak,
  type AuditEventInput,
  type AuditEventName,
  type AuditRow,
  type AuditVerification,
} from '../domain/audit-record';

/**
 * The audit chain: what happened at this terminal, append-only, each row
 * hashed together with the hash of the row before it.
 *
 * What a row is and how it is hashed: main/domain/audit-record.ts.
 *
 * What the chain proves, and what it cannot:
 * - an edited row, a deleted row, and rows in the wrong order break the
 *   chain at a named row;
 * - a cut-off TAIL leaves a chain that is valid on its own. The `audit_head`
 *   row (last seq + hash), moved in the same transaction as every append,
 *   catches that;
 * - someone who can write the file and recomputes every hash and the head
 *   cannot be caught by the file alone (there is no secret key): compare
 *   with an earlier export, whose last hash must still be in the chain.
 *
 * Database triggers refuse UPDATE and DELETE on the log, so tampering has to
 * go around the kiosk's own SQL (drop the triggers first).
 */

export type ExportFormat = 'csv' | 'jsonl';
export interface ExportOptions {
  /** Japan dates (YYYY-MM-DD), both inclusive. */
  from: string;
  to: string;
  format: ExportFormat;
  /** Who exported (staff code), when a signed-in staff member did. */
  staff?: string;
}

// ---------------------------------------------------------------------------
// Japan dates

/** The instants [start, end) covering Japan dates from..to inclusive, as ISO strings comparable with `at`. */
export function japanDayRange(from: string, to: string): { start: string; end: string } {
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!japanDateSchema.safeParse(value).success) throw new AuditError(`"${name}" must be a date as YYYY-MM-DD (got "${value}")`);
  }
  if (from > to) throw new AuditError(`"from" (${from}) is after "to" (${to})`);
  return { start: japanInstant(from).toISOString(), end: japanInstant(dayAfter(to)).toISOString() };
}

// ---------------------------------------------------------------------------

export class AuditChain {
  readonly #db: KioskDatabase;
  readonly #terminalId: string;
  readonly #now: () => Date;

  constructor(db: KioskDatabase, options: { terminalId: string; now?: () => Date }) {
    const terminal = terminalIdSchema.safeParse(options.terminalId);
    if (!terminal.success) throw new AuditError(`terminal id refused — ${describeIssues(terminal.error)}`);
    this.#db = db;
    this.#terminalId = terminal.data;
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether this chain is kept in `db`: writes there can commit together with its rows. */
  isKeptIn(db: KioskDatabase): boolean {
    return this.#db === db;
  }

  /**
   * Validates the event, then appends it at the head of the chain in one
   * transaction — or, called inside a transaction of the same database (a
   * journal write), as part of that one.
   */
  append(input: AuditEventInput): AuditRow {
    const envelope = envelopeSchema.safeParse(input);
    if (!envelope.success) throw new AuditError(`audit event refused — ${describeIssues(envelope.error)}`);
    const { event } = envelope.data;
    const detail = AUDIT_DETAIL[event].safeParse(envelope.data.detail);
    if (!detail.success) throw new AuditError(`audit event "${event}" refused — detail: ${describeIssues(detail.error)}`);
    const at = this.#now().toISOString();

    return this.#db
      .transaction(() => {
        const head = this.head();
        const row: Omit<AuditRow, 'hash'> = {
          seq: head.seq + 1,
          at,
          event,
          terminalId: this.#terminalId,
          sessionId: envelope.data.sessionId,
          renewalId: envelope.data.renewalId,
          staff: envelope.data.staff,
          authenticationSerial: envelope.data.card?.authenticationSerial,
          signatureSerial: envelope.data.card?.signatureSerial,
          detail: detail.data as Record<string, unknown>,
          prevHash: head.hash,
        };
        const hash = rowHash(row);
        const stored = storedAuditRow({ ...row, hash });
        this.#db
          .prepare(`INSERT INTO audit_log (${STORED_AUDIT_COLUMNS.join(', ')}) VALUES (${STORED_AUDIT_COLUMNS.map(() => '?').join(', ')})`)
          .run(...STORED_AUDIT_COLUMNS.map((column) => stored[column]));
        this.#db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(row.seq, hash);
        return { ...row, hash };
      })
      .immediate();
  }

  /** The last row's seq and hash (0 and the genesis hash for an empty log). */
  head(): { seq: number; hash: string } {
    const head = this.#db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
    if (!head) throw new AuditError('the audit head is missing: the log has been tampered with (run `myna-kiosk audit verify`)');
    return head;
  }

  /**
   * Walks the whole chain from the genesis hash and checks the head. Names
   * the first row at which it breaks and why.
   */
  verify(): AuditVerification {
    // Read in one transaction so the chain and the head are seen at the same moment.
    return this.#db.transaction((): AuditVerification => {
      const walked = this.#walk();
      if ('reason' in walked) return walked;
      if ('link' in walked) {
        const { seq, link } = walked;
        const linked = this.#db.prepare('SELECT seq FROM audit_log WHERE hash = ?').pluck().get(link) as number | undefined;
        return linked !== undefined
          ? {
              ok: false,
              firstBrokenSeq: seq,
              reason: 'row-out-of-order',
              message: `row ${seq} is out of order: it follows row ${linked} in the chain, not row ${seq - 1}`,
            }
          : {
              ok: false,
              firstBrokenSeq: seq,
              reason: 'chain-broken',
              message:
                `the chain breaks at row ${seq}: it does not link to row ${seq - 1} ` +
                `(row ${seq - 1} was rewritten, or row ${seq}'s link edited)`,
            };
      }
      const { rows, lastHash } = walked;
      const head = this.#db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
      if (!head)
        return {
          ok: false,
          firstBrokenSeq: rows + 1,
          reason: 'head-missing',
          message: 'the audit head row is missing, so a cut-off tail cannot be ruled out',
        };
      if (head.seq > rows) {
        return {
          ok: false,
          firstBrokenSeq: rows + 1,
          reason: 'rows-truncated',
          message: `the log ends at row ${rows} but the head says ${head.seq}: rows ${rows + 1}–${head.seq} were removed`,
        };
      }
      if (head.seq < rows) {
        return {
          ok: false,
          firstBrokenSeq: head.seq + 1,
          reason: 'rows-after-head',
          message: `rows ${head.seq + 1}–${rows} were added behind the kiosk's back (the head says ${head.seq})`,
        };
      }
      if (head.hash !== lastHash)
        return { ok: false, firstBrokenSeq: rows, reason: 'head-mismatch', message: `the head's hash does not match row ${rows}` };
      return { ok: true, rows, headHash: lastHash };
    })();
  }

  /** One pass over the rows: the row count and last hash, a failure, or a link to look up (the connection is busy while iterating). */
  #walk(): { rows: number; lastHash: string } | { seq: number; link: string } | Extract<AuditVerification, { ok: false }> {
    let previousHash = GENESIS_HASH;
    let expectedSeq = 1;
    for (const raw of this.#db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<StoredAuditRow>) {
      if (raw.seq !== expectedSeq)
        return {
          ok: false,
          firstBrokenSeq: expectedSeq,
          reason: 'row-missing',
          message: `row ${expectedSeq} is missing (the next row stored is ${raw.seq})`,
        };
      if (raw.prev_hash !== previousHash) return { seq: raw.seq, link: raw.prev_hash };
      let hash: string;
      try {
        hash = rowHash(auditRowFromStored(raw));
      } catch {
        return {
          ok: false,
          firstBrokenSeq: raw.seq,
          reason: 'row-edited',
          message: `row ${raw.seq} has been edited: its detail is no longer canonical JSON`,
        };
      }
      if (hash !== raw.hash)
        return {
          ok: false,
          firstBrokenSeq: raw.seq,
          reason: 'row-edited',
          message: `row ${raw.seq} has been edited: its content does not match its hash`,
        };
      previousHash = raw.hash;
      expectedSeq++;
    }
    return { rows: expectedSeq - 1, lastHash: previousHash };
  }

  /** Up to `limit` rows after `seq`, in chain order (the outbox's next delivery). */
  rowsAfter(seq: number, limit: number): AuditRow[] {
    const raws = this.#db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as StoredAuditRow[];
    return raws.map(auditRowFromStored);
  }

  /** The stored hashes of rows after..after+limit, in seq order (to compare with another copy of the chain). */
  hashesAfter(seq: number, limit: number): { seq: number; hash: string }[] {
    return this.#db.prepare('SELECT seq, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as {
      seq: number;
      hash: string;
    }[];
  }

  /** Rows whose instant falls on the Japan dates from..to (inclusive), in chain order. */
  rows(from: string, to: string): AuditRow[] {
    const { start, end } = japanDayRange(from, to);
    const raws = this.#db.prepare('SELECT * FROM audit_log WHERE at >= ? AND at < ? ORDER BY seq').all(start, end) as StoredAuditRow[];
    return raws.map(auditRowFromStored);
  }

  /**
   * The rows of a period as CSV (RFC 4180: CRLF, a header, fields quoted when
   * needed) or JSON Lines, with the hashes so the slice can be checked later.
   * The export itself is recorded (`audit-exported`) after it is made.
   */
  export(options: ExportOptions): string {
    return this.exportWithCount(options).text;
  }

  exportWithCount(options: ExportOptions): { text: string; rows: number } {
    if (options.format !== 'csv' && options.format !== 'jsonl')
      throw new AuditError(`unknown export format "${String(options.format)}" (csv or jsonl)`);
    const rows = this.rows(options.from, options.to);
    const text = formatAuditExport(rows, options.format);
    this.append({
      event: 'audit-exported',
      // Without a staff member, undefined: an optional field the row leaves out.
      staff: options.staff,
      detail: { from: options.from, to: options.to, format: options.format, rows: rows.length },
    });
    return { text, rows: rows.length };
  }
}
