import { createHash } from 'node:crypto';
import { z } from 'zod';
import { profileSchema } from '../../preload/contract';
import { CARD_KINDS, RENEWAL_ROUTES, SESSION_ENDS, SESSION_REFERENCE_PATTERN } from '../../preload/vocabulary';
import { normaliseSerial } from './certificate-serial';
import { japanTimestamp } from './japan-calendar';

/**
 * What an audit row is, wherever it is kept: the terminal's SQLite chain
 * (main/store/audit.ts) and the issuing service's copy of every terminal's
 * chain (main/service/fleet-store.ts) check and hash rows with this one
 * definition, so a row means the same on both sides.
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
 */

// ---------------------------------------------------------------------------
// The renewal's steps and ends (the journal's words, which audit rows name)

export const RENEWAL_STEPS = [
  'issuer-proof',
  'keys-generated',
  'certificates-requested',
  'certificates-issued',
  'certificates-written',
  'committed',
  'pins-set',
  'verified',
  'old-revoked',
  'done',
] as const;
export type RenewalStep = (typeof RENEWAL_STEPS)[number];
export type StepState = 'started' | 'finished';

/** Why a renewal ended without `done`. Codes, not prose. */
export const ABANDON_REASONS = [
  'card-removed',
  'reader-lost',
  'card-error',
  'gateway-unavailable',
  'gateway-refused',
  'timed-out',
  'service-closed',
  'resident-cancelled',
  'staff-cancelled',
  'rolled-back',
  'not-resumable',
] as const;
export type AbandonReason = (typeof ABANDON_REASONS)[number];

export const serialSchema = z
  .string()
  .regex(/^[0-9A-Fa-f]{1,40}$/, 'a certificate serial: 1–40 hex digits')
  .transform(normaliseSerial);

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
export const japanDateSchema = z.iso.date();

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

/** A counter staff member's code (the terminal config's account id): never a name, never a 12-digit number. */
export const staffSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/, 'a staff code: letters, digits and "-", up to 32')
  .refine(notMyNumberLike, 'a staff code may not be a 12-digit number');

/** What a counter staff account may do beyond the renewal work: a supervisor also clears sign-in locks. */
export const STAFF_ROLES = ['clerk', 'supervisor'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

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
  // The counter's staff (kiosk/staff-session.ts): the row's `staff` is the account concerned, when it exists.
  'staff-signed-in': z.strictObject({ role: z.enum(STAFF_ROLES) }),
  /** `replaced`: another account unlocked the locked session, which ended the customer's session. */
  'staff-signed-out': z.strictObject({ cause: z.enum(['signed-out', 'timed-out', 'shift-ended', 'replaced']) }),
  'staff-locked': z.strictObject({ cause: z.enum(['inactivity']) }),
  'staff-unlocked': z.strictObject({ role: z.enum(STAFF_ROLES) }),
  /** A wrong passcode, or an id no account has (`account: unknown`: what was typed is not kept, it may be a passcode). */
  'staff-sign-in-failed': z.strictObject({
    account: z.enum(['known', 'unknown']),
    failuresInRow: z.number().int().min(1).max(10_000),
    terminalFailuresInRow: z.number().int().min(1).max(10_000),
  }),
  /** An attempt refused without checking the passcode: while a delay runs, the account is locked, or another check is under way. */
  'staff-sign-in-refused': z.strictObject({
    account: z.enum(['known', 'unknown']),
    reason: z.enum(['delayed', 'account-locked', 'terminal-delayed', 'check-in-progress']),
  }),
  'staff-locked-out': z.strictObject({
    scope: z.enum(['account', 'terminal']),
    /** Seconds sign-in is refused for; absent for an account locked until a supervisor clears it. */
    seconds: z.number().int().min(1).max(86_400).optional(),
  }),
  /** A supervisor (the row's `staff`) cleared an account's lock. */
  'staff-lockout-cleared': z.strictObject({ account: staffSchema }),
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

export const idSchema = z.uuid();
export const terminalIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'a terminal id: letters, digits and "-", up to 64')
  .refine(notMyNumberLike, 'a terminal id may not be a 12-digit number');

