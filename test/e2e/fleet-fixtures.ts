import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolveDate } from '../../main/simulation/personas';

/**
 * The issuing service of a small simulated fleet, for end-to-end tests: the
 * built CLI (`npx myna-kiosk service …`) in processes of its own, a service
 * folder in a temporary folder, its terminals enrolled there, and the
 * headless terminal (`session`, `audit ship`, `audit verify`) beside the web
 * hosts of fixtures.ts. Also what a privacy scan needs: the personal data a
 * persona file carries, and every table of the fleet database.
 */

const CLI = fileURLToPath(new URL('../../out/main/cli.js', import.meta.url));
const PERSONA_DIR = fileURLToPath(new URL('../../main/simulation/personas', import.meta.url));

/** A temporary folder for one test's fleet; `remove()` deletes it and everything in it. */
export interface Scratch {
  root: string;
  remove(): void;
}

export function makeScratch(prefix = 'myna-kiosk-e2e-fleet-'): Scratch {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One run of the built CLI to its end; `input` is written to its stdin (then closed). */
export async function runCli(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  child.stdin.end(options.input ?? '');
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** The same, expecting exit code 0 (else an error with what the command said). */
async function runCliOk(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const result = await runCli(args, options);
  if (result.code !== 0)
    throw new Error(`myna-kiosk ${args.slice(0, 2).join(' ')} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

// --- The service folder -------------------------------------------------------

/** `service init`: the terminal CA and the server certificate in `dir/pki`. */
export async function initService(dir: string): Promise<void> {
  await runCliOk(['service', 'init', '--dir', dir]);
}

/** The files `service enrol-terminal` writes for a terminal, as absolute paths. */
export interface TerminalFiles {
  id: string;
  folder: string;
  certificate: string;
  key: string;
  ca: string;
}

export async function enrolTerminal(dir: string, id: string, role: 'lobby' | 'counter'): Promise<TerminalFiles> {
  await runCliOk(['service', 'enrol-terminal', '--dir', dir, '--id', id, '--role', role]);
  const folder = join(dir, 'terminals', id);
  return {
    id,
    folder,
    certificate: join(folder, 'terminal.pem'),
    key: join(folder, 'terminal-key.pem'),
    ca: join(folder, 'ca.pem'),
  };
}

/** `service dashboard-account`: the passcode is stdin's first line (no terminal here). */
export async function addDashboardAccount(dir: string, account: string, passcode: string): Promise<void> {
  await runCliOk(['service', 'dashboard-account', '--dir', dir, '--id', account], { input: `${passcode}\n` });
}

/** A web host's `--config` for a terminal of this service (fixtures.ts `startWebHostProcess(…, { config })`). */
export function terminalConfig(issuingUrl: string, terminal: TerminalFiles, heartbeatSeconds = 1): Record<string, unknown> {
  return {
    service: { url: issuingUrl, certificate: terminal.certificate, key: terminal.key, ca: terminal.ca, heartbeatSeconds },
  };
}

// --- The service process ------------------------------------------------------

export interface RunningService {
  dir: string;
  issuingUrl: string;
  /** The dashboard's address, without the trailing slash. */
  dashboardUrl: string;
  process: ChildProcess;
  /** Everything the process wrote, for a failure's explanation and the privacy scan. */
  stdout: string[];
  stderr: string[];
}

export interface ServiceOptions {
  dir: string;
  /** The simulated J-LIS folder ($MYNA_KIOSK_SIM_DIR of the process). */
  simDir: string;
  staleAfterSeconds: number;
  /** The practice clock's start (the dashboard's "today"). */
  startAt: string;
}

const ISSUING_LINE = /^issuing service at (https:\/\/\S+) /;
const DASHBOARD_LINE = /^dashboard at (https:\/\/\S+?)\/? and metrics at /;

/** `service run` on free ports with the card factory; resolves once both listeners are up (the lines it prints). */
export async function startServiceProcess(options: ServiceOptions): Promise<RunningService> {
  const args = [
    CLI,
    'service',
    'run',
    '--dir',
    options.dir,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--dashboard-port',
    '0',
    '--card-factory',
    '--stale-after',
    String(options.staleAfterSeconds),
    '--start-at',
    options.startAt,
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MYNA_KIOSK_SIM_DIR: options.simDir },
  });
  const service: RunningService = { dir: options.dir, issuingUrl: '', dashboardUrl: '', process: child, stdout: [], stderr: [] };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => service.stderr.push(chunk));
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the issuing service exited with ${code} before it listened:\n${service.stderr.join('')}`);
  });
  const listening = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      service.stdout.push(`${line}\n`);
      service.issuingUrl ||= ISSUING_LINE.exec(line)?.[1] ?? '';
      service.dashboardUrl ||= DASHBOARD_LINE.exec(line)?.[1] ?? '';
      if (service.issuingUrl && service.dashboardUrl) resolve();
    });
  });
  try {
    await Promise.race([listening, exited]);
  } catch (error) {
    await stopServiceProcess(service);
    throw error;
  }
  exited.catch(() => undefined);
  return service;
}

