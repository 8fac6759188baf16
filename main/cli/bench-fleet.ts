import { createHash, randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { existsSync } from 'node:fs';
import type { Browser } from '@playwright/test';
import type { Overview } from '../../preload/dashboard-contract';
import type { SessionEnd } from '../../preload/vocabulary';
import type { Logger } from '../base/log';
import { RENEWAL_STEPS, type AuditEventInput, type HAND_OFF_REASONS } from '../domain/audit-record';
import { japanInstant, type JapanDate } from '../domain/japan-calendar';
import { FleetReporter, freeDiskBytes, kioskVersion, type FleetChannel } from '../kiosk/fleet-reporter';
import { AuditChain } from '../store/audit';
import { StaffSignInLimits } from '../store/staff-sign-in-limits';
import { AuditOutbox } from '../store/audit-outbox';
import { openKioskDatabase, type KioskDatabase } from '../store/database';
import { RenewalJournal } from '../store/journal';
import type { TerminalRecords } from '../store/terminal-records';
import { CHROMIUM_FLAGS, loadPlaywright, median } from './bench-ui';

/**
 * The fleet half of `bench service` (docs/performance.md, "Fleet reporting
 * and the dashboard"): the terminals' records with a clock the benchmark
 * moves, their reporters, a day of plausible sessions in the audit
 * vocabulary, and the dashboard timed in Chromium and over plain HTTPS.
 */

// ---------------------------------------------------------------------------
// A terminal's records with a clock of the benchmark's

/** Where the records' clock stands: undefined = this machine's clock. */
export interface BenchClock {
  at: number | undefined;
}

export interface FleetTerminalRecords extends TerminalRecords {
  /** Runs `work` in one transaction: a day of rows is written with one fsync, not one per row (set-up, not timed). */
  inOneTransaction<T>(work: () => T): T;
}

/** A kiosk's records as openTerminalRecords composes them (one SQLite file), read on the benchmark's clock. */
export function openFleetTerminalRecords(terminalId: string, dbPath: string, clock: BenchClock): FleetTerminalRecords {
  const db: KioskDatabase = openKioskDatabase(dbPath);
  const now = () => new Date(clock.at ?? Date.now());
  const audit = new AuditChain(db, { terminalId, now });
  return {
    journal: new RenewalJournal(db, { audit, now }),
    audit,
    outbox: new AuditOutbox(db, audit),
    signInLimits: new StaffSignInLimits(db),
    path: dbPath,
    inOneTransaction: (work) => db.transaction(work)(),
    close: () => db.close(),
  };
}

/**
 * A deployed terminal's reporter (startFleetReporter's options): delivering every DEFAULT_SHIP_POLL_MS and when
 * told (a session's end), heartbeat every `heartbeatSeconds`.
 */
export function benchReporter(options: {
  channel: FleetChannel;
  records: TerminalRecords;
  dataDir: string;
  heartbeatSeconds: number;
  log: Logger;
  /** Whether the terminal is in the middle of a renewal (what its kiosk's health would say). */
  sessionInProgress?: () => boolean;
}): FleetReporter {
  return new FleetReporter({
    channel: options.channel,
    outbox: options.records.outbox,
    audit: options.records.audit,
    health: () => ({
      profile: 'lobby',
      reader: 'waiting_for_card',
      printer: 'ready',
      sessionInProgress: options.sessionInProgress?.() ?? false,
      lastSessionEnd: null,
    }),
    appVersion: kioskVersion(),
    configFingerprint: createHash('sha256').update('bench-service terminal config').digest('hex'),
    freeDisk: () => freeDiskBytes(options.dataDir),
    log: options.log,
    heartbeatMs: options.heartbeatSeconds * 1000,
  });
}

/**
 * Each fleet call's CPU at the service on its own, the service otherwise
 * idle: `rounds` heartbeats from every terminal at once, then `rounds`
 * deliveries of `rowsPerBatch` fresh rows from every terminal at once (the
 * size phase B's deliveries had on average). `cpu` reads the service's CPU.
 */
export async function isolatedCallCosts(
  terminals: readonly { reporter: FleetReporter; records: TerminalRecords }[],
  options: { rounds: number; rowsPerBatch: number; cpu: () => number | undefined },
) {
  const before = options.cpu();
  let heartbeats = 0;
  for (let round = 0; round < options.rounds; round++)
    heartbeats += (await Promise.all(terminals.map(({ reporter }) => reporter.sendHeartbeat()))).filter(Boolean).length;
  const between = options.cpu();
  let batches = 0;
  let rows = 0;
  for (let round = 0; round < options.rounds; round++) {
    for (const { records } of terminals) {
      const renewalId = randomUUID();
      for (let row = 0; row < options.rowsPerBatch; row++)
        records.audit.append({
          event: 'renewal-step',
          renewalId,
          detail: { step: RENEWAL_STEPS[row % RENEWAL_STEPS.length]!, state: 'started' },
        });
    }
    const taken = await Promise.all(terminals.map(({ reporter }) => reporter.ship()));
    batches += taken.filter((n) => n > 0).length;
    rows += taken.reduce((sum, n) => sum + n, 0);
  }
  const after = options.cpu();
  const perCall = (from: number | undefined, to: number | undefined, calls: number) =>
    from !== undefined && to !== undefined && calls > 0 ? (to - from) / calls : null;
  return {
    heartbeats,
    perHeartbeatMs: perCall(before, between, heartbeats),
    batches,
    rows,
    perBatchMs: perCall(between, after, batches),
  };
}

/**
 * Ships until the outbox is empty: a delivery that timed out under load is
 * tried again (at most `attempts` passes), as the reporter itself would on
 * its next poll. Returns the passes it took.
 */
export async function shipAll(reporter: FleetReporter, records: TerminalRecords, attempts = 5): Promise<number> {
  let passes = 0;
  while (records.outbox.backlog() > 0 && passes < attempts) {
    passes++;
    await reporter.ship();
    if (reporter.state === 'conflict') break;
  }
  return passes;
}

// ---------------------------------------------------------------------------
// A day of sessions

/** A small seeded generator (mulberry32): the same day for the same terminal in every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Event = Omit<AuditEventInput, 'sessionId' | 'card'>;

/** How a lobby terminal's sessions end, by weight (most renew; the rest are the reasons docs/domain.md names). */
const ENDINGS: readonly (readonly [SessionEnd, number])[] = [
  ['renewed', 70],
  ['handed-off', 12],
  ['not-eligible', 7],
  ['cancelled', 5],
  ['timed-out', 3],
  ['card-removed', 2],
  ['error', 1],
];
const HAND_OFFS: readonly (readonly [(typeof HAND_OFF_REASONS)[number], number])[] = [
  ['pin-forgotten', 30],
  ['pin-blocked', 15],
  ['face-authentication-card', 15],
  ['period-of-stay', 10],
  ['help-requested', 15],
  ['gateway-failure', 5],
  ['new-card-route', 10],
];
const REFERENCE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function pick<T>(random: () => number, weighted: readonly (readonly [T, number])[]): T {
  let left = random() * weighted.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of weighted) if ((left -= weight) < 0) return value;
  return weighted.at(-1)![0];
}

