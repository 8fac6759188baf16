import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RENEWAL_ROUTES, type RenewalRoute } from '../../preload/vocabulary';
import { describeIssues } from '../base/validation';
import { ABANDON_REASONS, RENEWAL_STEPS, serialSchema, type AbandonReason, type RenewalStep, type StepState } from '../domain/audit-record';
import type { AuditChain } from './audit';
import type { KioskDatabase } from './database';

export { ABANDON_REASONS, RENEWAL_STEPS, serialSchema, type AbandonReason, type RenewalStep, type StepState } from '../domain/audit-record';

/**
 * The renewal journal: every step that changes the card or the issuing
 * service is written down (and on disk: WAL + synchronous=FULL) BEFORE it is
 * attempted ('started') and again AFTER it succeeded ('finished'). When the
 * kiosk restarts, or the same card comes back after being pulled, the journal
 * says exactly how far the renewal got, and carries what is needed to resume
 * it (the issued certificates) or to roll it back.
 *
 * What it may hold is closed by construction: the card's token label and
 * certificate serials (public, not personal data), a SHA-256 card key over
 * them, and per step a strict zod schema of small data — key fingerprints,
 * certificate serials and expiry dates, a date. There is no
 * free-form field, so a PIN has nowhere to go: an unknown key is refused.
 *
 * Every step written, and every abandon, appends its audit row
 * (`renewal-step`, `renewal-abandoned`) in the same transaction: the
 * journal and the audit chain are in one database, so a crash or a failed
 * append can never leave a step without its row, nor a row without its step.
 */

export class JournalError extends Error {
  override readonly name = 'JournalError';
}

// ---------------------------------------------------------------------------
// Schemas

const fingerprintSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a public key fingerprint: SHA-256 of the SPKI DER, 64 lower-case hex digits');

export const cardIdentitySchema = z.strictObject({
  /** The JPKI token label (JPKIAPICCTOKEN2 …): printable ASCII. */
  tokenLabel: z.string().regex(/^[\x21-\x7e]{1,32}$/, 'a token label: 1–32 printable ASCII characters'),
  authenticationSerial: serialSchema,
  signatureSerial: serialSchema.optional(),
});
export type CardIdentity = z.input<typeof cardIdentitySchema>;

/**
 * Serial and expiry only, never the certificate itself: the signature
 * certificate carries the holder's name and address. A resumed renewal asks
 * the issuing service for the certificates (`issuedFor`), which keeps them.
 */
const issuedCertificateSchema = z.strictObject({
  serialNumber: serialSchema,
  notAfter: z.iso.datetime(),
});

const EMPTY = z.strictObject({});

/**
 * The only data a step may carry, per step and per state. Every schema is
 * strict: an unknown key (`pin`, `password`, …) is refused before anything
 * is written.
 */
export const STEP_DATA = {
  'issuer-proof': { started: EMPTY, finished: EMPTY },
  'keys-generated': {
    started: EMPTY,
    finished: z.strictObject({ authentication: fingerprintSchema, signature: fingerprintSchema.optional() }),
  },
  'certificates-requested': { started: z.strictObject({ renewedOn: z.iso.date() }), finished: EMPTY },
  'certificates-issued': {
    started: EMPTY,
    finished: z.strictObject({ authentication: issuedCertificateSchema, signature: issuedCertificateSchema.optional() }),
  },
  'certificates-written': { started: EMPTY, finished: EMPTY },
  committed: { started: EMPTY, finished: EMPTY },
  'pins-set': { started: EMPTY, finished: EMPTY },
  verified: { started: EMPTY, finished: EMPTY },
  'old-revoked': { started: EMPTY, finished: EMPTY },
  done: { started: EMPTY, finished: EMPTY },
} as const satisfies Record<RenewalStep, Record<StepState, z.ZodType>>;

export type StepData<S extends RenewalStep, T extends StepState> = z.input<(typeof STEP_DATA)[S][T]>;
export type StoredStepData<S extends RenewalStep, T extends StepState> = z.output<(typeof STEP_DATA)[S][T]>;
/** The customer session a journal write is made in, and at a counter the staff member running it: its audit row names them. */
export interface SessionTag {
  sessionId?: string;
  staff?: string;
}