/** SIGTERM, and waits for the process to end (it closes its databases first); nothing when it has ended already. */
export async function stopServiceProcess(service: RunningService): Promise<void> {
  const child = service.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = once(child, 'close');
  child.kill('SIGTERM');
  await closed;
}

// --- The headless terminal ----------------------------------------------------

export interface HeadlessTerminal {
  terminal: TerminalFiles;
  /** Its kiosk database (the audit chain and the outbox). */
  db: string;
  /** Its simulation folder ($MYNA_KIOSK_SIM_DIR: nothing is kept there when every card state is given). */
  simDir: string;
}

/**
 * One scripted session (`myna-kiosk session`) against the service, with a
 * fresh card from its card factory (a card-state file of its own, so the
 * same persona can come again). Exit codes: 0 renewed, 3 handed off.
 */
export async function headlessSession(
  terminal: HeadlessTerminal,
  service: RunningService,
  options: { persona: string; pins: Record<'authentication' | 'signature' | 'registry', string>; at: string; cardState: string },
): Promise<CliResult> {
  const pins = [
    ['auth', options.pins.authentication],
    ['sign', options.pins.signature],
    ['registry', options.pins.registry],
  ].flatMap(([name, value]) => (value ? ['--pin', `${name}=${value}`] : []));
  return runCli(
    [
      'session',
      '--persona',
      options.persona,
      ...pins,
      '--service',
      service.issuingUrl,
      '--terminal',
      terminal.terminal.folder,
      '--db',
      terminal.db,
      '--card-state',
      options.cardState,
      '--at',
      options.at,
    ],
    { env: { MYNA_KIOSK_SIM_DIR: terminal.simDir } },
  );
}

/** `audit ship`: the terminal's outbox delivered now (0 when nothing is left, 1 on a conflict or rows left). */
export function auditShip(terminal: HeadlessTerminal, service: RunningService): Promise<CliResult> {
  return runCli(['audit', 'ship', '--db', terminal.db, '--service', service.issuingUrl, '--terminal', terminal.terminal.folder]);
}

/** `audit verify --service`: the local chain, and against the copy the service holds. */
export function auditVerify(terminal: HeadlessTerminal, service: RunningService): Promise<CliResult> {
  return runCli(['audit', 'verify', '--db', terminal.db, '--service', service.issuingUrl, '--terminal', terminal.terminal.folder]);
}

/** The audit rows of a kiosk database, in seq order. */
export function auditRows(db: string): { seq: number; event: string; hash: string }[] {
  const sqlite = new Database(db, { readonly: true });
  try {
    return sqlite.prepare('SELECT seq, event, hash FROM audit_log ORDER BY seq').all() as { seq: number; event: string; hash: string }[];
  } finally {
    sqlite.close();
  }
}

/**
 * An insider's cut of the chain: the guarding triggers dropped, every row
 * after `keepThrough` deleted, the head set back to that row, the triggers
 * made again with their very SQL (so the file's schema looks untouched). On
 * its own the local chain is then intact; only the service's copy shows it.
 */
export function cutAuditChain(db: string, keepThrough: number): void {
  const sqlite = new Database(db);
  try {
    const triggers = sqlite.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'").all() as { name: string; sql: string }[];
    sqlite.transaction(() => {
      for (const trigger of triggers) sqlite.exec(`DROP TRIGGER "${trigger.name}"`);
      sqlite.prepare('DELETE FROM audit_log WHERE seq > ?').run(keepThrough);
      const row = sqlite.prepare('SELECT seq, hash FROM audit_log WHERE seq = ?').get(keepThrough) as
        { seq: number; hash: string } | undefined;
      if (!row) throw new Error(`the audit log has no row ${keepThrough} to cut after`);
      sqlite.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(row.seq, row.hash);
      for (const trigger of triggers) sqlite.exec(trigger.sql);
    })();
  } finally {
    sqlite.close();
  }
}

// --- The privacy scan ---------------------------------------------------------

/** A secret to look for, and what it is (for the failure message; never the value itself in a name). */
export interface Secret {
  what: string;
  value: string;
}

