import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../base/log';
import { openApiDocument, startIssuingService } from '../service/issuing-service';
import { initialisePki, loadPki, PKI_FILES, TERMINAL_ROLES, writeFileAtomically } from '../service/terminal-pki';
import { isTerminalRole, TerminalRegistry } from '../service/terminal-registry';
import { GatewayError } from '../issuance/gateway';
import { makeEnrolledCard } from '../simulation/card-factory';
import { isPostgresUrl } from '../base/sql-database';
import { openSimulatedJlis, type SimulatedJlis } from '../simulation/jlis/service';
import { listPersonas } from '../simulation/personas';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk service …`: the municipality's issuing service and its terminal
 * PKI (docs/issuing-service.md).
 *
 *   service init [--dir <dir>] [--municipality <name>] [--host <name|address>]…
 *   service enrol-terminal --id <id> --role lobby|counter [--dir <dir>] [--out <folder>]
 *   service revoke-terminal --id <id> [--dir <dir>]
 *   service terminals [--dir <dir>] [--json]
 *   service openapi
 *   service [run] [--dir <dir>] [--host 127.0.0.1] [--port 8443] [--sim-dir <dir>] [--database postgres://…] [--card-factory]
 *
 * The service folder is `--dir`, else $MYNA_KIOSK_SERVICE_DIR, else
 * ~/.local/share/myna-kiosk/service: `pki/` (the terminal CA and the
 * server's certificate; keys readable by the owner only) and
 * `terminals.json` (the registry).
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
    },
    strict: true,
  });
  const database = values.database ?? (process.env[DATABASE_ENV] || undefined);
  if (database !== undefined && !isPostgresUrl(database)) {
    throw new UsageError(
      '--database must be a postgres:// or postgresql:// URL (without it, the embedded PGlite in the simulation folder)',
    );
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number (got "${values.port}")`);
  const dir = serviceDir(values.dir);
  const { server } = await loadPki(join(dir, 'pki'));
  const caCertificate = readFileSync(join(dir, 'pki', PKI_FILES.ca), 'utf8');
  const jlis = await openSimulatedJlis(values['sim-dir'], database ? { database } : {});
  const log = createLogger();
  const service = await startIssuingService({
    tls: { server, caCertificate },
    registry: registryOf(dir),
    issuer: jlis,
    log,
    host: values.host,
    port,
    ...(values['card-factory'] ? { cardFactory: (personaId: string, on: string) => factoryCard(jlis, personaId, on) } : {}),
  });
  out(
    `issuing service at ${service.url} (terminals of ${join(dir, 'pki', PKI_FILES.ca)}; ` +
      `simulated J-LIS in ${jlis.dir}, records in ${jlis.database}${values['card-factory'] ? '; card factory on' : ''}); Ctrl+C stops it`,
  );
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await service.close();
  await jlis.close();
  out('issuing service stopped');
  return 0;
}

/** The card factory's card: a persona by id, as of a Japan date; an unknown persona is the terminal's mistake (422). */
async function factoryCard(jlis: SimulatedJlis, personaId: string, on: string): Promise<Record<string, unknown>> {
  const persona = listPersonas().find((candidate) => candidate.id === personaId);
  if (!persona) throw new GatewayError('refused', `no persona "${personaId}" (see "myna-kiosk personas")`);
  return (await makeEnrolledCard(jlis, persona, on)).image;
}
