import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  overviewSchema,
  signInRequestSchema,
  type DashboardError,
  type DayFigures,
  type Overview,
  type TerminalView,
} from '../../preload/dashboard-contract';
import { z } from 'zod';
import type { Logger } from '../base/log';
import { formatAuditExport } from '../domain/audit-record';
import { hashPasscode, passcodeMatches } from '../base/passcode';
import { contentSecurityPolicy } from '../hosting/csp';
import { loadStaticAsset, securityHeaders } from '../hosting/static-files';
import type { DashboardAccounts } from './dashboard-accounts';
import type { FleetMetrics } from './fleet-metrics';
import type { FleetStore } from './fleet-store';
import type { KeyPairPem } from './terminal-pki';
import type { TerminalRegistry } from './terminal-registry';

/**
 * The municipality's window on its fleet (docs/fleet.md, "The dashboard"), on a
 * listener of its own beside the terminals' API: HTTPS with the service's
 * certificate, no client certificate (staff browsers have none), its own
 * sign-in.
 *
 * - `/` the dashboard page (renderer/dashboard/, built to out/renderer), under
 *   the kiosk's CSP with `connect-src 'self'`;
 * - `/api/…` its JSON, for a signed-in account only: a session cookie
 *   (random, HttpOnly, Secure, SameSite=Strict; 30 min idle, 12 h at most).
 *   Every POST needs the `x-myna-dashboard: 1` header and, when the browser
 *   sends one, an Origin of this very listener (no other site can post);
 * - five refused passcodes for one account within 15 min lock it for 15 min;
 *   every sign-in, refusal, sign-out and expiry is kept (fleet_sign_ins);
 * - `/metrics` the Prometheus text (a bearer token when one is configured),
 *   `/health` whether the service and its database answer.
 */

export interface DashboardOptions {
  tls: KeyPairPem;
  store: FleetStore;
  metrics: FleetMetrics;
  registry: TerminalRegistry;
  accounts: DashboardAccounts;
  /** The built dashboard folder (out/dashboard), which holds dashboard.html. */
  rendererRoot: string;
  staleAfterMs: number;
  log: Logger;
  /** When set, /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  now?: () => Date;
}

const COOKIE = 'myna_dashboard';
/** How a sign-in to an account that does not exist is recorded and logged. */
const UNKNOWN_ACCOUNT = '(unknown)';
const IDLE_MS = 30 * 60_000;
const LIFETIME_MS = 12 * 60 * 60_000;
const LOCK_AFTER = 5;
const LOCK_WINDOW_MS = 15 * 60_000;
/** A hash to check unknown accounts against, so an unknown account takes as long to refuse as a wrong passcode (made on first use). */
let decoyHash: string | undefined;
const decoy = () => (decoyHash ??= hashPasscode(randomBytes(16).toString('hex')));

interface DashboardSession {
  account: string;
  createdAt: number;
  lastUsedAt: number;
}

export async function buildDashboard(options: DashboardOptions): Promise<FastifyInstance> {
  const now = options.now ?? (() => new Date());
  const sessions = new Map<string, DashboardSession>();
  const failures = new Map<string, number[]>();
  const headers = {
    ...securityHeaders(contentSecurityPolicy({ bridgeOrigin: "'self'" })),
    'strict-transport-security': 'max-age=31536000',
  };
  const app = Fastify({
    https: { key: options.tls.key, cert: options.tls.certificate, minVersion: 'TLSv1.2' },
    bodyLimit: 4 * 1024,
    logger: false,
    return503OnClosing: true,
  });
  app.addHook('onSend', async (_request, reply) => {
    for (const [name, value] of Object.entries(headers)) if (!reply.hasHeader(name)) reply.header(name, value);
  });
  app.setErrorHandler((error, _request, reply) => {
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status >= 400 && status < 500) return fail(reply, status, 'invalid-request');
    options.log.error('dashboard-failed', { error: (error as Error).name });
    return fail(reply, 500, 'server-error');
  });
  app.setNotFoundHandler((_request, reply) => fail(reply, 404, 'not-found'));

  const sessionOf = (request: FastifyRequest): DashboardSession | undefined => {
    const token = cookieOf(request.headers.cookie, COOKIE);
    if (!token) return undefined;
    const session = sessions.get(token);
    if (!session) return undefined;
    const at = now().getTime();
    if (at - session.lastUsedAt > IDLE_MS || at - session.createdAt > LIFETIME_MS) {
      sessions.delete(token);
      void options.store.recordSignIn(session.account, 'expired').catch(() => undefined);
      return undefined;
    }
    session.lastUsedAt = at;
    return session;
  };
  /** A POST from this page: the custom header no form can set, and no foreign Origin. */
  const fromOurPage = (request: FastifyRequest): boolean => {
    if (request.headers['x-myna-dashboard'] !== '1') return false;
    const origin = request.headers.origin;
    return origin === undefined || origin === `https://${request.headers.host ?? ''}`;
  };

