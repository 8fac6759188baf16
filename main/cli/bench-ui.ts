import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { constants, gzipSync } from 'node:zlib';
import type { Browser } from '@playwright/test';
import { LANGUAGES, type Language } from '../../preload/contract';
import { loadPersona, resolvePersona } from '../simulation/personas';
import { createLogger } from '../base/log';
import { nextWeekdayAt } from '../domain/japan-calendar';
import { startWebHost, type WebHost } from '../web-host/web-host';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk bench ui [--json] [--runs 10]`
 *
 * Measures what the resident's side costs: the renderer's initial JavaScript
 * (gzipped), the time from navigation to an interactive attract screen in
 * Chromium, and the taps of a standard renewal. It serves the built renderer
 * (out/renderer) from an in-process web host, as `web-host-cli` does, and
 * drives Debian's Chromium through Playwright. A script that measures, not
 * a test: it prints what it saw, with the aims beside the figures, and exits
 * 0 whenever it could measure.
 */

const PERSONA = 'standard-in-window';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Generous: a 2-core machine running other work must still finish, and a wait that runs out means "could not measure". */
const STEP_TIMEOUT_MS = 30_000;

export const AIMS = {
  /** 250 kB in bytes (1 kB = 1,000 bytes; the stricter reading of "KB"). */
  initialJsGzipBytes: 250_000,
  interactiveMedianMs: 1000,
  taps: 6,
} as const;

interface JsFile {
  file: string;
  bytes: number;
  gzipBytes: number;
  gzip9Bytes: number;
}

type Timing = { medianMs: number; minMs: number; maxMs: number };

export interface UiBenchmark {
  rendererRoot: string;
  initialJs: { files: JsFile[]; bytes: number; gzipBytes: number; gzip9Bytes: number; aimGzipBytes: number; met: boolean };
  allJs: { files: number; bytes: number; gzipBytes: number };
  languageChunks: Array<{ language: Language } & JsFile>;
  interactive: {
    runs: number;
    medianMs: number;
    minMs: number;
    maxMs: number;
    timesMs: number[];
    /** The same moment on the page's own clock (from the start of its navigation), and its DOMContentLoaded. */
    pageClock: Timing;
    domContentLoaded: Timing;
    /** The scripts the page fetched before it was interactive (first run), to compare with the initial JS above. */
    scriptsFetched: string[];
    aimMedianMs: number;
    met: boolean;
  };
  taps: {
    persona: string;
    language: 'en';
    count: number;
    tapped: string[];
    excluded: { pinCharacters: number; trainer: string[]; note: string };
    aim: number;
    met: boolean;
  };
  chromium: string;
  /** The machine's 1-minute load average before and after: other work on it shows in the timings. */
  loadAverage: { before: number; after: number };
}

export async function runBenchUi(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false }, runs: { type: 'string', default: '10' } },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a whole number ≥ 1 (got "${values.runs}")`);

  const rendererRoot = fileURLToPath(new URL('../renderer', import.meta.url));
  if (!existsSync(join(rendererRoot, 'index.html')))
    throw new Error(`the renderer is not built (${rendererRoot}/index.html is missing): run "npm run build"`);
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath}: install Debian's chromium or set CHROMIUM_PATH`);

  const loadBefore = loadavg()[0]!;
  const bundle = measureBundle(rendererRoot);
  const { chromium } = await loadPlaywright();

  const simDir = mkdtempSync(join(tmpdir(), 'myna-kiosk-bench-ui-'));
  // The host's warnings explain a failed run; on success nobody needs them.
  const hostLog: string[] = [];
  let host: WebHost | undefined;
  let browser: Browser | undefined;
  try {
    host = await startWebHost({
      rendererRoot,
      profile: 'demo',
      log: createLogger((line) => hostLog.push(line), 'warn'),
      simDir: join(simDir, 'sim'),
      // A weekday morning in Japan: the issuing service is open whatever the hour the bench runs at.
      startAt: nextWeekdayAt('10:00'),
    });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
    const interactive = await measureInteractive(browser, host.url, runs);
    const taps = await countRenewalTaps(browser, host.url);
    const result: UiBenchmark = {
      rendererRoot,
      ...bundle,
      interactive: { ...interactive, aimMedianMs: AIMS.interactiveMedianMs, met: interactive.medianMs < AIMS.interactiveMedianMs },
      taps: { ...taps, aim: AIMS.taps, met: taps.count <= AIMS.taps },
      chromium: `${executablePath} ${browser.version()}`,
      loadAverage: { before: round(loadBefore), after: round(loadavg()[0]!) },
    };
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
  } catch (error) {
    const warnings = hostLog.filter((line) => /"level":"(warn|error)"/.test(line));
    if (warnings.length > 0) (error as Error).message += `\nweb host log:\n${warnings.join('\n')}`;
    throw error;
  } finally {
    await browser?.close();
    await host?.close();
    rmSync(simDir, { recursive: true, force: true });
  }
  return 0;
}

