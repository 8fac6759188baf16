import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../base/log';
import { hashPasscode } from '../base/passcode';
import { ACCOUNT_ID_PATTERN, DashboardAccounts } from '../service/dashboard-accounts';
import { startDashboard } from '../service/dashboard-server';
import { FleetMetrics } from '../service/fleet-metrics';
import { openFleetStore, startStaleSweep } from '../service/fleet-store';
import { readNewPasscode, STANDARD_IO, type PasscodeIo } from './staff-passcode';
import { openApiDocument, startIssuingService } from '../service/issuing-service';
import { initialisePki, loadPki, PKI_FILES, TERMINAL_ROLES, writeFileAtomically } from '../service/terminal-pki';
import { isTerminalRole, TerminalRegistry } from '../service/terminal-registry';
import { GatewayError } from '../issuance/gateway';
import { makeEnrolledCard } from '../simulation/card-factory';
import { isPostgresUrl } from '../base/sql-database';
import { openSimulatedJlis, type SimulatedJlis } from '../simulation/jlis/service';
import { listPersonas } from '../simulation/personas';
import { UsageError } from './usage-error';
import { parseInstant } from './eligibility';

/**
 * `myna-kiosk service …`: the municipality's issuing service and its terminal
 * PKI (docs/issuing-service.md).
 *
 *   service init [--dir <dir>] [--municipality <name>] [--host <name|address>]…
 *   service enrol-terminal --id <id> --role lobby|counter [--dir <dir>] [--out <folder>]
 *   service revoke-terminal --id <id> [--dir <dir>]
 *   service terminals [--dir <dir>] [--json]
 *   service openapi
 *   service dashboard-account --id <account> [--remove] [--dir <dir>]   (the passcode: typed twice, or stdin's first line)
 *   service [run] [--dir <dir>] [--host 127.0.0.1] [--port 8443] [--sim-dir <dir>] [--database postgres://…] [--card-factory]
 *               [--dashboard-host <host>] [--dashboard-port 8444] [--stale-after 90] [--metrics-token-file <file>] [--start-at <ISO>]
 *
 * The service folder is `--dir`, else $MYNA_KIOSK_SERVICE_DIR, else
 * ~/.local/share/myna-kiosk/service: `pki/` (the terminal CA and the
 * server's certificate; keys readable by the owner only) and
 * `terminals.json` (the registry).
 *
 * The fleet's records (docs/fleet.md: the terminals' audit rows, heartbeats,
 * alerts, dashboard sign-ins) go to an embedded PGlite in the service
 * folder (`fleet-pg/`), or to the same PostgreSQL server as the J-LIS with
 * `--database`. The dashboard and /metrics listen on `--dashboard-port`
 * (HTTPS with the service's certificate, no client certificate; accounts
 * in `dashboard-accounts.json`, made by `service dashboard-account`).
 *
 * The simulated J-LIS behind the service keeps its records in an embedded
 * PGlite database in the simulation folder (one process at a time), or on
 * the PostgreSQL server of `--database` (or $MYNA_KIOSK_DATABASE), which
 * several service processes may share.
 *
 * --card-factory (simulation only) lets terminals ask the service for a
 * persona's card, enrolled at its simulated J-LIS: how a trainer's kiosk or
 * the headless session on another process or machine gets cards this
 * service knows.
 */

export const SERVICE_DIR_ENV = 'MYNA_KIOSK_SERVICE_DIR';
export const DATABASE_ENV = 'MYNA_KIOSK_DATABASE';
const DEFAULT_PORT = 8443;

export function serviceDir(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env[SERVICE_DIR_ENV]) return resolve(env[SERVICE_DIR_ENV]);
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'myna-kiosk', 'service');
}

const registryOf = (dir: string) => new TerminalRegistry(join(dir, 'terminals.json'));

export async function runService(
  argv: string[],
  out: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const [subcommand, ...rest] = argv;
  switch (subcommand) {
    case 'init':
      return init(rest, out);
    case 'enrol-terminal':
      return enrolTerminal(rest, out);
    case 'revoke-terminal':
      return revokeTerminal(rest, out);
    case 'terminals':
      return listTerminals(rest, out);
    case 'openapi':
      return printOpenApi(rest, out);
    case 'dashboard-account':
      return dashboardAccount(rest, out);
    case 'run':
      return serve(rest, out);
    default:
      return serve(argv, out);
  }
}

async function init(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      municipality: { type: 'string', default: 'Municipality' },
      host: { type: 'string', multiple: true, default: [] },
    },
    strict: true,
  });
  const dir = serviceDir(values.dir);
  const hosts = values.host.length > 0 ? values.host : ['localhost', '127.0.0.1', '::1'];
  await initialisePki(join(dir, 'pki'), { municipality: values.municipality, hosts });
  out(`terminal CA and server certificate created in ${join(dir, 'pki')} (server names: ${hosts.join(', ')})`);
  out(`next: npx myna-kiosk service enrol-terminal --id <id> --role lobby|counter${values.dir ? ` --dir ${values.dir}` : ''}`);
  return 0;
}