/**
 * A step write as a wrapper passing it through sees it: the data is checked
 * against its step's schema when written, not typed per step.
 */
export type StepWrite = (renewalId: string, step: RenewalStep, data?: unknown, session?: SessionTag) => void;

/** The audit row's session id and staff code, when the write names them. */
const inSession = (session: SessionTag | undefined) => ({
  ...(session?.sessionId ? { sessionId: session.sessionId } : {}),
  ...(session?.staff ? { staff: session.staff } : {}),
});

/** The data argument (optional where the step carries none), then the session the step is written in. */
type DataArgs<T> = T extends Record<string, never> ? [data?: T, session?: SessionTag] : [data: T, session?: SessionTag];

/** What a renewal has recorded so far, per step (a step started again drops what it and later steps recorded). */
export type JournalData = {
  [S in RenewalStep]?: { state: StepState; started: StoredStepData<S, 'started'>; finished?: StoredStepData<S, 'finished'> };
};

export interface StepRow {
  seq: number;
  step: RenewalStep;
  state: StepState;
  at: string;
  data: Record<string, unknown>;
}

export interface UnfinishedRenewal {
  renewalId: string;
  card: z.output<typeof cardIdentitySchema>;
  route: RenewalRoute;
  startedAt: string;
  /** Undefined when no step was attempted yet (nothing changed: safe to abandon). */
  lastStep: RenewalStep | undefined;
  lastState: StepState | undefined;
  data: JournalData;
}

export interface RenewalRecord extends UnfinishedRenewal {
  cardKey: string;
  state: 'open' | 'done' | 'abandoned';
  abandonReason: AbandonReason | undefined;
  endedAt: string | undefined;
  steps: StepRow[];
}

/**
 * The card key: SHA-256 over the token label and the certificate serials.
 * Two cards share a key only if they carry the very same certificates.
 */
export function cardKey(card: CardIdentity): string {
  const identity = parseCard(card);
  return createHash('sha256')
    .update(JSON.stringify(['myna-kiosk/card/v1', identity.tokenLabel, identity.authenticationSerial, identity.signatureSerial ?? null]))
    .digest('hex');
}

// ---------------------------------------------------------------------------

interface RenewalDbRow {
  renewal_id: string;
  card_key: string;
  token_label: string;
  authentication_serial: string;
  signature_serial: string | null;
  route: string;
  state: 'open' | 'done' | 'abandoned';
  abandon_reason: string | null;
  started_at: string;
  ended_at: string | null;
}

interface StepDbRow {
  seq: number;
  step: string;
  state: string;
  at: string;
  data: string;
}

export class RenewalJournal {
  readonly #db: KioskDatabase;
  readonly #audit: AuditChain;
  readonly #now: () => Date;

  /** `audit` is the terminal's chain in the same database: each journal write and its row commit together. */
  constructor(db: KioskDatabase, options: { audit: AuditChain; now?: () => Date }) {
    if (!options.audit.isKeptIn(db))
      throw new JournalError(
        'the journal needs the audit chain of its own database: the same database, so a step and its row commit together',
      );
    this.#db = db;
    this.#audit = options.audit;
    this.#now = options.now ?? (() => new Date());
  }

