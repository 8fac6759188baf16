import type { FastifyInstance } from 'fastify';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overviewSchema } from '../../preload/dashboard-contract';
import { silentLogger } from '../../main/base/log';
import { hashPasscode } from '../../main/base/passcode';
import { DashboardAccounts } from '../../main/service/dashboard-accounts';
import { buildDashboard } from '../../main/service/dashboard-server';
import { FleetMetrics } from '../../main/service/fleet-metrics';
import { openFleetStore, type FleetStore } from '../../main/service/fleet-store';
import { TerminalCa } from '../../main/service/terminal-pki';
import { TerminalRegistry } from '../../main/service/terminal-registry';
import { TerminalFile } from '../support/fleet-fakes';

// The dashboard's listener (main/service/dashboard-server.ts), driven
// request by request: its page and headers, its own sign-in (hashed
// accounts, lock-out, every attempt recorded), the overview and what it
// may carry, closing alerts, the fleet export, /metrics and /health.

const DASHBOARD = fileURLToPath(new URL('../../out/dashboard', import.meta.url));
const PASSCODE = 'correct-horse-7';
const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-dashboard-api-'));
let now = new Date('2026-12-07T01:30:00.000Z');
let store: FleetStore;
let app: FastifyInstance;
let withToken: FastifyInstance;
const files: TerminalFile[] = [];

beforeAll(async () => {
  if (!existsSync(join(DASHBOARD, 'dashboard.html'))) throw new Error(`${DASHBOARD} is missing: run "npm run build" first (npm test does)`);
  store = await openFleetStore({ dir: work, now: () => now });
  const ca = await TerminalCa.create('Dashboard City');
  const registry = new TerminalRegistry(join(work, 'terminals.json'));
  for (const [id, role] of [
    ['lobby-01', 'lobby'],
    ['lobby-02', 'lobby'],
    ['counter-01', 'counter'],
    ['old-01', 'lobby'],
  ] as const) {
    const issued = await ca.issueTerminal(id, role);
    registry.enrol({ id, role, serialNumber: issued.serialNumber, notAfter: issued.notAfter.toISOString() });
  }
  registry.revoke('old-01');
  const accounts = new DashboardAccounts(join(work, 'dashboard-accounts.json'));
  accounts.set('auditor', hashPasscode(PASSCODE));
  accounts.set('it-desk', hashPasscode(PASSCODE));
  const options = {
    tls: await ca.issueServer(['127.0.0.1']),
    store,
    metrics: new FleetMetrics(store, { staleAfterMs: 90_000, enrolled: () => registry.list().map((entry) => entry.id), now: () => now }),
    registry,
    accounts,
    rendererRoot: DASHBOARD,
    staleAfterMs: 90_000,
    log: silentLogger,
    now: () => now,
  };
  app = await buildDashboard(options);
  withToken = await buildDashboard({ ...options, metricsToken: 'a-long-metrics-token-0123' });

  // A fleet: lobby-01 delivered its rows and beats now; lobby-02 beat long ago; counter-01 never did.
  const lobby = new TerminalFile('lobby-01');
  files.push(lobby);
  lobby.append(4);
  await store.receiveAudit('lobby-01', lobby.outbox.chainId(), lobby.chain.rowsAfter(0, 10));
  const beat = (file: TerminalFile) => ({
    appVersion: '0.1.0',
    configFingerprint: 'c'.repeat(64),
    profile: 'lobby' as const,
    reader: 'waiting_for_card' as const,
    printer: 'ready' as const,
    sessionInProgress: false,
    lastSessionEnd: 'renewed' as const,
    clockOffsetMs: -40,
    freeDiskBytes: 5_000_000_000,
    outbox: { backlog: 0, state: 'shipping' as const },
    auditHead: file.chain.head(),
    auditChain: file.outbox.chainId(),
    sentAt: now.toISOString(),
  });
  const other = new TerminalFile('lobby-02');
  files.push(other);
  now = new Date(now.getTime() - 10 * 60_000);
  await store.receiveHeartbeat('lobby-02', beat(other));
  now = new Date(now.getTime() + 10 * 60_000);
  await store.receiveHeartbeat('lobby-01', beat(lobby));
  // And a chain break on lobby-01.
  lobby.rewrite(2, { midRenewal: true });
  await store.receiveAudit('lobby-01', lobby.outbox.chainId(), lobby.chain.rowsAfter(0, 10));
}, 60_000);