async function enrolTerminal(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dir: { type: 'string' }, id: { type: 'string' }, role: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  if (!values.id) throw new UsageError('--id <terminal id> is required');
  if (!values.role || !isTerminalRole(values.role)) throw new UsageError(`--role must be ${TERMINAL_ROLES.join(' or ')}`);
  const dir = serviceDir(values.dir);
  const { ca } = await loadPki(join(dir, 'pki'));
  const issued = await ca.issueTerminal(values.id, values.role);
  const folder = resolve(values.out ?? join(dir, 'terminals', values.id));
  writeFileAtomically(join(folder, 'terminal-key.pem'), issued.key, true);
  writeFileAtomically(join(folder, 'terminal.pem'), issued.certificate);
  writeFileAtomically(join(folder, 'ca.pem'), ca.certificatePem);
  registryOf(dir).enrol({ id: values.id, role: values.role, serialNumber: issued.serialNumber, notAfter: issued.notAfter.toISOString() });
  const files = ['terminal.pem', 'terminal-key.pem', 'ca.pem'].map((name) => join(folder, name));
  out(`terminal ${values.id} (${values.role}) enrolled: ${files.join(', ')}`);
  out('copy the three files to the terminal; any earlier certificate of this terminal is revoked');
  return 0;
}

async function revokeTerminal(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, id: { type: 'string' } }, strict: true });
  if (!values.id) throw new UsageError('--id <terminal id> is required');
  const dir = serviceDir(values.dir);
  if (!existsSync(join(dir, 'pki', PKI_FILES.ca)))
    throw new Error(`${dir} holds no issuing service (run "npx myna-kiosk service init" first)`);
  if (!registryOf(dir).revoke(values.id)) {
    out(`terminal ${values.id} has no certificate in force: nothing revoked`);
    return 1;
  }
  out(`terminal ${values.id} revoked: the service refuses it from its next request`);
  return 0;
}

async function listTerminals(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dir: { type: 'string' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const terminals = registryOf(serviceDir(values.dir)).list();
  if (values.json) out(JSON.stringify(terminals, null, 2));
  else if (terminals.length === 0) out('no terminals enrolled');
  else
    for (const terminal of terminals)
      out(
        `${terminal.id}\t${terminal.role}\t${terminal.revokedAt ? `revoked ${terminal.revokedAt}` : `in force until ${terminal.notAfter}`}`,
      );
  return 0;
}

async function printOpenApi(argv: string[], out: (line: string) => void): Promise<number> {
  parseArgs({ args: argv, options: {}, strict: true });
  out(JSON.stringify(await openApiDocument(), null, 2));
  return 0;
}

async function serve(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: String(DEFAULT_PORT) },
      'sim-dir': { type: 'string' },
      database: { type: 'string' },
      'card-factory': { type: 'boolean', default: false },
      'dashboard-host': { type: 'string' },
      'dashboard-port': { type: 'string', default: String(DEFAULT_DASHBOARD_PORT) },
      'stale-after': { type: 'string', default: String(DEFAULT_STALE_AFTER_SECONDS) },
      'metrics-token-file': { type: 'string' },
      'start-at': { type: 'string' },
    },
    strict: true,
  });
  const database = values.database ?? (process.env[DATABASE_ENV] || undefined);
  if (database !== undefined && !isPostgresUrl(database)) {
    throw new UsageError(
      '--database must be a postgres:// or postgresql:// URL (without it, the embedded PGlite in the simulation folder)',
    );
  }
  const port = portOption('--port', values.port);
  const dashboardPort = portOption('--dashboard-port', values['dashboard-port']);
  const staleAfter = Number(values['stale-after']);
  if (!Number.isInteger(staleAfter) || staleAfter < 2 || staleAfter > 86_400)
    throw new UsageError(
      `--stale-after is seconds without a heartbeat before a terminal is stale: 2–86400 (got "${values['stale-after']}")`,
    );
  // A trainer's (or a test's) practice clock for the fleet's records: "today" on the dashboard, staleness.
  const startAt = values['start-at'] === undefined ? undefined : parseInstant(values['start-at']);
  const offsetMs = startAt ? startAt.getTime() - Date.now() : 0;
  const now = () => new Date(Date.now() + offsetMs);
  const metricsToken = values['metrics-token-file'] === undefined ? undefined : readToken(values['metrics-token-file']);
  const dashboardRoot = fileURLToPath(new URL('../dashboard', import.meta.url));
  if (!existsSync(join(dashboardRoot, 'dashboard.html')))
    throw new Error(`the dashboard is not built (${dashboardRoot}/dashboard.html is missing): run "npm run build"`);
  const dir = serviceDir(values.dir);
  const { server } = await loadPki(join(dir, 'pki'));
  const caCertificate = readFileSync(join(dir, 'pki', PKI_FILES.ca), 'utf8');
  const log = createLogger();
  const registry = registryOf(dir);
  const staleAfterMs = staleAfter * 1000;

  // Opened in order, closed in reverse; whatever opened before a failure is closed again.
  const opened: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of opened.reverse()) await close();
  };
  try {
    const jlis = await openSimulatedJlis(values['sim-dir'], database ? { database } : {});
    opened.push(() => jlis.close());
    const store = await openFleetStore({ ...(database ? { database } : { dir }), now });
    opened.push(() => store.close());
    const metrics = new FleetMetrics(store, { staleAfterMs, now, enrolled: () => registry.list().map((entry) => entry.id) });
    const sweep = startStaleSweep(store, {
      staleAfterMs,
      onError: (error) => log.error('stale-sweep-failed', { error: (error as Error).name }),
    });
    opened.push(() => sweep.stop());
    const service = await startIssuingService({
      tls: { server, caCertificate },
      registry,
      issuer: jlis,
      log,
      host: values.host,
      port,
      fleet: { store, metrics },
      ...(values['card-factory'] ? { cardFactory: (personaId: string, on: string) => factoryCard(jlis, personaId, on) } : {}),
    });
    opened.push(() => service.close());
    const dashboard = await startDashboard({
      tls: server,
      store,
      metrics,
      registry,
      accounts: accountsOf(dir),
      rendererRoot: dashboardRoot,
      staleAfterMs,
      now,
      log,
      host: values['dashboard-host'] ?? values.host,
      port: dashboardPort,
      ...(metricsToken ? { metricsToken } : {}),
    });
    opened.push(() => dashboard.close());
    out(
      `issuing service at ${service.url} (terminals of ${join(dir, 'pki', PKI_FILES.ca)}; ` +
        `simulated J-LIS in ${jlis.dir}, records in ${jlis.database}${values['card-factory'] ? '; card factory on' : ''}); Ctrl+C stops it`,
    );
    out(
      `dashboard at ${dashboard.url}/ and metrics at ${dashboard.url}/metrics (fleet records in ${store.where}; ` +
        `${accountsOf(dir).list().length} dashboard account(s); a terminal is stale after ${staleAfter} s)`,
    );
  } catch (error) {
    await closeAll();
    throw error;
  }
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await closeAll();
  out('issuing service stopped');
  return 0;
}