/**
 * One session's events, in the order SessionRunner writes them (session
 * started, card read, eligibility, PINs, the renewal and its twenty steps,
 * hand-off, session ended), each with its gap in seconds from the one before.
 */
function sessionEvents(random: () => number, end: SessionEnd): { event: Event; gapSeconds: number; renewal?: true }[] {
  const events: { event: Event; gapSeconds: number; renewal?: true }[] = [];
  const add = (event: Event, gapSeconds: number, renewal?: true) => events.push({ event, gapSeconds, ...(renewal ? { renewal } : {}) });
  const reference = Array.from({ length: 9 }, (_, index) =>
    index === 4 ? '-' : REFERENCE_LETTERS[Math.floor(random() * REFERENCE_LETTERS.length)],
  ).join('');
  const signature = random() < 0.85;
  const certificates = signature ? 'both' : 'authentication-only';
  const serial = () => Array.from({ length: 16 }, () => '0123456789ABCDEF'[Math.floor(random() * 16)]).join('');
  const seconds = (low: number, high: number) => Math.round(low + random() * (high - low));
  const handOff = end === 'handed-off' ? pick(random, HAND_OFFS) : undefined;

  add({ event: 'session-started', detail: { profile: 'lobby', reference } }, 0);
  if (end === 'card-removed') {
    add({ event: 'card-read', detail: { kind: 'my-number', signatureCertificate: signature } }, seconds(5, 20));
    add({ event: 'card-removed', detail: { midRenewal: false } }, seconds(5, 30));
    add({ event: 'session-ended', detail: { outcome: end } }, 1);
    return events;
  }
  const kind = handOff === 'face-authentication-card' ? 'face-auth' : handOff === 'new-card-route' ? 'juki' : 'my-number';
  add({ event: 'card-read', detail: { kind, signatureCertificate: kind === 'my-number' && signature } }, seconds(5, 20));
  if (end === 'not-eligible' || end === 'error' || handOff === 'face-authentication-card' || handOff === 'new-card-route') {
    const decision =
      end === 'error' ? 'not-usable' : handOff === 'new-card-route' ? 'new-card-route' : handOff ? 'hand-off' : 'not-yet-in-window';
    add({ event: 'eligibility-decided', detail: { decision } }, 1);
  } else if (handOff === 'period-of-stay') {
    add({ event: 'eligibility-decided', detail: { decision: 'hand-off' } }, 1);
  } else {
    add({ event: 'eligibility-decided', detail: { decision: 'renewable', certificates } }, 1);
    if (handOff === 'pin-forgotten' || handOff === 'pin-blocked') {
      for (let tries = 2; tries >= (handOff === 'pin-blocked' ? 0 : 1); tries--)
        add({ event: 'pin-wrong', detail: { credential: 'authentication-pin', triesLeft: tries } }, seconds(10, 30));
      if (handOff === 'pin-blocked') add({ event: 'pin-blocked', detail: { credential: 'authentication-pin' } }, 1);
    } else if (end === 'cancelled' || end === 'timed-out' || handOff === 'help-requested') {
      add({ event: 'pin-verified', detail: { credential: 'registry-pin' } }, seconds(15, 40));
    } else {
      add({ event: 'pin-verified', detail: { credential: 'registry-pin' } }, seconds(15, 40));
      if (random() < 0.1) add({ event: 'pin-wrong', detail: { credential: 'authentication-pin', triesLeft: 2 } }, seconds(10, 25));
      add({ event: 'pin-verified', detail: { credential: 'authentication-pin' } }, seconds(10, 25));
      if (signature) add({ event: 'pin-verified', detail: { credential: 'signature-password' } }, seconds(15, 40));
      add({ event: 'renewal-started', detail: { route: 'in-person' } }, seconds(5, 15), true);
      // The gateway failing part-way: the renewal is abandoned after a few steps, and the resident goes to the counter.
      const steps = handOff === 'gateway-failure' ? RENEWAL_STEPS.slice(0, 3) : RENEWAL_STEPS;
      for (const step of steps) {
        add({ event: 'renewal-step', detail: { step, state: 'started' } }, 0, true);
        add({ event: 'renewal-step', detail: { step, state: 'finished' } }, seconds(0, 2), true);
      }
      if (handOff === 'gateway-failure')
        add({ event: 'renewal-abandoned', detail: { reason: 'gateway-unavailable', lastStep: steps.at(-1)! } }, seconds(10, 30), true);
      else
        add(
          {
            event: 'renewal-done',
            detail: { certificates, newAuthenticationSerial: serial(), ...(signature ? { newSignatureSerial: serial() } : {}) },
          },
          1,
          true,
        );
    }
  }
  if (handOff) add({ event: 'hand-off', detail: { reason: handOff, slip: true } }, seconds(5, 15));
  const wait = end === 'timed-out' ? 120 : end === 'renewed' ? seconds(10, 30) : seconds(5, 20);
  add({ event: 'session-ended', detail: { outcome: end } }, wait);
  return events;
}

