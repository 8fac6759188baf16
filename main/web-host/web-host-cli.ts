/**
 * `node out/main/web-host-cli.js [--profile demo|lobby|counter] [--port N] [--config <file>] [--start-at <ISO instant>]
 *   [--service <https url> --terminal <folder>] [--open] [--json]`
 *
 * Serves the kiosk to a browser on 127.0.0.1 with virtual cards only. By
 * default it runs a simulated J-LIS behind an issuing service of its own on
 * loopback; with --service (and the terminal folder `service enrol-terminal`
 * wrote) it uses that service instead, whose card factory makes the cards.
 * With
 * --open and a display, it opens the system Chromium in app mode; otherwise
 * it prints the address and serves until interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { profileSchema } from '../../preload/contract';
import { createLogger } from '../base/log';
import { readTerminalConfigFile, serviceFilesRelativeTo, serviceOfTerminalFolder } from '../kiosk/config';
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
      service: { type: 'string' },
      terminal: { type: 'string' },
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
  // The same checks as the terminal config file (its owner and mode too: it may carry staff accounts);
  // profile and card source come from the flags.
  const fromFile = values.config === undefined ? undefined : (readTerminalConfigFile(values.config) as Record<string, unknown>);
  if ((values.service === undefined) !== (values.terminal === undefined)) {
    throw new Error('--service <https url> and --terminal <folder written by "myna-kiosk service enrol-terminal"> go together');
  }
  const service =
    values.service !== undefined && values.terminal !== undefined
      ? serviceOfTerminalFolder(values.service, values.terminal)
      : fileService(fromFile, values.config);
  const config = fromFile || service ? { ...fromFile, ...(service ? { service } : {}) } : undefined;

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
    const issuing = service ? `issuing service ${service.url}` : 'its own issuing service on loopback';
    process.stdout.write(`myna-kiosk ${profile.data} profile (virtual cards only, ${issuing}) at ${host.url}\n`);
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

/** A config file's own service field, its files named relative to the file. */
function fileService(config: Record<string, unknown> | undefined, path: string | undefined) {
  const service = config?.service as Record<string, unknown> | undefined;
  if (!service || typeof service !== 'object' || !path) return undefined;
  const { url, certificate, key, ca } = service;
  // A field of the wrong kind is left as it is, for the config's own check to name.
  if (typeof url !== 'string' || typeof certificate !== 'string' || typeof key !== 'string' || typeof ca !== 'string') return service;
  return serviceFilesRelativeTo({ ...service, url, certificate, key, ca }, dirname(path));
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