const DEFAULT_DASHBOARD_PORT = 8444;
const DEFAULT_STALE_AFTER_SECONDS = 90;

const accountsOf = (dir: string) => new DashboardAccounts(join(dir, 'dashboard-accounts.json'));

function portOption(name: string, text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${name} must be a port number (got "${text}")`);
  return port;
}

function readToken(path: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new UsageError(`--metrics-token-file: ${path} cannot be read: ${(error as Error).message}`);
  }
  if (!/^[\x21-\x7e]{16,256}$/.test(token))
    throw new UsageError('--metrics-token-file: the token is 16–256 printable characters without spaces');
  return token;
}

/** `service dashboard-account --id <id> [--remove]`: adds an account (or a new passcode), or removes one. */
async function dashboardAccount(argv: string[], out: (line: string) => void, io: PasscodeIo = STANDARD_IO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dir: { type: 'string' }, id: { type: 'string' }, remove: { type: 'boolean', default: false } },
    strict: true,
  });
  if (!values.id) throw new UsageError('--id <account> is required');
  if (!ACCOUNT_ID_PATTERN.test(values.id)) throw new UsageError(`--id is 1–64 of letters, digits and . _ - (got "${values.id}")`);
  const accounts = accountsOf(serviceDir(values.dir));
  if (values.remove) {
    if (!accounts.remove(values.id)) {
      out(`no dashboard account ${values.id}: nothing removed`);
      return 1;
    }
    out(`dashboard account ${values.id} removed: it cannot sign in from now on`);
    return 0;
  }
  const result = accounts.set(values.id, hashPasscode(await readNewPasscode(io, 'dashboard passcode', values.id)));
  const what = result === 'added' ? 'added' : 'given a new passcode';
  out(`dashboard account ${values.id} ${what} (${accounts.path}; the passcode is kept only as a hash)`);
  return 0;
}

/** The card factory's card: a persona by id, as of a Japan date; an unknown persona is the terminal's mistake (422). */
async function factoryCard(jlis: SimulatedJlis, personaId: string, on: string): Promise<Record<string, unknown>> {
  const persona = listPersonas().find((candidate) => candidate.id === personaId);
  if (!persona) throw new GatewayError('refused', `no persona "${personaId}" (see "myna-kiosk personas")`);
  return (await makeEnrolledCard(jlis, persona, on)).image;
}