/**
 * Everything personal a persona file carries: its PINs and passwords, the
 * holder's every string (name, its parts, address, prefecture,
 * municipality; the date of birth resolved as of `today`, in the forms a
 * date is written), and its My Number.
 */
export function personaSecrets(persona: string, today: string): Secret[] {
  const file = JSON.parse(readFileSync(join(PERSONA_DIR, `${persona}.json`), 'utf8')) as {
    holder?: Record<string, unknown>;
    pins?: Record<string, { value?: string }>;
    myNumber?: string;
  };
  const secrets: Secret[] = [];
  for (const [name, pin] of Object.entries(file.pins ?? {}))
    if (pin.value) secrets.push({ what: `${persona}'s ${name} PIN`, value: pin.value });
  for (const [field, value] of Object.entries(file.holder ?? {})) {
    if (typeof value !== 'string') continue;
    if (field === 'dateOfBirth') {
      const born = resolveDate(value, today);
      for (const form of [born, born.replaceAll('-', ''), born.replaceAll('-', '/')])
        secrets.push({ what: `${persona}'s date of birth`, value: form });
      continue;
    }
    secrets.push({ what: `${persona}'s ${field}`, value });
    // A name is surname, full-width space, given name: each part on its own too.
    if (field === 'name' || field === 'nameAlternate')
      for (const part of value.split(/[\s\u3000]+/).filter((part) => part.length >= 2))
        secrets.push({ what: `part of ${persona}'s ${field}`, value: part });
  }
  if (file.myNumber) secrets.push({ what: `${persona}'s My Number`, value: file.myNumber });
  return secrets;
}

/**
 * A short secret of letters and digits (a 4-digit PIN) is looked for as a
 * token of its own: "1234" inside a hash, a port (":41234") or a serial
 * number is chance, not a leak. Anything longer, or with other characters,
 * is looked for anywhere.
 */
function secretPattern(value: string): RegExp {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return value.length < 6 && /^[0-9A-Za-z]+$/.test(value) ? new RegExp(`(?<![0-9A-Za-z])${escaped}(?![0-9A-Za-z])`) : new RegExp(escaped);
}

/** UUIDs (session and renewal ids) are random: a group of one that reads "-1234-" is chance too. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Which secrets a text holds, as "what (in where)". */
export function secretsIn(text: string, secrets: readonly Secret[], where: string): string[] {
  const read = text.replace(UUID, '<uuid>');
  return secrets.filter((secret) => secretPattern(secret.value).test(read)).map((secret) => `${secret.what} (in ${where})`);
}

/**
 * Which secrets a value holds: every string in it (object keys too; a
 * string that is itself JSON is opened and walked). Numbers are
 * measurements (milliseconds, bytes, sequence numbers) and are not read as
 * text: a PIN is a string wherever the product holds one.
 */
export function secretsInValue(value: unknown, secrets: readonly Secret[], where: string): string[] {
  const strings: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      strings.push(node);
      if (/^\s*[[{]/.test(node)) {
        try {
          walk(JSON.parse(node));
        } catch {
          // Not JSON after all: the string itself has been looked at.
        }
      }
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (node instanceof Date) strings.push(node.toISOString());
    else if (node !== null && typeof node === 'object')
      for (const [key, child] of Object.entries(node)) {
        strings.push(key);
        walk(child);
      }
  };
  walk(value);
  return [...new Set(strings.flatMap((text) => secretsIn(text, secrets, where)))];
}

/** A process's output: each JSON log line walked as a value, any other line read as text. */
export function secretsInLog(text: string, secrets: readonly Secret[], where: string): string[] {
  const found = text.split('\n').flatMap((line) => {
    if (line.trimStart().startsWith('{')) {
      try {
        return secretsInValue(JSON.parse(line), secrets, where);
      } catch {
        // A line that only looks like JSON: read as text below.
      }
    }
    return secretsIn(line, secrets, where);
  });
  return [...new Set(found)];
}

/**
 * Every row of every table of the fleet's embedded database (`dir/fleet-pg`),
 * by table name. The service must be stopped first: PGlite is one process's.
 */
export async function readFleetDatabase(dir: string): Promise<Record<string, unknown[]>> {
  const db = new PGlite(join(dir, 'fleet-pg'));
  try {
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    const content: Record<string, unknown[]> = {};
    for (const { table_name: table } of tables.rows) content[table] = (await db.query(`SELECT * FROM "${table}"`)).rows;
    return content;
  } finally {
    await db.close();
  }
}