export interface DayWritten {
  sessions: number;
  rows: number;
  endings: Partial<Record<SessionEnd, number>>;
}

/**
 * A day at one terminal: `sessions` sessions spread over 08:30–17:15 Japan
 * time on `day`, each a sequence of audit events as the kiosk writes them,
 * appended to the terminal's own chain with the clock moved to each event's
 * moment (then given back to this machine's).
 */
export function writeDay(
  records: FleetTerminalRecords,
  clock: BenchClock,
  options: { day: JapanDate; sessions: number; seed: number },
): DayWritten {
  const random = generator(options.seed);
  const opens = japanInstant(options.day, '08:30').getTime();
  const closes = japanInstant(options.day, '17:15').getTime();
  const slot = (closes - opens) / options.sessions;
  const written: DayWritten = { sessions: options.sessions, rows: 0, endings: {} };
  try {
    records.inOneTransaction(() => {
      for (let index = 0; index < options.sessions; index++) {
        const end = pick(random, ENDINGS);
        const events = sessionEvents(random, end);
        // A session starts somewhere in the first half of its slot, so it ends before the next one starts.
        let at = Math.round(opens + index * slot + random() * slot * 0.4);
        const sessionId = randomUUID();
        const renewalId = randomUUID();
        let serial: string | undefined;
        for (const { event, gapSeconds, renewal } of events) {
          at += gapSeconds * 1000 + Math.floor(random() * 1000);
          clock.at = Math.min(at, closes);
          const card = serial ? { card: { authenticationSerial: serial } } : {};
          records.audit.append({ ...event, sessionId, ...card, ...(renewal ? { renewalId } : {}) } as AuditEventInput);
          // After the card is read, every row of the session names its authentication certificate (as SessionRunner's do).
          if (event.event === 'card-read' && (event.detail as { kind?: string }).kind === 'my-number')
            serial = sessionId.replaceAll('-', '').slice(0, 16).toUpperCase();
          written.rows++;
        }
        written.endings[end] = (written.endings[end] ?? 0) + 1;
      }
    });
  } finally {
    clock.at = undefined;
  }
  return written;
}

