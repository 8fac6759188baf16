import { z } from 'zod';
import { SESSION_ENDS } from './vocabulary';

/**
 * What the municipal dashboard (renderer/dashboard/) and the issuing
 * service's dashboard API (main/service/dashboard-server.ts) say to each
 * other: the service validates what it sends with these schemas, the page
 * imports only the types. Nothing here can hold a PIN, a My Number, a name
 * or an address: terminals by id, sessions by count, hand-offs by reason code.
 */

export const DASHBOARD_LANGUAGES = ['ja', 'en'] as const;
export type DashboardLanguage = (typeof DASHBOARD_LANGUAGES)[number];

export const signInRequestSchema = z.strictObject({
  account: z.string().min(1).max(64),
  passcode: z.string().min(1).max(256),
});
export type SignInRequest = z.infer<typeof signInRequestSchema>;

export const signInResponseSchema = z.strictObject({ account: z.string() });
export type SignInResponse = z.infer<typeof signInResponseSchema>;

/** Every refusal of the dashboard API: a code the page translates, never a value the user sent. */
export const dashboardErrorSchema = z.strictObject({
  error: z.enum(['signed-out', 'refused', 'locked', 'invalid-request', 'not-found', 'server-error']),
});
export type DashboardError = z.infer<typeof dashboardErrorSchema>;

const dayFiguresSchema = z.strictObject({
  renewals: z.number().int().min(0),
  /** Hand-offs by reason code (main/domain/audit-record.ts HAND_OFF_REASONS). */
  handOffs: z.record(z.string(), z.number().int().min(0)),
  /** Sessions that ended without a renewal or a hand-off (cancelled, timed out, card taken). */
  abandoned: z.number().int().min(0),
  sessions: z.number().int().min(0),
});
export type DayFigures = z.infer<typeof dayFiguresSchema>;

const healthSchema = z.strictObject({
  appVersion: z.string(),
  configFingerprint: z.string(),
  profile: z.enum(['lobby', 'counter', 'demo']),
  reader: z.enum(['unavailable', 'no_reader', 'waiting_for_card', 'card_present']),
  printer: z.enum(['none', 'ready', 'failed']),
  sessionInProgress: z.boolean(),
  lastSessionEnd: z.enum(SESSION_ENDS).nullable(),
  clockOffsetMs: z.number().int().nullable(),
  freeDiskBytes: z.number().int().nullable(),
  outbox: z.strictObject({ backlog: z.number().int().min(0), state: z.enum(['shipping', 'retrying', 'conflict']) }),
});
export type TerminalHealthView = z.infer<typeof healthSchema>;

export const TERMINAL_STATES = ['up', 'stale', 'never-seen', 'revoked'] as const;

const terminalSchema = z.strictObject({
  id: z.string(),
  role: z.enum(['lobby', 'counter']),
  /** up: a heartbeat within the stale limit; stale: silent longer; never-seen: enrolled, no heartbeat yet; revoked: certificate revoked. */
  state: z.enum(TERMINAL_STATES),
  lastHeartbeat: z.iso.datetime().nullable(),
  health: healthSchema.nullable(),
  /** The last audit row the service holds for it. */
  auditSeq: z.number().int().min(0),
  today: dayFiguresSchema,
});
export type TerminalView = z.infer<typeof terminalSchema>;

export const ALERT_KINDS = [
  'chain-gap',
  'chain-rewritten',
  'chain-unlinked',
  'chain-row-edited',
  'chain-rolled-back',
  'chain-restarted',
  'stale',
  'reader-unplugged',
  'printer-failed',
] as const;

const alertSchema = z.strictObject({
  id: z.number().int(),
  terminalId: z.string(),
  kind: z.enum(ALERT_KINDS),
  firstBadSeq: z.number().int().nullable(),
  message: z.string(),
  openedAt: z.iso.datetime(),
  lastSeenAt: z.iso.datetime(),
  count: z.number().int().min(1),
  closedAt: z.iso.datetime().nullable(),
});
export type AlertView = z.infer<typeof alertSchema>;

export const overviewSchema = z.strictObject({
  account: z.string(),
  now: z.iso.datetime(),
  /** Japan dates (YYYY-MM-DD). */
  today: z.string(),
  lastWeek: z.string(),
  staleAfterSeconds: z.number().int().min(1),
  terminals: z.array(terminalSchema),
  totals: dayFiguresSchema,
  /** Renewals per Japan hour, 24 each: today, and the same weekday a week before. */
  hourly: z.strictObject({ today: z.array(z.number().int().min(0)).length(24), lastWeek: z.array(z.number().int().min(0)).length(24) }),
  alerts: z.array(alertSchema),
});
export type Overview = z.infer<typeof overviewSchema>;
