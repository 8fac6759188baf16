import { createHash } from 'node:crypto';
import { z } from 'zod';
import { profileSchema } from '../../preload/contract';
import { CARD_KINDS, RENEWAL_ROUTES, SESSION_ENDS, SESSION_REFERENCE_PATTERN } from '../../preload/vocabulary';
import { describeIssues } from '../base/validation';
import { dayAfter, japanInstant, japanTimestamp } from '../domain/japan-calendar';
import type { KioskDatabase } from './database';
import { ABANDON_REASONS, RENEWAL_STEPS, serialSchema } from './journal';

/**
 * The audit chain: what happened at this terminal, append-only, each row
 * hashed together with the hash of the row before it.
 *
 * What a row can hold is closed: an event name from a fixed list, the
 * terminal, opaque ids (session, renewal, staff code), certificate serials,
 * and a small per-event `detail` whose schema is strict and made of codes,
 * booleans and small bounded counts. There is no field for a PIN, a My
 * Number, a name or an address, and an unknown key is refused.
 *
 * Hashing (format 1): `hash = SHA-256(canonical JSON of
 *   { v: 1, seq, at, event, fields: { terminalId, sessionId?, renewalId?, staff?,
 *     authenticationSerial?, signatureSerial?, detail }, prevHash })`
 * as lower-case hex, where canonical JSON means: object keys sorted by UTF-16
 * code unit, absent optional fields left out, no white space, integers only
 * (no floats), strings as JSON.stringify writes them. The first row's
 * prevHash is 64 zeros.
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

export const GENESIS_HASH = '0'.repeat(64);
const HASH_FORMAT = 1;

export class AuditError extends Error {
  override readonly name = 'AuditError';
}

// ---------------------------------------------------------------------------
// The vocabulary

/** Never a free-form value that could be a My Number (12 digits). */
const notMyNumberLike = (value: string) => !/^\d{12}$/.test(value);

const credentialSchema = z.enum(['authentication-pin', 'signature-password', 'registry-pin']);
/** The routes on which staff check someone acting for the holder. */
const proxyRouteSchema = z.enum(RENEWAL_ROUTES).exclude(['in-person']);
const triesSchema = z.number().int().min(0).max(5);
const japanDateSchema = z.iso.date();

/** Why the resident was sent to the counter (docs/domain.md). */
export const HAND_OFF_REASONS = [
  'pin-forgotten',
  'pin-blocked',
  'face-authentication-card',
  'period-of-stay',
  'new-card-route',
  'service-closed',
  'gateway-failure',
  'card-error',
  'unfinished-renewal',
  'proxy',
  'legal-representative',
  'substitute-characters',
  'help-requested',
] as const;

/** docs/domain.md, "Voluntary proxy … Rejected", and the legal representative's missing proof. */
export const PROXY_REJECTIONS = [
  'envelope-unsealed',
  'form-pin-wrong',
  'form-missing',
  'form-expired',
  'form-not-handed-in-person',
  'proxy-without-identity',
  'card-not-brought',
  'delegation-incomplete',
  'form-unreadable',
  'authority-not-proven',
] as const;

