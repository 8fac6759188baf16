// @vitest-environment happy-dom
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertView, Overview, TerminalView } from '../../../preload/dashboard-contract';
import { App } from '../../../renderer/dashboard/App';
import { japanTime, timeAgo } from '../../../renderer/dashboard/format';
import EN from '../../../renderer/dashboard/locales/en.json';
import JA from '../../../renderer/dashboard/locales/ja.json';

const DASHBOARD = join(import.meta.dirname, '../../../renderer/dashboard');
const PASSCODE = 'correct horse battery staple';

const health = (overrides: Partial<NonNullable<TerminalView['health']>> = {}): NonNullable<TerminalView['health']> => ({
  appVersion: '0.1.0',
  configFingerprint: 'c0ffee',
  profile: 'lobby',
  reader: 'waiting_for_card',
  printer: 'ready',
  sessionInProgress: false,
  lastSessionEnd: 'renewed',
  clockOffsetMs: 120,
  freeDiskBytes: 12_300_000_000,
  outbox: { backlog: 0, state: 'shipping' },
  ...overrides,
});

const figures = (renewals: number, handOffs: Record<string, number>, abandoned: number) => ({
  renewals,
  handOffs,
  abandoned,
  sessions: renewals + abandoned + Object.values(handOffs).reduce((sum, value) => sum + value, 0),
});

const CHAIN_ALERT: AlertView = {
  id: 7,
  terminalId: 'lobby-02',
  kind: 'chain-gap',
  firstBadSeq: 1042,
  message: 'rows 1042-1044 missing',
  openedAt: '2026-12-07T00:20:00.000Z',
  lastSeenAt: '2026-12-07T00:30:00.000Z',
  count: 3,
  closedAt: null,
};

function overview(): Overview {
  return {
    account: 'it-staff',
    now: '2026-12-07T00:35:10.000Z',
    today: '2026-12-07',
    lastWeek: '2026-11-30',
    staleAfterSeconds: 90,
    terminals: [
      {
        id: 'lobby-01',
        role: 'lobby',
        state: 'up',
        lastHeartbeat: '2026-12-07T00:35:03.000Z',
        health: health(),
        auditSeq: 2210,
        today: figures(5, { 'pin-forgotten': 1 }, 1),
      },
      {
        id: 'lobby-02',
        role: 'lobby',
        state: 'stale',
        lastHeartbeat: '2026-12-07T00:20:00.000Z',
        health: health({ printer: 'failed', outbox: { backlog: 4, state: 'retrying' } }),
        auditSeq: 1041,
        today: figures(2, { 'pin-blocked': 2, 'some-new-reason': 1 }, 0),
      },
      { id: 'counter-01', role: 'counter', state: 'never-seen', lastHeartbeat: null, health: null, auditSeq: 0, today: figures(0, {}, 0) },
    ],
    totals: figures(7, { 'pin-forgotten': 1, 'pin-blocked': 2, 'some-new-reason': 1 }, 1),
    hourly: {
      today: Array.from({ length: 24 }, (_, hour) => (hour === 9 ? 4 : hour === 10 ? 3 : 0)),
      lastWeek: Array.from({ length: 24 }, (_, hour) => (hour === 9 ? 2 : hour === 11 ? 6 : 0)),
    },
    alerts: [CHAIN_ALERT, { ...CHAIN_ALERT, id: 3, kind: 'printer-failed', firstBadSeq: null, closedAt: '2026-12-06T08:00:00.000Z' }],
  };
}

/** A stand-in for the issuing service's dashboard API: one account, a session flag, the alerts it holds. */
function fakeService() {
  const state = { signedIn: false, alerts: overview().alerts, overviewStatus: undefined as number | undefined };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const path = String(input);
    const method = init.method ?? 'GET';
    if (method === 'POST' && new Headers(init.headers).get('x-myna-dashboard') !== '1') return json(403, { error: 'invalid-request' });
    if (method === 'POST' && path === '/api/sign-in') {
      const body = JSON.parse(String(init.body)) as { account: string; passcode: string };
      if (body.account !== 'it-staff' || body.passcode !== PASSCODE) return json(401, { error: 'refused' });
      state.signedIn = true;
      return json(200, { account: body.account });
    }
    if (method === 'POST' && path === '/api/sign-out') {
      state.signedIn = false;
      return json(200, {});
    }
    if (!state.signedIn) return json(401, { error: 'signed-out' });
    if (method === 'GET' && path === '/api/overview') {
      if (state.overviewStatus) return json(state.overviewStatus, { error: 'server-error' });
      return json(200, { ...overview(), alerts: state.alerts });
    }
    const close = /^\/api\/alerts\/(\d+)\/close$/.exec(path);
    if (method === 'POST' && close) {
      const id = Number(close[1]);
      const alert = state.alerts.find((candidate) => candidate.id === id && candidate.closedAt === null);
      if (!alert) return json(404, { error: 'not-found' });
      state.alerts = state.alerts.map((candidate) =>
        candidate === alert ? { ...alert, closedAt: '2026-12-07T00:36:00.000Z' } : candidate,
      );
      return json(200, {});
    }
    return json(404, { error: 'not-found' });
  });
  return { state, fetch };
}

