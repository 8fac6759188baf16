import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { japanTimestamp, nextWeekdayAt } from '../../main/domain/japan-calendar';
import { makeSimulationTemplate, type SimulationTemplate } from '../support/simulation-template';

export interface RunningWebHost {
  url: string;
  origin: string;
  process: ChildProcess;
  /** What the host wrote to stderr (its log), to explain a failure. */
  log: string[];
  /** Its temporary folder (the simulated J-LIS, the config), removed when it stops. */
  scratch: string;
}

export type Profile = 'demo' | 'lobby' | 'counter';

const WEB_HOST_CLI = fileURLToPath(new URL('../../out/main/web-host-cli.js', import.meta.url));

/**
 * A weekday at 10:00 in Japan, near today: the national systems are open, so
 * a test never depends on the hour (or the maintenance Sunday) it runs at.
 */
export function serviceHoursNearToday(now = new Date()): string {
  return japanTimestamp(nextWeekdayAt('10:00', now));
}

/** The Saturday evening after 20:00 nearest today: the national systems are closed. */
export function afterServiceHours(now = new Date()): string {
  return serviceHoursNearToday(now).replace('T10:00', 'T21:30');
}

export interface WebHostOptions {
  config?: Record<string, unknown>;
  startAt?: string;
}

/** Starts the built web host exactly as `npm start` does, and reads the address it prints. */
export async function startWebHostProcess(profile: Profile, options: WebHostOptions = {}): Promise<RunningWebHost> {
  // The simulated J-LIS of a test run lives in a temporary folder, not the user's cache.
  const scratch = mkdtempSync(join(tmpdir(), 'myna-kiosk-e2e-'));
  (await simulationTemplate()).copyTo(join(scratch, 'sim'));
  const env = { ...process.env, MYNA_KIOSK_SIM_DIR: join(scratch, 'sim') };
  const args = [WEB_HOST_CLI, '--profile', profile, '--json', '--start-at', options.startAt ?? serviceHoursNearToday()];
  if (options.config) {
    const configPath = join(scratch, 'terminal.json');
    // Only its owner may change a terminal config: the web host refuses one others could write.
    writeFileSync(configPath, JSON.stringify(options.config), { mode: 0o600 });
    args.push('--config', configPath);
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line as string),
    once(child, 'exit').then(([code]) => {
      throw new Error(`web host exited with ${code}: ${stderr.join('')}`);
    }),
  ]);
  const { url, origin } = JSON.parse(first) as { url: string; origin: string };
  return { url, origin, process: child, log: stderr, scratch };
}

let template: Promise<SimulationTemplate> | undefined;

/** The simulated world every web host of this test worker starts from (a copy each: records of its own). */
function simulationTemplate(): Promise<SimulationTemplate> {
  template ??= makeSimulationTemplate().then((made) => {
    process.once('exit', () => made.remove());
    return made;
  });
  return template;
}

export async function stopWebHostProcess(host: RunningWebHost): Promise<void> {
  await attachLogOnFailure(host);
  if (host.process.exitCode !== null) throw new Error(`the web host had exited with ${host.process.exitCode}: ${host.log.join('')}`);
  host.process.kill('SIGTERM');
  await once(host.process, 'exit');
  rmSync(host.scratch, { recursive: true, force: true });
}

/** A failed test keeps the web host's log among its artifacts: what the host said explains a page that stopped answering. */
async function attachLogOnFailure(host: RunningWebHost): Promise<void> {
  let info: TestInfo;
  try {
    info = test.info();
  } catch {
    return; // Stopped outside a test (a suite's last hook): nothing to attach to.
  }
  if (info.status !== info.expectedStatus) await info.attach('web-host.log', { body: host.log.join(''), contentType: 'text/plain' });
}

const PERSONA_DIR = fileURLToPath(new URL('../../main/simulation/personas', import.meta.url));

/** Every PIN any persona's card holds: none may ever be found in the page. */
export const PERSONA_PIN_VALUES: readonly string[] = [
  ...new Set(
    readdirSync(PERSONA_DIR)
      .filter((name) => name.endsWith('.json'))
      .flatMap((name) =>
        Object.values(
          (JSON.parse(readFileSync(join(PERSONA_DIR, name), 'utf8')) as { pins?: Record<string, { value?: string }> }).pins ?? {},
        ),
      )
      .flatMap((pin) => (pin.value ? [pin.value] : [])),
  ),
];

/** The PINs of one persona, by name, for typing them on the keypad. */
export { personaPinsOf as personaPins } from '../support/persona-pins';

/**
 * After every test: no PIN string in the DOM text, in any store's state, or
 * in the page's storage. The typed values are the personas' PINs; a wrong
 * PIN a test typed is added through `typedSecrets`.
 */
export async function expectNoPinInPage(page: Page, secrets: readonly string[]): Promise<void> {
  if (page.isClosed() || page.url() === 'about:blank') return;
  const found = await page.evaluate(
    (values) => {
      // This runs in the page; the test project's types are Node's, so the page's globals are described here.
      const page = globalThis as unknown as {
        document: { documentElement: { innerText: string; outerHTML: string } };
        localStorage: Record<string, string>;
        sessionStorage: Record<string, string>;
        __mynaKioskStores?: () => unknown;
      };
      // QR codes are data: URLs whose base64 could hold any four digits by chance; they carry only the reference.
      const text = `${page.document.documentElement.innerText}\n${page.document.documentElement.outerHTML.replace(/data:[^"]*/g, '')}`;
      const storeText = JSON.stringify(page.__mynaKioskStores?.() ?? null);
      const storage = JSON.stringify({ ...page.localStorage }) + JSON.stringify({ ...page.sessionStorage });
      return values.filter((value) => text.includes(value) || storeText.includes(value) || storage.includes(value));
    },
    [...secrets],
  );
  expect(found, 'a PIN was found in the page, a store or storage').toEqual([]);
}

/** An axe scan of the screen as it is: no violation of any rule. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(
    results.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`),
  ).toEqual([]);
}

/**
 * A screenshot of the screen, saved as a file among the test's artifacts
 * (test-results/, never committed); anything marked personal is masked.
 */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true, mask: [page.locator('[data-personal]')] });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

export const test = base.extend<{ demoHost: RunningWebHost; typedSecrets: string[] }>({
  // Runs for every test, whether it asks for it or not.
  typedSecrets: [
    async ({ page }, use) => {
      const secrets: string[] = [];
      await use(secrets);
      await expectNoPinInPage(page, [...PERSONA_PIN_VALUES, ...secrets]);
    },
    { auto: true },
  ],
  // Playwright reads a fixture's dependencies from this destructuring pattern; this one has none.
  // eslint-disable-next-line no-empty-pattern
  demoHost: async ({}, use) => {
    const host = await startWebHostProcess('demo');
    await use(host);
    await stopWebHostProcess(host);
  },
});

export { expect };