// ---------------------------------------------------------------------------
// 1. The renderer's JavaScript

/**
 * The scripts a browser loads before anything else: the module scripts of
 * index.html and its modulepreload links, as paths relative to the page's
 * folder, in document order and without repeats. Comments are ignored; an
 * absolute or remote address is refused (the kiosk loads only its own files).
 */
export function initialScripts(html: string): string[] {
  const found: string[] = [];
  const withoutComments = html.replace(/<!--[\s\S]*?-->/g, '');
  for (const tag of withoutComments.matchAll(/<(script|link)\b([^>]*)>/gi)) {
    const attributes = parseAttributes(tag[2]!);
    const isModuleScript =
      tag[1]!.toLowerCase() === 'script' && attributes.get('type')?.toLowerCase() === 'module' && attributes.has('src');
    const isModulePreload =
      tag[1]!.toLowerCase() === 'link' &&
      (attributes.get('rel') ?? '').toLowerCase().split(/\s+/).includes('modulepreload') &&
      attributes.has('href');
    if (!isModuleScript && !isModulePreload) continue;
    const address = (isModuleScript ? attributes.get('src') : attributes.get('href'))!;
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(address)) throw new Error(`index.html loads a script from outside the renderer: ${address}`);
    const path = posix.normalize(address.replace(/^\/+/, '').split(/[?#]/)[0]!);
    if (path.startsWith('../')) throw new Error(`index.html loads a script from outside the renderer: ${address}`);
    if (!found.includes(path)) found.push(path);
  }
  return found;
}

function parseAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const match of text.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    attributes.set(match[1]!.toLowerCase(), match[2] ?? match[3] ?? match[4] ?? '');
  }
  return attributes;
}

/**
 * The language of a per-language chunk (`en-nxWwlsYi.js`, `ja-x-easy-C_l51Tkr.js`:
 * the locale file's name, a dash and Vite's 8-character hash), or undefined.
 */
export function languageOfChunk(fileName: string): Language | undefined {
  const match = /^(.+)-[A-Za-z0-9_-]{8}\.js$/.exec(fileName);
  return (LANGUAGES as readonly string[]).includes(match?.[1] ?? '') ? (match![1] as Language) : undefined;
}

function measureBundle(rendererRoot: string): Pick<UiBenchmark, 'initialJs' | 'allJs' | 'languageChunks'> {
  const sizes = (file: string): JsFile => {
    const body = readFileSync(join(rendererRoot, file));
    return {
      file,
      bytes: body.length,
      gzipBytes: gzipSync(body).length,
      gzip9Bytes: gzipSync(body, { level: constants.Z_BEST_COMPRESSION }).length,
    };
  };
  const sum = (files: JsFile[], key: 'bytes' | 'gzipBytes' | 'gzip9Bytes') => files.reduce((total, file) => total + file[key], 0);

  const initial = initialScripts(readFileSync(join(rendererRoot, 'index.html'), 'utf8')).map(sizes);
  if (initial.length === 0) throw new Error(`${rendererRoot}/index.html has no module script`);
  const all = (readdirSync(join(rendererRoot, 'assets'), { recursive: true }) as string[])
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file) => sizes(posix.join('assets', file.split('\\').join('/'))));
  const languageChunks = all.flatMap((file) => {
    const language = languageOfChunk(posix.basename(file.file));
    return language ? [{ language, ...file }] : [];
  });
  const initialGzip = sum(initial, 'gzipBytes');
  return {
    initialJs: {
      files: initial,
      bytes: sum(initial, 'bytes'),
      gzipBytes: initialGzip,
      gzip9Bytes: sum(initial, 'gzip9Bytes'),
      aimGzipBytes: AIMS.initialJsGzipBytes,
      met: initialGzip <= AIMS.initialJsGzipBytes,
    },
    allJs: { files: all.length, bytes: sum(all, 'bytes'), gzipBytes: sum(all, 'gzipBytes') },
    languageChunks,
  };
}

// ---------------------------------------------------------------------------
// 2. Navigation to an interactive attract screen

/**
 * Runs in every page of a measuring context: on each animation frame, until
 * the attract heading and the reader's "waiting for a card" are both laid
 * out, then tells the benchmark with the page's own clock (ms since its
 * navigation began). Plain script text, given to the page as an init script
 * (which the page's CSP allows, unlike evaluating strings in it).
 */
const ATTRACT_WATCH = `
(() => {
  const laidOut = (element) => element !== null && element.getClientRects().length > 0;
  const check = () => {
    const title = document.querySelector('main[data-screen="attract"] h1');
    const ready = laidOut(title) && laidOut(document.querySelector('[data-reader-state="waiting_for_card"]'));
    if (ready && typeof window.__mynaBenchAttractReady === 'function') window.__mynaBenchAttractReady(performance.now());
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
`;