export const envelopeSchema = z.strictObject({
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
  sessionId?: string | undefined;
  renewalId?: string | undefined;
  staff?: string | undefined;
  authenticationSerial?: string | undefined;
  signatureSerial?: string | undefined;
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
    const object = value as Record<string, unknown>;
    // sort()'s own order compares strings by UTF-16 code unit, the canonical order itself (and keys are never equal).
    const keys = Object.keys(object)
      .filter((key) => object[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`).join(',')}}`;
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
  // A string is hashed as its UTF-8 bytes: Node's default for update(), the format's encoding.
  return createHash('sha256').update(text).digest('hex');
}

// ---------------------------------------------------------------------------
// A row as it travels and is kept elsewhere (the terminal's outbox → the issuing service)

const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hash: 64 lower-case hex digits');

/**
 * A stored row as another party receives it: every field in the terminal's
 * own vocabulary, so the service keeps nothing a terminal could not have
 * written (no free text, no personal data), and its hash re-computable.
 */
export const auditRowSchema = z
  .strictObject({
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    at: z.iso.datetime(),
    event: z.enum(AUDIT_EVENTS as [AuditEventName, ...AuditEventName[]]),
    terminalId: terminalIdSchema,
    sessionId: idSchema.optional(),
    renewalId: idSchema.optional(),
    staff: staffSchema.optional(),
    authenticationSerial: z
      .string()
      .regex(/^[0-9A-F]{1,40}$/, 'a certificate serial: 1–40 upper-case hex digits')
      .optional(),
    signatureSerial: z
      .string()
      .regex(/^[0-9A-F]{1,40}$/, 'a certificate serial: 1–40 upper-case hex digits')
      .optional(),
    detail: z.record(z.string(), z.unknown()),
    prevHash: hashSchema,
    hash: hashSchema,
  })
  .superRefine((row, context) => {
    const detail = AUDIT_DETAIL[row.event].safeParse(row.detail);
    if (!detail.success)
      context.addIssue({
        code: 'custom',
        path: ['detail'],
        // A failed parse has at least one issue.
        message: `not a "${row.event}" detail: ${detail.error.issues[0]!.message}`,
      });
  });

/** Where a received run of rows stops continuing the chain already held, and why. */
export type ChainBreak =
  | { kind: 'gap'; firstBadSeq: number; message: string }
  | { kind: 'rewritten'; firstBadSeq: number; message: string }
  | { kind: 'unlinked'; firstBadSeq: number; message: string }
  | { kind: 'row-edited'; firstBadSeq: number; message: string };

export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * Checks rows received (in seq order) against the head of the copy already
 * held and the hashes it holds for earlier seqs: which are repeats (a
 * delivery seen before), which continue the chain, and the first that does
 * not — a gap, a row that differs from the one held under its seq (the
 * terminal's chain was rewritten or rolled back), a row that does not link
 * to the row before it, or a row whose content does not match its hash.
 */
export function continueChain(
  head: ChainHead,
  heldHashOf: (seq: number) => string | undefined,
  rows: readonly AuditRow[],
): { repeats: number; fresh: AuditRow[]; broken?: ChainBreak } {
  let repeats = 0;
  const fresh: AuditRow[] = [];
  let last: ChainHead = head;
  for (const row of rows) {
    if (rowHash(row) !== row.hash)
      return {
        repeats,
        fresh,
        broken: { kind: 'row-edited', firstBadSeq: row.seq, message: `row ${row.seq}'s content does not match its hash` },
      };
    if (row.seq <= head.seq) {
      const held = heldHashOf(row.seq);
      if (held === row.hash) {
        repeats++;
        continue;
      }
      return {
        repeats,
        fresh,
        broken: {
          kind: 'rewritten',
          firstBadSeq: row.seq,
          message: `row ${row.seq} differs from the row ${row.seq} already held: the terminal's chain was rewritten or rolled back`,
        },
      };
    }
    if (row.seq !== last.seq + 1)
      return {
        repeats,
        fresh,
        broken: {
          kind: 'gap',
          firstBadSeq: last.seq + 1,
          message: `rows ${last.seq + 1}–${row.seq - 1} are missing before row ${row.seq}`,
        },
      };
    if (row.prevHash !== last.hash)
      return {
        repeats,
        fresh,
        broken: {
          kind: 'unlinked',
          firstBadSeq: row.seq,
          message: `row ${row.seq} does not follow the row ${last.seq} held: the terminal's rows up to ${last.seq} were rewritten`,
        },
      };
    fresh.push(row);
    last = { seq: row.seq, hash: row.hash };
  }
  return { repeats, fresh };
}

// ---------------------------------------------------------------------------
// Exports (the terminal's `audit export` and the service's fleet export alike)

/**
 * Rows as CSV (RFC 4180: CRLF, a header, fields quoted when needed) or JSON
 * Lines, with the hashes so a slice can be checked later; `at_japan` is the
 * instant in Japan time. `leading` columns (the service's `stored_for`: the
 * terminal it holds the row for) come first.
 */
export function formatAuditExport<L extends string = never>(
  rows: readonly (AuditRow & { leading?: Record<L, string> })[],
  format: 'csv' | 'jsonl',
  leadingColumns: readonly L[] = [],
): string {
  const records = rows.map((row) => ({ ...(row.leading ?? {}), ...exportRecord(row) }) as Record<string, string | number | null>);
  if (format === 'csv') {
    const columns = [...leadingColumns, ...EXPORT_COLUMNS];
    return [columns.join(','), ...records.map((record) => columns.map((column) => csvField(record[column] ?? null)).join(','))]
      .map((line) => `${line}\r\n`)
      .join('');
  }
  return records.map((record) => `${JSON.stringify({ ...record, detail: JSON.parse(String(record.detail)) as unknown })}\n`).join('');
}

/**
 * A row as both stores keep it, a column each — the terminal's SQLite
 * `audit_log` and the service's `fleet_audit` — and as exports name them:
 * absent ids as NULL, the detail as its canonical JSON text.
 */
export interface StoredAuditRow {
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

/** The stored columns in the order the stores insert them. */
export const STORED_AUDIT_COLUMNS = [
  'seq',
  'at',
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
] as const satisfies readonly (keyof StoredAuditRow)[];

/** An export's columns: the stored ones, with the instant in Japan time after `at`. */
export const EXPORT_COLUMNS = ['seq', 'at', 'at_japan', ...STORED_AUDIT_COLUMNS.slice(2)] as const;

export function storedAuditRow(row: AuditRow): StoredAuditRow {
  return {
    seq: row.seq,
    at: row.at,
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

export function auditRowFromStored(raw: StoredAuditRow): AuditRow {
  return {
    seq: Number(raw.seq),
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

function exportRecord(row: AuditRow): Record<(typeof EXPORT_COLUMNS)[number], string | number | null> {
  return { ...storedAuditRow(row), at_japan: japanTimestamp(new Date(row.at)) };
}

/** RFC 4180: a field with a comma, a double quote, CR or LF is quoted, its quotes doubled. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
