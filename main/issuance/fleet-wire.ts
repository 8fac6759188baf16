import { z } from 'zod';
import { SESSION_ENDS } from '../../preload/vocabulary';
import { auditRowSchema, type AuditRow } from '../domain/audit-record';

/**
 * What terminals report to the issuing service about themselves
 * (docs/fleet.md), on the same mutual-TLS API as the renewals: their audit
 * rows (the outbox, shipped in order) and their health (a heartbeat). The
 * terminal is the one its client certificate names, never a field of the
 * body. Every object is strict, as in wire.ts.
 */

const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hash: 64 lower-case hex digits');
export const chainHeadSchema = z.strictObject({ seq: z.number().int().min(0), hash: hashSchema });
/** Which of a terminal's chains: made with its database, so a new database is a new chain (store/audit-outbox.ts). */
export const chainIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'a chain id: 32 lower-case hex digits');
export type ChainHeadWire = z.infer<typeof chainHeadSchema>;

/** Rows per delivery: a day's busiest hour fits in a few batches, a batch in well under the body limit. */
export const AUDIT_BATCH_MAX = 200;

export const auditBatchRequestSchema = z.strictObject({
  chainId: chainIdSchema,
  rows: z.array(auditRowSchema).min(1).max(AUDIT_BATCH_MAX),
});

/** Why the service stopped taking a terminal's rows (domain/audit-record.ts `ChainBreak`). */
export const CHAIN_BREAK_KINDS = ['gap', 'rewritten', 'unlinked', 'row-edited'] as const;

export const auditBatchResponseSchema = z.strictObject({
  /** The last row the service holds for this terminal after this delivery. */
  head: chainHeadSchema,
  accepted: z.number().int().min(0),
  /** Rows the service already had, identical: a repeated delivery. */
  repeats: z.number().int().min(0),
  /** Present when a row did not continue the chain: nothing from it on was taken, and an alert is open. */
  conflict: z
    .strictObject({ kind: z.enum(CHAIN_BREAK_KINDS), firstBadSeq: z.number().int().min(1), message: z.string().max(300) })
    .optional(),
});
export type AuditBatchResponse = z.infer<typeof auditBatchResponseSchema>;

export const auditHashesQuerySchema = z.strictObject({
  chainId: chainIdSchema,
  after: z.coerce.number().int().min(0),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});
export const auditHashesResponseSchema = z.strictObject({
  head: chainHeadSchema,
  hashes: z.array(z.strictObject({ seq: z.number().int().min(1), hash: hashSchema })),
});
export type AuditHashesResponse = z.infer<typeof auditHashesResponseSchema>;

/** The card reader as the terminal sees it (contract.ts readerStatusSchema's states). */
export const READER_HEALTH = ['unavailable', 'no_reader', 'waiting_for_card', 'card_present'] as const;
/** The slip printer: none (the browser prints), ready, or the last slip failed (paper out, jammed or offline). */
export const PRINTER_HEALTH = ['none', 'ready', 'failed'] as const;
/** The outbox: shipping, waiting to try again (the service was away), or stopped on a chain conflict. */
export const OUTBOX_STATES = ['shipping', 'retrying', 'conflict'] as const;

export const heartbeatRequestSchema = z.strictObject({
  appVersion: z.string().regex(/^[0-9A-Za-z.+-]{1,40}$/, 'a version: letters, digits and . + -'),
  /** SHA-256 of the terminal's config file as read: staff see which terminals run the same settings. */
  configFingerprint: hashSchema,
  profile: z.enum(['lobby', 'counter', 'demo']),
  reader: z.enum(READER_HEALTH),
  printer: z.enum(PRINTER_HEALTH),
  sessionInProgress: z.boolean(),
  lastSessionEnd: z.enum(SESSION_ENDS).nullable(),
  /** The terminal's clock minus the service's, from the last heartbeat's round trip (null before the first answer). */
  clockOffsetMs: z.number().int().min(-1e10).max(1e10).nullable(),
  freeDiskBytes: z.number().int().min(0).nullable(),
  outbox: z.strictObject({ backlog: z.number().int().min(0), state: z.enum(OUTBOX_STATES) }),
  /** The head of the terminal's own chain: the service compares it with its copy (a rolled-back chain is seen here). */
  auditHead: chainHeadSchema,
  auditChain: chainIdSchema,
  sentAt: z.iso.datetime(),
});
export type Heartbeat = z.infer<typeof heartbeatRequestSchema>;

export const heartbeatResponseSchema = z.strictObject({
  /** The service's clock when it answered, for the terminal's clock offset. */
  serviceTime: z.iso.datetime(),
});
export type HeartbeatAnswer = z.infer<typeof heartbeatResponseSchema>;

/** The three calls of the service the reporter makes (IssuingServiceClient has them; kiosk/fleet-reporter.ts makes them). */
export interface FleetChannel {
  shipAudit(chainId: string, rows: readonly AuditRow[]): Promise<AuditBatchResponse>;
  auditHashes(chainId: string, after: number, limit?: number): Promise<AuditHashesResponse>;
  heartbeat(report: Heartbeat): Promise<HeartbeatAnswer>;
}