  /** Opens a renewal for this card. Refused while the same card has an unfinished one (resume or abandon it first). */
  beginRenewal(card: CardIdentity, route: RenewalRoute): string {
    const identity = parseCard(card);
    if (!(RENEWAL_ROUTES as readonly string[]).includes(route)) throw new JournalError(`unknown renewal route "${String(route)}"`);
    const key = cardKey(identity);
    const renewalId = randomUUID();
    this.#write(() => {
      const open = this.#findOpen(identity);
      if (open) throw new JournalError(`this card already has an unfinished renewal (${open.renewalId}); resume or abandon it first`);
      this.#db
        .prepare(
          `INSERT INTO renewals (renewal_id, card_key, token_label, authentication_serial, signature_serial, route, state, started_at)
           VALUES (?, ?, ?, ?, ?, ?, 'open', ?)`,
        )
        .run(
          renewalId,
          key,
          identity.tokenLabel,
          identity.authenticationSerial,
          identity.signatureSerial ?? null,
          route,
          this.#now().toISOString(),
        );
      this.#db.prepare("INSERT INTO renewal_cards (renewal_id, kind, card_key) VALUES (?, 'old', ?)").run(renewalId, key);
    });
    return renewalId;
  }

  /** Written before the step is attempted. A step may be repeated or gone back to, never skipped ahead. */
  stepStarted<S extends RenewalStep>(renewalId: string, step: S, ...args: DataArgs<StepData<S, 'started'>>): void {
    const [input, session] = args;
    const data = parseStepData(step, 'started', input);
    this.#write(() => {
      const record = this.#openRecord(renewalId);
      const replay = replaySteps(record.steps);
      const index = stepIndex(step);
      if (index > replay.furthestFinished + 1) {
        const next = RENEWAL_STEPS[replay.furthestFinished + 1];
        throw new JournalError(`renewal ${renewalId}: cannot start "${step}" before "${next}" has finished`);
      }
      this.#insertStep(renewalId, record.steps.length + 1, step, 'started', data);
      this.#audit.append({ event: 'renewal-step', renewalId, ...inSession(session), detail: { step, state: 'started' } });
    });
  }

  /** Written after the step succeeded: it must be the step last started. Finishing `done` closes the renewal. */
  stepFinished<S extends RenewalStep>(renewalId: string, step: S, ...args: DataArgs<StepData<S, 'finished'>>): void {
    const [input, session] = args;
    const data = parseStepData(step, 'finished', input);
    this.#write(() => {
      const record = this.#openRecord(renewalId);
      const last = record.steps.at(-1);
      if (!last || last.step !== step || last.state !== 'started') {
        throw new JournalError(
          `renewal ${renewalId}: "${step}" was not the step last started (last: ${last ? `${last.step} ${last.state}` : 'none'})`,
        );
      }
      this.#insertStep(renewalId, record.steps.length + 1, step, 'finished', data);
      this.#audit.append({ event: 'renewal-step', renewalId, ...inSession(session), detail: { step, state: 'finished' } });
      if (step === 'certificates-issued') {
        // The card comes back with these certificates once they are committed: it must still be recognised.
        const newKey = cardKey(newIdentity(record.card, data as StoredStepData<'certificates-issued', 'finished'>));
        this.#db
          .prepare(
            "INSERT INTO renewal_cards (renewal_id, kind, card_key) VALUES (?, 'new', ?) " +
              'ON CONFLICT (renewal_id, kind) DO UPDATE SET card_key = excluded.card_key',
          )
          .run(renewalId, newKey);
      }
      if (step === 'done')
        this.#db.prepare("UPDATE renewals SET state = 'done', ended_at = ? WHERE renewal_id = ?").run(this.#now().toISOString(), renewalId);
    });
  }

  /** Ends an open renewal without `done` (rolled back, given up), with its `renewal-abandoned` row. */
  abandon(renewalId: string, reason: AbandonReason, session?: SessionTag): void {
    if (!(ABANDON_REASONS as readonly string[]).includes(reason)) throw new JournalError(`unknown abandon reason "${String(reason)}"`);
    this.#write(() => {
      const { lastStep } = this.#openRecord(renewalId);
      this.#db
        .prepare("UPDATE renewals SET state = 'abandoned', abandon_reason = ?, ended_at = ? WHERE renewal_id = ?")
        .run(reason, this.#now().toISOString(), renewalId);
      this.#audit.append({
        event: 'renewal-abandoned',
        renewalId,
        ...inSession(session),
        detail: { reason, ...(lastStep ? { lastStep } : {}) },
      });
    });
  }

  /**
   * The unfinished renewal of THIS card, if any: the same token label and the
   * same certificate serials as when it began — or, once new certificates were
   * issued, the card carrying them. Never another card's.
   */
  unfinishedFor(card: CardIdentity): UnfinishedRenewal | undefined {
    const found = this.#findOpen(parseCard(card));
    return found && toUnfinished(found);
  }

  /** Every unfinished renewal, oldest first (start-up). */
  unfinished(): UnfinishedRenewal[] {
    const ids = this.#db
      .prepare("SELECT renewal_id FROM renewals WHERE state = 'open' ORDER BY started_at, rowid")
      .pluck()
      .all() as string[];
    return ids.map((id) => toUnfinished(this.#load(id) as RenewalRecord));
  }

  /** How many renewals are open (the `kiosk-started` row's count), without reading them. */
  unfinishedCount(): number {
    return this.#db.prepare("SELECT count(*) FROM renewals WHERE state = 'open'").pluck().get() as number;
  }

  get(renewalId: string): RenewalRecord | undefined {
    return this.#load(renewalId);
  }

  // -------------------------------------------------------------------------

  #write(body: () => void): void {
    this.#db.transaction(body).immediate();
  }

  #findOpen(card: z.output<typeof cardIdentitySchema>): RenewalRecord | undefined {
    const key = cardKey(card);
    const rows = this.#db
      .prepare(
        `SELECT r.renewal_id AS id, c.kind AS kind FROM renewal_cards c JOIN renewals r ON r.renewal_id = c.renewal_id
         WHERE c.card_key = ? AND r.state = 'open' ORDER BY r.started_at DESC, r.rowid DESC`,
      )
      .all(key) as { id: string; kind: 'old' | 'new' }[];
    for (const row of rows) {
      // The join found the renewal's row, so it loads.
      const record = this.#load(row.id) as RenewalRecord;
      // Belt and braces over the hash: the serials themselves must be the ones recorded.
      const issued = record.data['certificates-issued']?.finished;
      // A 'new' identity whose certificates were voided (keys generated again) is no longer this card's.
      const expected = row.kind === 'old' ? record.card : issued && newIdentity(record.card, issued);
      if (expected && sameCard(expected, card)) return record;
    }
    return undefined;
  }

  #openRecord(renewalId: string): RenewalRecord {
    const record = this.#load(renewalId);
    if (!record) throw new JournalError(`no renewal ${renewalId}`);
    if (record.state !== 'open') throw new JournalError(`renewal ${renewalId} is already ${record.state}`);
    return record;
  }

  #insertStep(renewalId: string, seq: number, step: RenewalStep, state: StepState, data: unknown): void {
    this.#db
      .prepare('INSERT INTO renewal_steps (renewal_id, seq, step, state, at, data) VALUES (?, ?, ?, ?, ?, ?)')
      .run(renewalId, seq, step, state, this.#now().toISOString(), JSON.stringify(data));
  }

  #load(renewalId: string): RenewalRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM renewals WHERE renewal_id = ?').get(renewalId) as RenewalDbRow | undefined;
    if (!row) return undefined;
    const stepRows = this.#db
      .prepare('SELECT seq, step, state, at, data FROM renewal_steps WHERE renewal_id = ? ORDER BY seq')
      .all(renewalId) as StepDbRow[];
    const steps = stepRows.map((stepRow) => readStepRow(renewalId, stepRow));
    const replay = replaySteps(steps);
    const card = cardIdentitySchema.parse({
      tokenLabel: row.token_label,
      authenticationSerial: row.authentication_serial,
      ...(row.signature_serial === null ? {} : { signatureSerial: row.signature_serial }),
    });
    return {
      renewalId: row.renewal_id,
      cardKey: row.card_key,
      card,
      route: row.route as RenewalRoute,
      state: row.state,
      abandonReason: (row.abandon_reason ?? undefined) as AbandonReason | undefined,
      startedAt: row.started_at,
      endedAt: row.ended_at ?? undefined,
      steps,
      lastStep: steps.at(-1)?.step,
      lastState: steps.at(-1)?.state,
      data: replay.data,
    };
  }
}