  // --- the page --------------------------------------------------------------
  const servePage = async (path: string, reply: FastifyReply) => {
    const asset = await loadStaticAsset(options.rendererRoot, path);
    if (asset.status === 404) return fail(reply, 404, 'not-found');
    return reply.code(200).type(asset.contentType).send(asset.body);
  };
  app.get('/', (_request, reply) => servePage('/dashboard.html', reply));
  app.get('/dashboard.html', (_request, reply) => servePage('/dashboard.html', reply));
  app.get('/favicon.ico', (_request, reply) => servePage('/favicon.ico', reply));
  app.get('/assets/*', (request, reply) => servePage(new URL(request.url, 'https://dashboard').pathname, reply));

  // --- sign-in ---------------------------------------------------------------
  app.post('/api/sign-in', async (request, reply) => {
    if (!fromOurPage(request)) return fail(reply, 403, 'invalid-request');
    const body = signInRequestSchema.safeParse(request.body);
    if (!body.success) return fail(reply, 400, 'invalid-request');
    const { account, passcode } = body.data;
    const at = now().getTime();
    const stored = options.accounts.passcodeHashOf(account);
    // What was typed for an account that does not exist is not kept: it may be a passcode typed in the wrong field.
    const recorded = stored === undefined ? UNKNOWN_ACCOUNT : account;
    const recent = (failures.get(account) ?? []).filter((time) => at - time < LOCK_WINDOW_MS);
    if (recent.length >= LOCK_AFTER) {
      await options.store.recordSignIn(recorded, 'refused');
      return fail(reply, 429, 'locked');
    }
    const matches = (await passcodeMatches(passcode, stored ?? decoy())) && stored !== undefined;
    if (!matches) {
      failures.set(account, [...recent, at]);
      await options.store.recordSignIn(recorded, 'refused');
      options.log.warn('dashboard-sign-in-refused', { account: recorded });
      return fail(reply, 401, 'refused');
    }
    failures.delete(account);
    const token = randomBytes(32).toString('base64url');
    sessions.set(token, { account, createdAt: at, lastUsedAt: at });
    await options.store.recordSignIn(account, 'accepted');
    options.log.info('dashboard-signed-in', { account });
    return reply
      .header('set-cookie', `${COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${LIFETIME_MS / 1000}`)
      .send({ account });
  });
  app.post('/api/sign-out', async (request, reply) => {
    if (!fromOurPage(request)) return fail(reply, 403, 'invalid-request');
    const token = cookieOf(request.headers.cookie, COOKIE);
    const session = token ? sessions.get(token) : undefined;
    if (token) sessions.delete(token);
    if (session) await options.store.recordSignIn(session.account, 'signed-out');
    return reply.header('set-cookie', `${COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`).send({});
  });

  // --- the fleet -------------------------------------------------------------
  app.get('/api/overview', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return fail(reply, 401, 'signed-out');
    const overview = await overviewFor(session.account, options, now());
    // What leaves is what the contract allows, and nothing else.
    return reply.type('application/json').send(overviewSchema.parse(overview));
  });
  app.post('/api/alerts/:id/close', async (request, reply) => {
    if (!fromOurPage(request)) return fail(reply, 403, 'invalid-request');
    const session = sessionOf(request);
    if (!session) return fail(reply, 401, 'signed-out');
    const id = Number((request.params as { id?: string }).id);
    if (!Number.isSafeInteger(id) || id < 1) return fail(reply, 400, 'invalid-request');
    if (!(await options.store.closeAlert(id, session.account))) return fail(reply, 404, 'not-found');
    options.log.info('dashboard-alert-closed', { account: session.account, alert: id });
    return reply.send({});
  });

  app.get('/api/export', async (request, reply) => {
    const session = sessionOf(request);
    if (!session) return fail(reply, 401, 'signed-out');
    const query = exportQuerySchema.safeParse(request.query);
    if (!query.success) return fail(reply, 400, 'invalid-request');
    const { from, to, format } = query.data;
    const text = await exportFleetRows(options.store, { from, to, format, operator: session.account });
    options.log.info('fleet-exported', { account: session.account, from, to, format, rows: text.rows });
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8')
      .header('content-disposition', `attachment; filename="myna-kiosk-fleet-audit-${from}-${to}.${format}"`)
      .header('x-myna-rows', String(text.rows))
      .send(text.text);
  });

  // --- for monitoring ----------------------------------------------------------
  app.get('/metrics', async (request, reply) => {
    if (options.metricsToken !== undefined && !bearerMatches(request.headers.authorization, options.metricsToken))
      return reply.code(401).header('www-authenticate', 'Bearer').type('text/plain').send('a bearer token is required\n');
    return reply.type(options.metrics.contentType).send(await options.metrics.text());
  });
  app.get('/health', async (_request, reply) => {
    try {
      await options.store.query('SELECT 1');
      return reply.send({ status: 'ok', database: 'ok' });
    } catch {
      return reply.code(503).send({ status: 'degraded', database: 'unreachable' });
    }
  });
  return app;
}

