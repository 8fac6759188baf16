/**
 * `node out/main/web-host-cli.js [--profile demo|lobby|counter] [--port N] [--config <file>] [--start-at <ISO instant>] [--open] [--json]`
 *
 * Serves the kiosk to a browser on 127.0.0.1 with virtual cards only. With
 * --open and a display, it opens the system Chromium in app mode; otherwise
 * it prints the address and serves until interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { profileSchema } from '../../preload/contract';
import { createLogger } from '../base/log';
import { readJsonFile } from '../base/validation';
import { PRACTICE_STAFF, startWebHost } from './web-host';

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'demo' },
      port: { type: 'string', default: '0' },
      open: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      'start-at': { type: 'string' },
    },
    strict: true,
  });
  const profile = profileSchema.safeParse(values.profile);
  if (!profile.success) throw new Error(`--profile must be one of ${profileSchema.options.join(', ')} (got "${values.profile}")`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535 (got "${values.port}")`);

  const rendererRoot = fileURLToPath(new URL('../renderer', import.meta.url));
  if (!existsSync(join(rendererRoot, 'index.html'))) {
    throw new Error(`the renderer is not built (${rendererRoot}/index.html is missing): run "npm run build"`);
  }

  const startAt = values['start-at'] === undefined ? undefined : new Date(values['start-at']);
  if (startAt && Number.isNaN(startAt.getTime()))
    throw new Error(`--start-at must be an ISO date-time such as 2026-12-01T10:00:00+09:00 (got "${values['start-at']}")`);
  // The same checks as the terminal config file; profile and card source come from the flags.
  const config =
    values.config === undefined ? undefined : (readJsonFile(values.config, (message) => new Error(message)) as Record<string, unknown>);

  const host = await startWebHost({
    rendererRoot,
    profile: profile.data,
    port,
    log: createLogger(),
    ...(startAt ? { startAt } : {}),
    ...(config ? { config } : {}),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ url: host.url, origin: host.origin, profile: profile.data })}\n`);
  } else {
    process.stdout.write(`myna-kiosk ${profile.data} profile (virtual cards only) at ${host.url}\n`);
    if (profile.data === 'counter' && !config)
      process.stdout.write(`Practice staff sign-in: ${PRACTICE_STAFF.id} / ${PRACTICE_STAFF.passcode}\n`);
  }

  const browser = values.open ? openAppWindow(host.url) : undefined;
  if (values.open && !browser) process.stdout.write('No display or no Chromium here: open the address above in a browser. Ctrl+C stops.\n');

  const shutdown = () => {
    browser?.kill('SIGTERM');
    void host.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  browser?.once('exit', () => process.stdout.write('The browser window closed; still serving. Ctrl+C stops.\n'));
}

function openAppWindow(url: string) {
  if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return undefined;
  const chromium = CHROMIUM_CANDIDATES.find((path) => existsSync(path));
  if (!chromium) return undefined;
  const profileDir = mkdtempSync(join(tmpdir(), 'myna-kiosk-browser-'));
  const flags = [
    `--app=${url}`,
    `--user-data-dir=${profileDir}`,
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ];
  return spawn(chromium, flags, { stdio: 'ignore' });
}

main().catch((error: unknown) => {
  process.stderr.write(`myna-kiosk web host: ${(error as Error).message}\n`);
  process.exit(1);
});