// ---------------------------------------------------------------------------
// The dashboard over plain HTTPS

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** One request to the dashboard's listener, trusting only the service's CA; the time is to the answer's last byte. */
export function dashboardCall(
  url: string,
  ca: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = httpsRequest(url, { method: options.method ?? 'GET', headers: options.headers, ca, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
        }),
      );
      response.on('error', reject);
    });
    request.setTimeout(60_000, () => request.destroy(new Error(`no answer from ${new URL(url).pathname} within 60 s`)));
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Signs in as the page does (JSON, the CSRF header); returns the session cookie and the answer's time. */
export async function signInOverHttps(dashboard: string, ca: string, account: string, passcode: string) {
  const answer = await dashboardCall(`${dashboard}/api/sign-in`, ca, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-myna-dashboard': '1' },
    body: JSON.stringify({ account, passcode }),
  });
  if (answer.status !== 200) throw new Error(`the dashboard refused the benchmark's account (${answer.status})`);
  const setCookie = answer.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
  if (!cookie) throw new Error('the dashboard signed in without a session cookie');
  return { cookie, ms: answer.ms };
}

/** `GET /api/overview` `requests` times, one after another; the last answer parsed. */
export async function timeOverview(dashboard: string, ca: string, cookie: string, requests: number) {
  const times: number[] = [];
  let last: Answer | undefined;
  for (let index = 0; index < requests; index++) {
    last = await dashboardCall(`${dashboard}/api/overview`, ca, { headers: { cookie, accept: 'application/json' } });
    if (last.status !== 200) throw new Error(`GET /api/overview answered ${last.status}`);
    times.push(last.ms);
  }
  return { times, bytes: Buffer.byteLength(last!.body), overview: JSON.parse(last!.body) as Overview };
}

// ---------------------------------------------------------------------------
// The dashboard in Chromium

/**
 * Runs in every page of a measuring context, on each animation frame: tells
 * the benchmark (page clock, ms since navigation began) when the sign-in
 * form is laid out with both fields and its button enabled, when its button
 * is clicked, and when the terminals table has laid out `expected` rows.
 * Plain script text, given as an init script (the page's CSP allows it).
 */
function dashboardWatch(expected: number): string {
  return `
(() => {
  const expected = ${Number(expected)};
  const report = (what) => {
    if (typeof window.__mynaBenchDashboard === 'function') window.__mynaBenchDashboard(what, performance.now());
  };
  const laidOut = (element) => element !== null && element !== undefined && element.getClientRects().length > 0;
  let formReady = false;
  let clicked = false;
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('form.sign-in button[type="submit"]') : null;
    if (button && !clicked) {
      clicked = true;
      report('click');
    }
  }, true);
  const check = () => {
    if (!formReady) {
      const form = document.querySelector('form.sign-in');
      const fields = form ? [...form.querySelectorAll('input[name="account"], input[name="passcode"]')] : [];
      const button = form ? form.querySelector('button[type="submit"]') : null;
      if (fields.length === 2 && fields.every((field) => laidOut(field) && !field.disabled) && laidOut(button) && !button.disabled) {
        formReady = true;
        report('form');
      }
    }
    if (clicked) {
      const rows = document.querySelectorAll('table.terminals tbody tr[data-terminal-id]');
      if (rows.length >= expected && laidOut(rows[rows.length - 1])) {
        report('rows');
        return;
      }
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
`;
}

/** Generous: a 2-core machine running other work must still finish; a wait that runs out means "could not measure". */
const STEP_TIMEOUT_MS = 60_000;

export interface DashboardRun {
  /** Navigation start to the sign-in form laid out and enabled (this process's clock). */
  signInFormMs: number;
  /** The same on the page's clock. */
  signInFormPageMs: number;
  /** The sign-in click to the terminals table with every terminal's row laid out (the page's clock). */
  tableMs: number;
  /** The same, from just before Playwright's click to the page's word arriving here. */
  tableOutsideMs: number;
  /** Within `tableMs`, from the page's Resource Timing: the sign-in POST, then the overview GET, then drawing what came. */
  signInRequestMs: number | null;
  overviewRequestMs: number | null;
  drawnAfterOverviewMs: number | null;
}