afterAll(async () => {
  await app?.close();
  await withToken?.close();
  await store?.close();
  for (const file of files) file.close();
  rmSync(work, { recursive: true, force: true });
});

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(payload),
    headers: { 'content-type': 'application/json', 'x-myna-dashboard': '1', ...headers },
  });

async function signIn(account = 'auditor'): Promise<string> {
  const answer = await post('/api/sign-in', { account, passcode: PASSCODE });
  expect(answer.statusCode).toBe(200);
  return String(answer.headers['set-cookie']).split(';')[0]!;
}

const signInsOf = async (account: string) =>
  (await store.signIns(500)).filter((entry) => entry.accountId === account).map((entry) => entry.result);

describe('the page', () => {
  it('is served with the CSP and the security headers, its assets too; nothing else is', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['strict-transport-security']).toMatch(/max-age=/);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    expect((await app.inject({ method: 'GET', url: `/${script}` })).statusCode).toBe(200);
    for (const url of ['/index.html', '/../package.json', '/assets/../../main/cli.js', '/api/nothing'])
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(404);
  });
});

describe('signing in', () => {
  it('refuses a post without the page’s header or from another origin', async () => {
    const bare = await app.inject({ method: 'POST', url: '/api/sign-in', payload: { account: 'auditor', passcode: PASSCODE } });
    expect(bare.statusCode).toBe(403);
    const foreign = await post('/api/sign-in', { account: 'auditor', passcode: PASSCODE }, { origin: 'https://evil.example' });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a wrong passcode and an unknown account alike, and records every attempt', async () => {
    const wrong = await post('/api/sign-in', { account: 'it-desk', passcode: 'nope-nope' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ error: 'refused' });
    const unknown = await post('/api/sign-in', { account: 'nobody', passcode: PASSCODE });
    expect(unknown.statusCode).toBe(401);
    expect(await signInsOf('it-desk')).toContain('refused');
    // Recorded, but not under what was typed: it could have been a passcode in the wrong field.
    expect(await signInsOf('nobody')).toEqual([]);
    expect(await signInsOf('(unknown)')).toEqual(['refused']);
    const typedPasscode = await post('/api/sign-in', { account: PASSCODE, passcode: 'x' });
    expect(typedPasscode.statusCode).toBe(401);
    expect(JSON.stringify(await store.signIns(500))).not.toContain(PASSCODE);
    expect((await post('/api/sign-in', { account: 'auditor' })).statusCode).toBe(400);
  });

  it('locks an account after five wrong passcodes, even against the right one', async () => {
    for (let attempt = 0; attempt < 5; attempt++) await post('/api/sign-in', { account: 'it-desk', passcode: `wrong-${attempt}` });
    const locked = await post('/api/sign-in', { account: 'it-desk', passcode: PASSCODE });
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toEqual({ error: 'locked' });
    // After fifteen minutes the lock is gone.
    now = new Date(now.getTime() + 16 * 60_000);
    expect((await post('/api/sign-in', { account: 'it-desk', passcode: PASSCODE })).statusCode).toBe(200);
    now = new Date(now.getTime() - 16 * 60_000);
  });

  it('gives a session cookie no script can read, which only this site sends', async () => {
    const answer = await post('/api/sign-in', { account: 'auditor', passcode: PASSCODE });
    const cookie = String(answer.headers['set-cookie']);
    expect(cookie).toMatch(/^myna_dashboard=[A-Za-z0-9_-]{43};/);
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) expect(cookie).toContain(flag);
    expect(answer.json()).toEqual({ account: 'auditor' });
    expect(await signInsOf('auditor')).toContain('accepted');
  });

  it('ends a session after 30 minutes without use, and at sign-out', async () => {
    const cookie = await signIn();
    expect((await app.inject({ method: 'GET', url: '/api/overview', headers: { cookie } })).statusCode).toBe(200);
    now = new Date(now.getTime() + 31 * 60_000);
    expect((await app.inject({ method: 'GET', url: '/api/overview', headers: { cookie } })).statusCode).toBe(401);
    now = new Date(now.getTime() - 31 * 60_000);
    expect(await signInsOf('auditor')).toContain('expired');
    const next = await signIn();
    expect((await post('/api/sign-out', {}, { cookie: next })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/overview', headers: { cookie: next } })).statusCode).toBe(401);
    expect(await signInsOf('auditor')).toContain('signed-out');
  });
});

describe('the overview', () => {
  it('is for a signed-in account only', async () => {
    const answer = await app.inject({ method: 'GET', url: '/api/overview' });
    expect(answer.statusCode).toBe(401);
    expect(answer.json()).toEqual({ error: 'signed-out' });
  });

  it('shows each enrolled terminal with its state, health and rows, and the open alerts — by the contract', async () => {
    const cookie = await signIn();
    const answer = await app.inject({ method: 'GET', url: '/api/overview', headers: { cookie } });
    expect(answer.statusCode).toBe(200);
    const overview = overviewSchema.parse(answer.json());
    const state = Object.fromEntries(overview.terminals.map((terminal) => [terminal.id, terminal.state]));
    expect(state).toEqual({ 'counter-01': 'never-seen', 'lobby-01': 'up', 'lobby-02': 'stale', 'old-01': 'revoked' });
    const lobby = overview.terminals.find((terminal) => terminal.id === 'lobby-01')!;
    expect(lobby).toMatchObject({ role: 'lobby', auditSeq: 4, health: { reader: 'waiting_for_card', clockOffsetMs: -40 } });
    expect(overview.alerts).toEqual([expect.objectContaining({ terminalId: 'lobby-01', kind: 'chain-rewritten', firstBadSeq: 2 })]);
    expect(overview).toMatchObject({ account: 'auditor', today: '2026-12-07', lastWeek: '2026-11-30', staleAfterSeconds: 90 });
    expect(answer.body).not.toContain(PASSCODE);
  });

  it('lets a person close an alert they looked into', async () => {
    const cookie = await signIn();
    const [alert] = await store.alerts({ open: true });
    expect((await app.inject({ method: 'POST', url: `/api/alerts/${alert!.id}/close`, headers: { cookie } })).statusCode).toBe(403);
    expect((await post(`/api/alerts/${alert!.id}/close`, {}, { cookie })).statusCode).toBe(200);
    expect((await post(`/api/alerts/${alert!.id}/close`, {}, { cookie })).statusCode).toBe(404);
    expect((await post('/api/alerts/abc/close', {}, { cookie })).statusCode).toBe(400);
    const closed = (await store.alerts()).find((entry) => entry.id === alert!.id);
    expect(closed?.closedAt).not.toBeNull();
    const [row] = await store.query<{ closed_by: string }>('SELECT closed_by FROM fleet_alerts WHERE id = $1', [alert!.id]);
    expect(row?.closed_by).toBe('auditor');
  });
});

describe('the fleet export', () => {
  it("gives every terminal's rows of the Japan dates asked for, and records who took them", async () => {
    const cookie = await signIn();
    const answer = await app.inject({ method: 'GET', url: '/api/export?from=2026-12-07&to=2026-12-07&format=csv', headers: { cookie } });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/csv/);
    const lines = answer.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'stored_for,chain_id,seq,at,at_japan,event,terminal_id,session_id,renewal_id,staff,' +
        'authentication_serial,signature_serial,detail,prev_hash,hash',
    );
    expect(lines).toHaveLength(1 + 4);
    expect(lines[1]).toMatch(/^lobby-01,[0-9a-f]{32},1,2026-12-07T01:00:01\.000Z,2026-12-07T10:00:01\.000\+09:00,card-removed,lobby-01/);
    const [recorded] = await store.query<{ operator: string; rows: number; format: string }>(
      'SELECT operator, rows, format FROM fleet_exports ORDER BY id DESC LIMIT 1',
    );
    expect(recorded).toEqual({ operator: 'auditor', rows: 4, format: 'csv' });
    const bad = await app.inject({ method: 'GET', url: '/api/export?from=2026-12-08&to=2026-12-07&format=csv', headers: { cookie } });
    expect(bad.statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/export?from=2026-12-07&to=2026-12-07&format=csv' })).statusCode).toBe(401);
  });
});

describe('for monitoring', () => {
  it('serves the Prometheus text, behind a bearer token when one is set', async () => {
    const open = await app.inject({ method: 'GET', url: '/metrics' });
    expect(open.statusCode).toBe(200);
    expect(open.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(open.body).toMatch(/myna_kiosk_terminals\{state="up"\} 1/);
    expect(open.body).toMatch(/myna_kiosk_terminals\{state="stale"\} 1/);
    expect(open.body).toMatch(/myna_kiosk_terminals\{state="never-seen"\} 2/);
    expect((await withToken.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const wrong = await withToken.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer a-long-metrics-token-0124' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await withToken.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer a-long-metrics-token-0123' },
    });
    expect(right.statusCode).toBe(200);
  });

  it('says whether the service and its database answer', async () => {
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toEqual({ status: 'ok', database: 'ok' });
  });
});