let service: ReturnType<typeof fakeService>;

beforeEach(() => {
  service = fakeService();
  vi.stubGlobal('fetch', service.fetch);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
  sessionStorage.clear();
});

async function signIn(passcode = PASSCODE) {
  fireEvent.change(await screen.findByRole('textbox', { name: 'アカウント' }), { target: { value: 'it-staff' } });
  fireEvent.change(screen.getByLabelText('パスコード'), { target: { value: passcode } });
  fireEvent.click(screen.getByRole('button', { name: 'サインイン' }));
}

const terminalRows = (table: HTMLElement) =>
  within(table)
    .getAllByRole('row')
    .filter((row) => row.hasAttribute('data-terminal-id'));

describe('the dashboard page', () => {
  it('shows the sign-in form when the overview answers 401, and refuses a wrong passcode without keeping it', async () => {
    render(<App />);
    expect(await screen.findByRole('textbox', { name: 'アカウント' })).toBeTruthy();
    expect(service.fetch).toHaveBeenCalledWith('/api/overview', expect.objectContaining({ method: 'GET' }));
    expect(screen.queryByRole('alert')?.textContent).toBe('');

    await signIn('wrong');
    expect(await screen.findByText(JA.signIn.problem.refused)).toBeTruthy();
    expect((screen.getByLabelText('パスコード') as HTMLInputElement).value).toBe('');
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('after sign-in lists every terminal with its state, the open chain alert with its first bad row, and the totals', async () => {
    render(<App />);
    await signIn();

    const table = await screen.findByRole('table', { name: '端末' });
    const rows = terminalRows(table);
    expect(rows.map((row) => [row.getAttribute('data-terminal-id'), row.getAttribute('data-state')])).toEqual([
      ['lobby-01', 'up'],
      ['lobby-02', 'stale'],
      ['counter-01', 'never-seen'],
    ]);
    expect(within(rows[0]!).getByRole('rowheader').textContent).toBe('lobby-01');
    expect(rows[1]!.textContent).toContain('応答なし');
    expect(rows[0]!.textContent).toContain('2026-12-07 09:35:03');
    expect(rows[0]!.textContent).toContain('7 秒前');
    expect(rows[0]!.textContent).toContain('12.3 GB');
    expect(rows[1]!.textContent).toContain('4 件（再試行中）');
    expect(screen.getByRole('region', { name: JA.terminals.scrollRegion }).tabIndex).toBe(0);
    expect(screen.getByRole('banner').textContent).toContain('it-staff');

    const alerts = screen.getByRole('region', { name: '未解決の警告' });
    const items = within(alerts).getAllByRole('listitem');
    expect(items.map((item) => item.getAttribute('data-alert-kind'))).toEqual(['chain-gap']);
    expect(within(items[0]!).getByRole('heading', { level: 3 }).textContent).toContain('重大');
    expect(items[0]!.querySelector('.alert__seq')?.textContent).toBe('1042');
    expect(items[0]!.textContent).toContain('lobby-02');
    expect(items[0]!.textContent).toContain('2026-12-07 09:20:00');

    const totals = screen.getByRole('region', { name: '本日の集計' });
    expect(totals.querySelector('[data-figure="handOffs"] dd')?.textContent).toBe('4');
    expect(totals.querySelector('[data-reason="pin-blocked"] dt')?.textContent).toBe('暗証番号のロック');
    expect(totals.querySelector('[data-reason="some-new-reason"] dt')?.textContent).toBe('some-new-reason');

    expect(screen.getByRole('img', { name: '時間帯別の更新件数' })).toBeTruthy();
    const hourly = screen.getByRole('table', { name: '時間帯別の更新件数（表）' });
    expect(within(hourly).getAllByRole('row')).toHaveLength(25);
    expect(within(hourly).getByRole('row', { name: /^9 時台/ }).textContent).toBe('9 時台42');
  });

  it('closes an alert with a guarded POST, then shows the list without it', async () => {
    render(<App />);
    await signIn();
    const alerts = await screen.findByRole('region', { name: '未解決の警告' });
    fireEvent.click(within(alerts).getByRole('button', { name: /^対応済みにする/ }));

    await waitFor(() => expect(within(alerts).queryAllByRole('listitem')).toHaveLength(0));
    expect(within(alerts).getByText(JA.alerts.none)).toBeTruthy();
    expect(service.fetch).toHaveBeenCalledWith('/api/alerts/7/close', expect.objectContaining({ method: 'POST', body: '{}' }));

    const posts = service.fetch.mock.calls.filter(([, init]) => init?.method === 'POST');
    expect(posts.map(([path]) => path)).toEqual(['/api/sign-in', '/api/alerts/7/close']);
    for (const [, init] of posts) {
      const headers = new Headers(init?.headers);
      expect(headers.get('x-myna-dashboard')).toBe('1');
      expect(headers.get('content-type')).toBe('application/json');
    }
  });

  it('switches every heading to English and back', async () => {
    render(<App />);
    await signIn();
    await screen.findByRole('table', { name: '端末' });

    fireEvent.click(screen.getByRole('button', { name: 'English' }));
    expect(await screen.findByRole('heading', { level: 1, name: EN.title })).toBeTruthy();
    expect(screen.getByRole('heading', { level: 2, name: 'Open alerts' })).toBeTruthy();
    expect(screen.getByRole('heading', { level: 2, name: "Today's totals" })).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Renewals by hour' })).toBeTruthy();
    expect(screen.getByRole('table', { name: 'Terminals' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'English' }).getAttribute('aria-pressed')).toBe('true');
    expect(document.documentElement.lang).toBe('en');
    expect(document.title).toBe(EN.title);
    expect(terminalRows(screen.getByRole('table', { name: 'Terminals' }))[1]!.textContent).toContain('Stale');

    fireEvent.click(screen.getByRole('button', { name: '日本語' }));
    expect(await screen.findByRole('heading', { level: 2, name: '未解決の警告' })).toBeTruthy();
    expect(document.documentElement.lang).toBe('ja');
  });

  it('keeps the last data when a refresh fails, and goes back to sign-in with a message when the session has expired', async () => {
    render(<App />);
    await signIn();
    await screen.findByRole('table', { name: '端末' });

    service.state.overviewStatus = 500;
    fireEvent.click(screen.getByRole('button', { name: '再読み込み' }));
    expect(await screen.findByText(/の再読み込みに失敗しました/)).toBeTruthy();
    expect(terminalRows(screen.getByRole('table', { name: '端末' }))).toHaveLength(3);

    service.state.overviewStatus = undefined;
    service.state.signedIn = false;
    fireEvent.click(screen.getByRole('button', { name: '再読み込み' }));
    expect(await screen.findByText(JA.signIn.problem['signed-out'])).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'アカウント' })).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  it('signs out with a guarded POST and leaves the passcode nowhere', async () => {
    render(<App />);
    await signIn();
    await screen.findByRole('table', { name: '端末' });
    fireEvent.click(screen.getByRole('button', { name: 'サインアウト' }));
    expect(await screen.findByText(JA.signIn.goodbye)).toBeTruthy();
    const signOut = service.fetch.mock.calls.find(([path]) => path === '/api/sign-out');
    expect(new Headers(signOut?.[1]?.headers).get('x-myna-dashboard')).toBe('1');

    expect(JSON.stringify({ ...localStorage })).not.toContain(PASSCODE);
    expect(JSON.stringify({ ...sessionStorage })).not.toContain(PASSCODE);
    expect(location.href).not.toContain(encodeURIComponent(PASSCODE));
    expect(document.body.innerHTML).not.toContain(PASSCODE);
    // The one place the passcode went: the sign-in request's body.
    const carriers = service.fetch.mock.calls.filter(([, init]) => String(init?.body ?? '').includes(PASSCODE));
    expect(carriers.map(([path]) => path)).toEqual(['/api/sign-in']);
  });
});

describe('the dashboard strings and formats', () => {
  type Tree = { [key: string]: string | Tree };
  const keys = (tree: Tree, prefix = ''): string[] =>
    Object.entries(tree).flatMap(([key, value]) => (typeof value === 'object' ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`]));

  it('has the same keys in Japanese and English, and every key the page asks for by name', () => {
    expect(keys(EN).sort()).toEqual(keys(JA).sort());
    const sources = readdirSync(DASHBOARD, { recursive: true, encoding: 'utf8' }).filter((name) => /\.tsx?$/.test(name));
    const asked = sources.flatMap((name) =>
      [...readFileSync(join(DASHBOARD, name), 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.-]+)'/g)].map((match) => match[1]!),
    );
    expect(asked.length).toBeGreaterThan(20);
    expect([...new Set(asked)].filter((key) => !keys(JA).includes(key))).toEqual([]);
  });

  it('writes instants in Japan time and durations from the server clock', () => {
    expect(japanTime('2026-12-06T15:05:03Z')).toBe('2026-12-07 00:05:03');
    expect(timeAgo('2026-12-07T00:35:03Z', '2026-12-07T00:35:10Z', 'en')).toBe('7 sec. ago');
    expect(timeAgo('2026-12-07T00:20:00Z', '2026-12-07T00:35:10Z', 'ja')).toBe('15 分前');
  });
});