export interface RunningDashboard {
  readonly url: string;
  close(): Promise<void>;
}

export async function startDashboard(options: DashboardOptions & { host: string; port?: number }): Promise<RunningDashboard> {
  const app = await buildDashboard(options);
  await app.listen({ host: options.host, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `https://${host}:${port}`;
  options.log.info('dashboard-started', { url });
  return { url, close: () => app.close() };
}

/** Everything the page shows, from the registry, the heartbeats and the day's rows. */
export async function overviewFor(
  account: string,
  options: Pick<DashboardOptions, 'store' | 'registry' | 'staleAfterMs'>,
  at: Date,
): Promise<Overview> {
  const { store } = options;
  const { today, lastWeek } = store.today();
  const [heartbeats, heads, figures, hourlyToday, hourlyLastWeek, alerts] = await Promise.all([
    store.heartbeats(),
    store.auditHeads(),
    store.dayFigures(today),
    store.renewalsByHour(today),
    store.renewalsByHour(lastWeek),
    store.alerts({ open: true }),
  ]);
  const seen = new Map(heartbeats.map((entry) => [entry.terminalId, entry]));
  const enrolled = new Map<string, { role: 'lobby' | 'counter'; revoked: boolean }>();
  for (const entry of options.registry.list()) {
    const earlier = enrolled.get(entry.id);
    // A terminal is revoked only when none of its certificates is in force.
    enrolled.set(entry.id, { role: entry.role, revoked: (earlier?.revoked ?? true) && entry.revokedAt !== undefined });
  }
  const ids = [...new Set([...enrolled.keys(), ...seen.keys(), ...figures.keys()])].sort();
  const empty = (): DayFigures => ({ renewals: 0, handOffs: {}, abandoned: 0, sessions: 0 });
  const terminals: TerminalView[] = ids.map((id) => {
    const heartbeat = seen.get(id);
    const enrolment = enrolled.get(id);
    const age = heartbeat ? at.getTime() - Date.parse(heartbeat.receivedAt) : undefined;
    const state: TerminalView['state'] = enrolment?.revoked
      ? 'revoked'
      : age === undefined
        ? 'never-seen'
        : age > options.staleAfterMs
          ? 'stale'
          : 'up';
    const report = heartbeat?.report;
    return {
      id,
      role: enrolment?.role ?? (report?.profile === 'counter' ? 'counter' : 'lobby'),
      state,
      lastHeartbeat: heartbeat?.receivedAt ?? null,
      health: report
        ? {
            appVersion: report.appVersion,
            configFingerprint: report.configFingerprint,
            profile: report.profile,
            reader: report.reader,
            printer: report.printer,
            sessionInProgress: report.sessionInProgress,
            lastSessionEnd: report.lastSessionEnd,
            clockOffsetMs: report.clockOffsetMs,
            freeDiskBytes: report.freeDiskBytes,
            outbox: report.outbox,
          }
        : null,
      auditSeq: heads.get(id)?.seq ?? 0,
      today: figures.get(id) ?? empty(),
    };
  });
  const totals = empty();
  for (const terminal of terminals) {
    totals.renewals += terminal.today.renewals;
    totals.abandoned += terminal.today.abandoned;
    totals.sessions += terminal.today.sessions;
    for (const [reason, n] of Object.entries(terminal.today.handOffs)) totals.handOffs[reason] = (totals.handOffs[reason] ?? 0) + n;
  }
  return {
    account,
    now: at.toISOString(),
    today,
    lastWeek,
    staleAfterSeconds: Math.round(options.staleAfterMs / 1000),
    terminals,
    totals,
    hourly: { today: hourlyToday, lastWeek: hourlyLastWeek },
    alerts,
  };
}

const japanDay = z.iso.date();
const exportQuerySchema = z
  .strictObject({ from: japanDay, to: japanDay, format: z.enum(['csv', 'jsonl']) })
  .refine((query) => query.from <= query.to, { message: '"from" is after "to"' });

/**
 * Every terminal's rows of the Japan dates from..to, by terminal then seq,
 * with the terminal the service holds each for (`stored_for`); the export
 * is recorded with who made it (fleet_exports).
 */
export async function exportFleetRows(
  store: FleetStore,
  request: { from: string; to: string; format: 'csv' | 'jsonl'; operator: string },
): Promise<{ text: string; rows: number }> {
  const rows = await store.auditRows(request.from, request.to);
  const text = formatAuditExport(
    rows.map((row) => ({ ...row, leading: { stored_for: row.storedFor, chain_id: row.chainId } })),
    request.format,
    ['stored_for', 'chain_id'],
  );
  await store.recordExport({ ...request, rows: rows.length });
  return { text, rows: rows.length };
}

function fail(reply: FastifyReply, status: number, error: DashboardError['error']): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify({ error }));
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