async function measureInteractive(browser: Browser, url: string, runs: number) {
  const times: number[] = [];
  const pageTimes: number[] = [];
  const domContentLoaded: number[] = [];
  let scriptsFetched: string[] = [];
  for (let run = 0; run < runs; run++) {
    // A new context each time: an empty cache, as after the kiosk starts.
    const context = await browser.newContext();
    try {
      let arrived: (pageMs: number) => void = () => {};
      const ready = new Promise<{ atMs: number; pageMs: number }>((resolve, reject) => {
        arrived = (pageMs) => resolve({ atMs: performance.now(), pageMs });
        setTimeout(() => reject(new Error(`the attract screen was not interactive after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS).unref();
      });
      // A run that fails before it waits must not leave an unhandled rejection behind.
      ready.catch(() => {});
      await context.exposeBinding('__mynaBenchAttractReady', (_source, pageMs: number) => arrived(pageMs));
      await context.addInitScript({ content: ATTRACT_WATCH });
      const page = await context.newPage();
      const scripts: string[] = [];
      page.on('request', (request) => {
        if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
      });
      const started = performance.now();
      await page.goto(url, { waitUntil: 'commit', timeout: STEP_TIMEOUT_MS });
      const { atMs, pageMs } = await ready;
      times.push(atMs - started);
      pageTimes.push(pageMs);
      // The same condition as a person (and the e2e tests) see it: the heading by its role, the reader state.
      const heading = await page.getByRole('heading', { level: 1 }).isVisible();
      const waiting = await page.locator('[data-reader-state="waiting_for_card"]').isVisible();
      if (!heading || !waiting) throw new Error('the attract screen was not interactive when the page said it was');
      domContentLoaded.push((await page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")) as number);
      if (run === 0) scriptsFetched = scripts;
    } finally {
      await context.close();
    }
  }
  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { medianMs: round(median(sorted)), minMs: round(sorted[0]!), maxMs: round(sorted.at(-1)!) };
  };
  return {
    runs,
    ...summary(times),
    timesMs: times.map(round),
    pageClock: summary(pageTimes),
    domContentLoaded: summary(domContentLoaded),
    scriptsFetched,
  };
}

/** The middle value of sorted numbers (the mean of the two middle ones for an even count). */
export function median(sorted: readonly number[]): number {
  if (sorted.length === 0) throw new Error('no values');
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

// ---------------------------------------------------------------------------
// 3. Taps of a standard renewal

/**
 * Records every click on a control in the page, by whose it is: the
 * trainer panel's, a keypad character key (never which character), or the
 * resident's (with the control's name). Plain script text: it runs in the page.
 */
const TAP_RECORDER = `
window.__mynaBenchTaps = [];
document.addEventListener('click', (event) => {
  const control = event.target instanceof Element ? event.target.closest('button, a[href], select, input, [role="button"]') : null;
  if (!control) return;
  const character = control.classList.contains('keypad__key--character');
  const who = control.closest('aside.trainer') ? 'trainer' : character ? 'pin-character' : 'resident';
  const name = who === 'pin-character' ? '' : (control.getAttribute('aria-label') || control.textContent || '').trim();
  window.__mynaBenchTaps.push({ who, name });
}, true);
`;

interface RecordedTap {
  who: 'trainer' | 'pin-character' | 'resident';
  name: string;
}

/** The screens' titles in English (renderer/src/locales/en.json). */
const TITLES = {
  status: 'Your certificates',
  registry: 'Enter your Resident-registry PIN (4 digits)',
  authentication: 'Enter your User-authentication PIN (4 digits)',
  signature: 'Enter your Signature password (6–16 letters and digits)',
  confirm: 'Renew your certificates now?',
  done: 'Your certificates have been renewed',
} as const;

async function countRenewalTaps(browser: Browser, url: string): Promise<Omit<UiBenchmark['taps'], 'aim' | 'met'>> {
  const pins = resolvePersona(loadPersona(PERSONA)).pins!;
  const context = await browser.newContext();
  try {
    await context.addInitScript({ content: TAP_RECORDER });
    const page = await context.newPage();
    const button = (name: string) => page.getByRole('button', { name, exact: true });
    const screen = async (title: string) => {
      try {
        await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
      } catch {
        const seen = await page.getByRole('heading', { level: 1 }).allTextContents();
        throw new Error(`the standard renewal did not reach "${title}" (the screen says "${seen.join(' / ')}")`);
      }
    };
    const typePin = async (value: string) => {
      for (const character of value) await button(character).click();
      await button('OK').click();
    };

    await page.goto(url, { timeout: STEP_TIMEOUT_MS });
    await page.locator('[data-reader-state="waiting_for_card"]').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await button('English').click();
    await page.locator('html[lang="en"]').waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS });
    // The trainer's part: the card goes in.
    await page.getByLabel('Virtual card').selectOption(PERSONA);
    await button('Insert this card').click();
    await screen(TITLES.status);
    await button('Continue').click();
    await screen(TITLES.registry);
    await typePin(pins.registry!.value);
    await screen(TITLES.authentication);
    await typePin(pins.authentication!.value);
    await screen(TITLES.signature);
    await typePin(pins.signature!.value);
    await screen(TITLES.confirm);
    await button('Renew now').click();
    await screen(TITLES.done);
    // The trainer's part again: the card comes out, and the kiosk is back at rest.
    await button('Pull the card').click();
    await page.locator('[data-reader-state="waiting_for_card"]').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });

    const recorded = (await page.evaluate('window.__mynaBenchTaps')) as RecordedTap[];
    return { persona: PERSONA, language: 'en', ...classifyTaps(recorded) };
  } finally {
    await context.close();
  }
}

/** What the resident tapped, apart from the PIN's characters; the trainer's clicks are listed but not counted. */
export function classifyTaps(recorded: readonly RecordedTap[]): Pick<UiBenchmark['taps'], 'count' | 'tapped' | 'excluded'> {
  const tapped = recorded.filter((tap) => tap.who === 'resident').map((tap) => tap.name);
  return {
    count: tapped.length,
    tapped,
    excluded: {
      pinCharacters: recorded.filter((tap) => tap.who === 'pin-character').length,
      trainer: recorded.filter((tap) => tap.who === 'trainer').map((tap) => tap.name),
      note:
        "PIN characters are not counted; the trainer panel's clicks (choosing and inserting the virtual card, pulling it out) " +
        "stand in for the resident's hands at the reader and are not counted",
    },
  };
}

// ---------------------------------------------------------------------------

export async function loadPlaywright(): Promise<{
  chromium: { launch(options: { executablePath: string; args: string[] }): Promise<Browser> };
}> {
  // Non-literal specifiers: the build must not bundle a devDependency into the CLI.
  for (const specifier of ['@playwright/test', 'playwright-core']) {
    try {
      return (await import(/* @vite-ignore */ specifier)) as Awaited<ReturnType<typeof loadPlaywright>>;
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    }
  }
  throw new Error('bench ui needs Playwright (@playwright/test, a devDependency): run "npm install" in a development checkout');
}

function describe(result: UiBenchmark): string {
  const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  const aim = (met: boolean, text: string) => `(aim ${text}: ${met ? 'met' : 'NOT met'})`;
  const { initialJs, allJs, interactive, taps } = result;
  return [
    `Renderer (${result.rendererRoot})`,
    `initial JavaScript: ${kb(initialJs.gzipBytes)} gzipped (level 9: ${kb(initialJs.gzip9Bytes)}; raw ${kb(initialJs.bytes)}) ` +
      `in ${initialJs.files.map((file) => file.file).join(', ')} ${aim(initialJs.met, `≤ ${kb(initialJs.aimGzipBytes)}`)}`,
    `all JavaScript: ${allJs.files} chunks, ${kb(allJs.gzipBytes)} gzipped (raw ${kb(allJs.bytes)})`,
    `language chunks (loaded on demand): ${result.languageChunks.map((chunk) => `${chunk.language} ${kb(chunk.gzipBytes)}`).join(', ')}`,
    '',
    `Chromium: ${result.chromium}`,
    `navigation to an interactive attract screen: median ${interactive.medianMs} ms (min ${interactive.minMs}, max ${interactive.maxMs}) ` +
      `over ${interactive.runs} ${aim(interactive.met, '< 1000 ms')}`,
    `  runs: ${interactive.timesMs.join(', ')} ms`,
    `  on the page's clock: median ${interactive.pageClock.medianMs} ms (min ${interactive.pageClock.minMs}, ` +
      `max ${interactive.pageClock.maxMs}); DOMContentLoaded median ${interactive.domContentLoaded.medianMs} ms`,
    `  scripts fetched: ${interactive.scriptsFetched.join(', ')}`,
    '',
    `taps for a standard renewal (${taps.persona}, English), PIN characters excluded: ${taps.count} ${aim(taps.met, `≤ ${taps.aim}`)}`,
    `  tapped: ${taps.tapped.join(', ')}`,
    `  not counted: ${taps.excluded.pinCharacters} PIN characters; trainer panel: ${taps.excluded.trainer.join(', ')}`,
    `  (${taps.excluded.note})`,
    '',
    `machine load (1-minute average): ${result.loadAverage.before} before, ${result.loadAverage.after} after`,
    '',
  ].join('\n');
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