/** Every event and the only detail it may carry. */
export const AUDIT_DETAIL = {
  /** The kiosk process started (and how many unfinished renewals it found). */
  'kiosk-started': z.strictObject({ profile: profileSchema, unfinishedRenewals: z.number().int().min(0).max(1000) }),
  // The reference printed on slips, so staff find a slip's session in the log.
  'session-started': z.strictObject({ profile: profileSchema, reference: z.string().regex(SESSION_REFERENCE_PATTERN).optional() }),
  'session-ended': z.strictObject({ outcome: z.enum(SESSION_ENDS) }),
  'card-read': z.strictObject({ kind: z.enum(CARD_KINDS), signatureCertificate: z.boolean() }),
  'card-removed': z.strictObject({ midRenewal: z.boolean() }),
  'eligibility-decided': z.strictObject({
    decision: z.enum(['renewable', 'not-yet-in-window', 'new-card-route', 'hand-off', 'not-usable']),
    certificates: z.enum(['both', 'authentication-only']).optional(),
    expired: z.boolean().optional(),
  }),
  'pin-verified': z.strictObject({ credential: credentialSchema }),
  'pin-wrong': z.strictObject({ credential: credentialSchema, triesLeft: triesSchema }),
  'pin-blocked': z.strictObject({ credential: credentialSchema }),
  'renewal-started': z.strictObject({ route: z.enum(RENEWAL_ROUTES) }),
  'renewal-resumed': z.strictObject({ step: z.enum(RENEWAL_STEPS), state: z.enum(['started', 'finished']) }),
  'renewal-step': z.strictObject({ step: z.enum(RENEWAL_STEPS), state: z.enum(['started', 'finished']) }),
  'renewal-done': z.strictObject({
    certificates: z.enum(['both', 'authentication-only']),
    newAuthenticationSerial: serialSchema,
    newSignatureSerial: serialSchema.optional(),
  }),
  'renewal-abandoned': z.strictObject({ reason: z.enum(ABANDON_REASONS), lastStep: z.enum(RENEWAL_STEPS).optional() }),
  'hand-off': z.strictObject({ reason: z.enum(HAND_OFF_REASONS), slip: z.boolean() }),
  'staff-signed-in': z.strictObject({ role: z.enum(['clerk', 'supervisor']) }),
  'staff-signed-out': z.strictObject({ cause: z.enum(['signed-out', 'timed-out', 'shift-ended']) }),
  'identity-checked': z.strictObject({
    subject: z.enum(['holder', ...proxyRouteSchema.options]),
    /** Counts of A documents (photo ID by a public body) and B documents seen; never which ones or their numbers. */
    documentsA: z.number().int().min(0).max(3),
    documentsB: z.number().int().min(0).max(3),
    cardPresented: z.boolean(),
    oralQuestioning: z.boolean(),
    result: z.enum(['accepted', 'refused']),
  }),
  'pin-reset': z.strictObject({ credential: credentialSchema, result: z.enum(['done', 'failed']) }),
  'proxy-checked': z
    .strictObject({
      kind: proxyRouteSchema,
      result: z.enum(['accepted', 'rejected']),
      rejection: z.enum(PROXY_REJECTIONS).optional(),
    })
    .refine((detail) => (detail.result === 'rejected') === (detail.rejection !== undefined), {
      message: 'a rejection, and only a rejection, names its reason',
      path: ['rejection'],
    }),
  'substitute-characters-confirmed': z.strictObject({ result: z.enum(['confirmed', 'declined']) }),
  'audit-exported': z
    .strictObject({ from: japanDateSchema, to: japanDateSchema, format: z.enum(['csv', 'jsonl']), rows: z.number().int().min(0) })
    .refine((detail) => detail.from <= detail.to, { message: '"from" is after "to"', path: ['to'] }),
} as const satisfies Record<string, z.ZodType>;

export type AuditEventName = keyof typeof AUDIT_DETAIL;
export const AUDIT_EVENTS = Object.keys(AUDIT_DETAIL) as AuditEventName[];

const idSchema = z.uuid();
const terminalIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'a terminal id: letters, digits and "-", up to 64')
  .refine(notMyNumberLike, 'a terminal id may not be a 12-digit number');
const staffSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/, 'a staff code: letters, digits and "-", up to 32')
  .refine(notMyNumberLike, 'a staff code may not be a 12-digit number');

const envelopeSchema = z.strictObject({
  event: z.enum(AUDIT_EVENTS as [AuditEventName, ...AuditEventName[]]),
  sessionId: idSchema.optional(),
  renewalId: idSchema.optional(),
  /** The signed-in staff member's code (not a name). */
  staff: staffSchema.optional(),
  card: z.strictObject({ authenticationSerial: serialSchema.optional(), signatureSerial: serialSchema.optional() }).optional(),
  detail: z.unknown(),
});

interface EventCommon {
  sessionId?: string;
  renewalId?: string;
  staff?: string;
  card?: { authenticationSerial?: string; signatureSerial?: string };
}
export type AuditEventInput = {
  [E in AuditEventName]: EventCommon & { event: E; detail: z.input<(typeof AUDIT_DETAIL)[E]> };
}[AuditEventName];