// ---------------------------------------------------------------------------

function parseCard(card: CardIdentity): z.output<typeof cardIdentitySchema> {
  const parsed = cardIdentitySchema.safeParse(card);
  if (!parsed.success) throw new JournalError(`card identity refused — ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function stepIndex(step: string): number {
  const index = (RENEWAL_STEPS as readonly string[]).indexOf(step);
  if (index < 0) throw new JournalError(`unknown renewal step "${step}"`);
  return index;
}

function parseStepData(step: RenewalStep, state: StepState, data: unknown): Record<string, unknown> {
  stepIndex(step);
  const parsed = STEP_DATA[step][state].safeParse(data ?? {});
  if (!parsed.success) throw new JournalError(`data for "${step}" ${state} refused — ${describeIssues(parsed.error)}`);
  return parsed.data as Record<string, unknown>;
}

function readStepRow(renewalId: string, row: StepDbRow): StepRow {
  const fail = (why: string) =>
    new JournalError(`renewal ${renewalId}, journal row ${row.seq}: ${why} (damaged, or written by another version)`);
  if (!(RENEWAL_STEPS as readonly string[]).includes(row.step)) throw fail(`unknown step "${row.step}"`);
  if (row.state !== 'started' && row.state !== 'finished') throw fail(`unknown state "${row.state}"`);
  const step = row.step as RenewalStep;
  let json: unknown;
  try {
    json = JSON.parse(row.data);
  } catch {
    throw fail('its data is not JSON');
  }
  const parsed = STEP_DATA[step][row.state].safeParse(json);
  if (!parsed.success) throw fail(`its data does not match the schema — ${describeIssues(parsed.error)}`);
  return { seq: row.seq, step, state: row.state, at: row.at, data: parsed.data as Record<string, unknown> };
}

/** Folds the rows: a step started again drops what it and every later step had recorded. */
function replaySteps(steps: readonly StepRow[]): { furthestFinished: number; data: JournalData } {
  const data: Record<string, { state: StepState; started: unknown; finished?: unknown }> = {};
  for (const row of steps) {
    const index = stepIndex(row.step);
    if (row.state === 'started') {
      for (const later of RENEWAL_STEPS.slice(index)) delete data[later];
      data[row.step] = { state: 'started', started: row.data };
    } else {
      const entry = data[row.step];
      data[row.step] = { state: 'finished', started: entry?.started ?? {}, finished: row.data };
    }
  }
  let furthestFinished = -1;
  RENEWAL_STEPS.forEach((step, index) => {
    if (data[step]?.state === 'finished' && index === furthestFinished + 1) furthestFinished = index;
  });
  return { furthestFinished, data: data as JournalData };
}

/** The card as it will be once `issued` is committed to it. */
function newIdentity(
  card: z.output<typeof cardIdentitySchema>,
  issued: StoredStepData<'certificates-issued', 'finished'>,
): z.output<typeof cardIdentitySchema> {
  // A card identified without its signature serial (unreadable before the password) is recognised the same way afterwards.
  const signatureSerial = card.signatureSerial === undefined ? undefined : (issued.signature?.serialNumber ?? card.signatureSerial);
  return {
    tokenLabel: card.tokenLabel,
    authenticationSerial: issued.authentication.serialNumber,
    ...(signatureSerial === undefined ? {} : { signatureSerial }),
  };
}

function sameCard(a: z.output<typeof cardIdentitySchema>, b: z.output<typeof cardIdentitySchema>): boolean {
  return (
    a.tokenLabel === b.tokenLabel &&
    a.authenticationSerial === b.authenticationSerial &&
    (a.signatureSerial ?? null) === (b.signatureSerial ?? null)
  );
}

function toUnfinished(record: RenewalRecord): UnfinishedRenewal {
  return {
    renewalId: record.renewalId,
    card: record.card,
    route: record.route,
    startedAt: record.startedAt,
    lastStep: record.lastStep,
    lastState: record.lastState,
    data: record.data,
  };
}