interface ApiTiming {
  path: string;
  startMs: number;
  ms: number;
}

/** The page's own timing of its API calls (Resource Timing), as plain script text for page.evaluate. */
const API_TIMINGS = `performance.getEntriesByType('resource')
  .filter((entry) => new URL(entry.name).pathname.startsWith('/api/'))
  .map((entry) => ({ path: new URL(entry.name).pathname, startMs: entry.startTime, ms: entry.duration }))`;

export type DashboardMeasurement = { skipped: string } | { chromium: string; runs: DashboardRun[]; scriptsFetched: string[] };

/** `runs` times, each in a new browser context (empty cache, no cookie): open, sign in, wait for every terminal's row. */
export async function measureDashboardInChromium(options: {
  dashboard: string;
  account: string;
  passcode: string;
  terminals: number;
  runs: number;
}): Promise<DashboardMeasurement> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return { skipped: `no Chromium at ${executablePath} (install Debian's chromium or set CHROMIUM_PATH)` };
  const { chromium } = await loadPlaywright();
  const browser: Browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
  try {
    const runs: DashboardRun[] = [];
    let scriptsFetched: string[] = [];
    for (let run = 0; run < options.runs; run++) {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      try {
        const seen = new Map<string, { pageMs: number; atMs: number }>();
        const waiting = new Map<string, () => void>();
        await context.exposeBinding('__mynaBenchDashboard', (_source, what: string, pageMs: number) => {
          seen.set(what, { pageMs, atMs: performance.now() });
          waiting.get(what)?.();
        });
        await context.addInitScript({ content: dashboardWatch(options.terminals) });
        const moment = (what: string) =>
          seen.get(what) ??
          new Promise<{ pageMs: number; atMs: number }>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`the dashboard did not reach "${what}" within ${STEP_TIMEOUT_MS} ms`)),
              STEP_TIMEOUT_MS,
            );
            waiting.set(what, () => {
              clearTimeout(timer);
              resolve(seen.get(what)!);
            });
          });
        const page = await context.newPage();
        const scripts: string[] = [];
        page.on('request', (request) => {
          if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
        });
        const started = performance.now();
        await page.goto(`${options.dashboard}/`, { waitUntil: 'commit', timeout: STEP_TIMEOUT_MS });
        const form = await moment('form');
        // As a person (and the end-to-end tests) find the form: by its labels, in Japanese, the dashboard's default.
        await page.getByLabel('アカウント', { exact: true }).fill(options.account, { timeout: STEP_TIMEOUT_MS });
        await page.getByLabel('パスコード', { exact: true }).fill(options.passcode, { timeout: STEP_TIMEOUT_MS });
        const clicking = performance.now();
        await page.getByRole('button', { name: 'サインイン', exact: true }).click({ timeout: STEP_TIMEOUT_MS });
        const click = await moment('click');
        const rows = await moment('rows');
        const shown = await page.getByRole('table', { name: '端末', exact: true }).locator('tr[data-terminal-id]').count();
        if (shown !== options.terminals)
          throw new Error(`the terminals table showed ${shown} rows, not the ${options.terminals} terminals enrolled`);
        const api = ((await page.evaluate(API_TIMINGS)) as ApiTiming[]).filter((entry) => entry.startMs >= click.pageMs);
        const signIn = api.find((entry) => entry.path === '/api/sign-in');
        const overview = api.find((entry) => entry.path === '/api/overview');
        runs.push({
          signInFormMs: round(form.atMs - started),
          signInFormPageMs: round(form.pageMs),
          tableMs: round(rows.pageMs - click.pageMs),
          tableOutsideMs: round(rows.atMs - clicking),
          signInRequestMs: signIn ? round(signIn.ms) : null,
          overviewRequestMs: overview ? round(overview.ms) : null,
          drawnAfterOverviewMs: overview ? round(rows.pageMs - (overview.startMs + overview.ms)) : null,
        });
        if (run === 0) scriptsFetched = scripts;
      } finally {
        await context.close();
      }
    }
    return { chromium: `${executablePath} ${browser.version()}`, runs, scriptsFetched };
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------------------

export interface Spread {
  count: number;
  medianMs: number;
  maxMs: number;
  timesMs: number[];
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    medianMs: sorted.length ? round(median(sorted)) : 0,
    maxMs: sorted.length ? round(sorted.at(-1)!) : 0,
    timesMs: values.map((value) => round(value)),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