export interface AuditRow {
  seq: number;
  at: string;
  event: AuditEventName;
  terminalId: string;
  sessionId: string | undefined;
  renewalId: string | undefined;
  staff: string | undefined;
  authenticationSerial: string | undefined;
  signatureSerial: string | undefined;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditBreak =
  | 'row-edited'
  | 'row-missing'
  | 'row-out-of-order'
  | 'chain-broken'
  | 'rows-truncated'
  | 'rows-after-head'
  | 'head-mismatch'
  | 'head-missing';
export type AuditVerification =
  { ok: true; rows: number; headHash: string } | { ok: false; firstBrokenSeq: number; reason: AuditBreak; message: string };

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
// Canonical form and hashing

/** Canonical JSON (see the header): sorted keys, no undefined, integers only. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new AuditError(`canonical JSON holds integers only (got ${value})`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw new AuditError(`canonical JSON cannot hold a ${typeof value}`);
}

/** The hash of one row, from its stored values (see the header for the format). */
export function rowHash(row: Omit<AuditRow, 'hash'>): string {
  const fields = {
    terminalId: row.terminalId,
    sessionId: row.sessionId,
    renewalId: row.renewalId,
    staff: row.staff,
    authenticationSerial: row.authenticationSerial,
    signatureSerial: row.signatureSerial,
    detail: row.detail,
  };
  const text = canonicalJson({ v: HASH_FORMAT, seq: row.seq, at: row.at, event: row.event, fields, prevHash: row.prevHash });
  return createHash('sha256').update(text, 'utf8').digest('hex');
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

interface AuditDbRow {
  seq: number;
  at: string;
  event: string;
  terminal_id: string;
  session_id: string | null;
  renewal_id: string | null;
  staff: string | null;
  authentication_serial: string | null;
  signature_serial: string | null;
  detail: string;
  prev_hash: string;
  hash: string;
}

const EXPORT_COLUMNS = [
  'seq',
  'at',
  'at_japan',
  'event',
  'terminal_id',
  'session_id',
  'renewal_id',
  'staff',
  'authentication_serial',
  'signature_serial',
  'detail',
  'prev_hash',
  'hash',
] as const;

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

  /** Validates the event, then appends it at the head of the chain in one transaction. */
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
        this.#db
          .prepare(
            `INSERT INTO audit_log (seq, at, event, terminal_id, session_id, renewal_id, staff,
               authentication_serial, signature_serial, detail, prev_hash, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            row.seq,
            row.at,
            row.event,
            row.terminalId,
            row.sessionId ?? null,
            row.renewalId ?? null,
            row.staff ?? null,
            row.authenticationSerial ?? null,
            row.signatureSerial ?? null,
            canonicalJson(row.detail),
            row.prevHash,
            hash,
          );
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
    for (const raw of this.#db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<AuditDbRow>) {
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
        hash = rowHash(fromDb(raw));
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

  /** Rows whose instant falls on the Japan dates from..to (inclusive), in chain order. */
  rows(from: string, to: string): AuditRow[] {
    const { start, end } = japanDayRange(from, to);
    const raws = this.#db.prepare('SELECT * FROM audit_log WHERE at >= ? AND at < ? ORDER BY seq').all(start, end) as AuditDbRow[];
    return raws.map(fromDb);
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
    const records = rows.map(exportRecord);
    const text =
      options.format === 'csv'
        ? [EXPORT_COLUMNS.join(','), ...records.map((record) => EXPORT_COLUMNS.map((column) => csvField(record[column])).join(','))]
            .map((line) => `${line}\r\n`)
            .join('')
        : records.map((record) => `${JSON.stringify({ ...record, detail: JSON.parse(record.detail) as unknown })}\n`).join('');
    this.append({
      event: 'audit-exported',
      ...(options.staff === undefined ? {} : { staff: options.staff }),
      detail: { from: options.from, to: options.to, format: options.format, rows: rows.length },
    });
    return { text, rows: rows.length };
  }
}

function fromDb(raw: AuditDbRow): AuditRow {
  return {
    seq: raw.seq,
    at: raw.at,
    event: raw.event as AuditEventName,
    terminalId: raw.terminal_id,
    sessionId: raw.session_id ?? undefined,
    renewalId: raw.renewal_id ?? undefined,
    staff: raw.staff ?? undefined,
    authenticationSerial: raw.authentication_serial ?? undefined,
    signatureSerial: raw.signature_serial ?? undefined,
    detail: JSON.parse(raw.detail) as Record<string, unknown>,
    prevHash: raw.prev_hash,
    hash: raw.hash,
  };
}

type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], string | number | null> & { detail: string };

function exportRecord(row: AuditRow): ExportRecord {
  return {
    seq: row.seq,
    at: row.at,
    at_japan: japanTimestamp(new Date(row.at)),
    event: row.event,
    terminal_id: row.terminalId,
    session_id: row.sessionId ?? null,
    renewal_id: row.renewalId ?? null,
    staff: row.staff ?? null,
    authentication_serial: row.authenticationSerial ?? null,
    signature_serial: row.signatureSerial ?? null,
    detail: canonicalJson(row.detail),
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}

/** RFC 4180: a field with a comma, a double quote, CR or LF is quoted, its quotes doubled. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
