import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditChain, AuditError, GENESIS_HASH, type ExportFormat } from '../store/audit';
import { IssuingServiceClient } from '../issuance/service-client';
import { loadTerminalConfig, readServiceConnection, serviceOfTerminalFolder } from '../kiosk/config';
import { openKioskDatabase, resolveDatabasePath, schemaFindings, type KioskDatabase } from '../store/database';
import { PKI_FILES } from '../service/terminal-pki';
import { serviceDir } from './service';
import { firstLine, typedHidden, STANDARD_IO, type PasscodeIo } from './staff-passcode';
import { UsageError } from './usage-error';
import { createLogger } from '../base/log';
import { FleetReporter } from '../kiosk/fleet-reporter';
import { AuditOutbox } from '../store/audit-outbox';

/**
 * `myna-kiosk audit verify [--db <path>] [--service <url> --terminal <folder> | --config <terminal.json>]`
 * `myna-kiosk audit export --from <date> --to <date> --format csv|jsonl [--db <path>] [--out <file>]`
 *
 * Staff and auditors check the audit chain and take a period out of it.
 * The database is `--db`, else `$MYNA_KIOSK_DB`, else `kiosk.sqlite` in the
 * data folder (`$MYNA_KIOSK_DATA_DIR`, else ~/.local/share/myna-kiosk). It is
 * never created here: a wrong path is an error, not an empty, "intact" log.
 */

export interface AuditCliIo {
  env?: NodeJS.ProcessEnv;
  /** Where `audit export --service` reads the account's passcode (typed without echo, or stdin's first line). */
  passcode?: PasscodeIo;
  /** Where the report goes (standard output by default). */
  write?: (text: string) => void;
}

/** A terminal's database and, optionally, its issuing service: the options of `audit verify` and `audit ship`. */
const TERMINAL_FILE_OPTIONS = {
  db: { type: 'string' },
  service: { type: 'string' },
  terminal: { type: 'string' },
  config: { type: 'string' },
} as const;

const writeStdout = (text: string) => {
  process.stdout.write(text);
};

export async function runAuditVerify(argv: string[], io: AuditCliIo = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: TERMINAL_FILE_OPTIONS,
    strict: true,
  });
  const write = io.write ?? writeStdout;
  const connection = serviceConnectionOf(values);
  const path = values.db ?? resolveDatabasePath(io.env ?? process.env);
  // Opened even when its guards are gone, to say so (the kiosk itself refuses such a file).
  const db = openKioskDatabase(path, { create: false, inspect: true });
  let broken = false;
  try {
    for (const finding of schemaFindings(db)) {
      write(`audit schema TAMPERED: ${finding} (${path})\n`);
      broken = true;
    }
    const chain = chainOf(db);
    const result = chain.verify();
    if (result.ok) write(`audit chain intact: ${result.rows} row${result.rows === 1 ? '' : 's'}, head ${result.headHash} (${path})\n`);
    else {
      write(`audit chain BROKEN at row ${result.firstBrokenSeq} (${result.reason}): ${result.message} (${path})\n`);
      broken = true;
    }
    if (connection) {
      const client = new IssuingServiceClient({ ...connection, attempts: 1 });
      try {
        const anchored = await compareWithService(chain, new AuditOutbox(db, chain).chainId(), client);
        write(`${anchored.line}\n`);
        broken ||= !anchored.ok;
      } finally {
        client.close();
      }
    }
    return broken ? 1 : 0;
  } finally {
    db.close();
  }
}

/**
 * The local chain against the copy the issuing service holds (docs/fleet.md,
 * "The head anchored off the terminal"): every row the service holds must
 * be here, unchanged. The first that is missing or differs is named; rows
 * the service does not have yet are only the outbox's backlog.
 */
async function compareWithService(
  chain: AuditChain,
  chainId: string,
  client: IssuingServiceClient,
): Promise<{ ok: boolean; line: string }> {
  const local = chain.head();
  let after = 0;
  let serviceHead = { seq: 0, hash: GENESIS_HASH };
  for (;;) {
    const page = await client.auditHashes(chainId, after, 1000);
    serviceHead = page.head;
    if (page.hashes.length === 0) break;
    const mine = new Map(chain.hashesAfter(after, page.hashes.length).map((entry) => [entry.seq, entry.hash]));
    for (const held of page.hashes) {
      const hash = mine.get(held.seq);
      if (hash === held.hash) continue;
      const what =
        hash === undefined
          ? `row ${held.seq} is gone here but the service holds it: rows from ${held.seq} were removed or the file was rolled back ` +
            `(the service holds rows up to ${serviceHead.seq}, this file up to ${local.seq})`
          : `row ${held.seq} differs from the copy the service holds: the chain was rewritten from row ${held.seq}`;
      return { ok: false, line: `audit chain BROKEN against the issuing service's copy at row ${held.seq}: ${what}` };
    }
    after = page.hashes.at(-1)!.seq;
  }
  const pending = Math.max(0, local.seq - serviceHead.seq);
  return {
    ok: true,
    line:
      `audit chain matches the issuing service's copy: rows 1–${serviceHead.seq} held there` +
      (pending > 0 ? `; ${pending} row${pending === 1 ? '' : 's'} not delivered yet` : ''),
  };
}

/** `--service <url> --terminal <folder>`, or a terminal config's `service` (`--config`); neither: no anchor. */
function serviceConnectionOf(values: { service?: string; terminal?: string; config?: string }) {
  if ((values.service === undefined) !== (values.terminal === undefined))
    throw new UsageError('--service <https url> and --terminal <folder written by "myna-kiosk service enrol-terminal"> go together');
  if (values.service !== undefined && values.terminal !== undefined)
    return readServiceConnection(serviceOfTerminalFolder(values.service, values.terminal));
  if (values.config !== undefined) {
    const config = loadTerminalConfig(values.config);
    if (!config.service) throw new UsageError(`${values.config} names no issuing service: nothing to compare the chain with`);
    return readServiceConnection(config.service);
  }
  return undefined;
}

export async function runAuditExport(argv: string[], io: AuditCliIo = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      db: { type: 'string' },
      out: { type: 'string' },
      service: { type: 'string' },
      account: { type: 'string' },
      ca: { type: 'string' },
      dir: { type: 'string' },
    },
    strict: true,
  });
  const write = io.write ?? writeStdout;
  const from = requireDate('from', values.from);
  const to = requireDate('to', values.to);
  if (from > to) throw new UsageError(`--from (${from}) is after --to (${to})`);
  if (values.format === undefined) throw new UsageError('--format is required: csv or jsonl');
  if (values.format !== 'csv' && values.format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl (got "${values.format}")`);
  const format: ExportFormat = values.format;
  if (values.service !== undefined) {
    if (values.db !== undefined) throw new UsageError("--db is a terminal's file; --service exports the fleet's rows from the service");
    if (!values.account) throw new UsageError('--account <dashboard account> is required with --service (its passcode: typed, or stdin)');
    const ca = values.ca ?? join(serviceDir(values.dir), 'pki', PKI_FILES.ca);
    const exported = await exportFromService({
      url: values.service,
      account: values.account,
      ca: readPem(ca, values.ca === undefined ? `${ca} (the service folder's CA; or give --ca)` : ca),
      passcode: await readPasscode(io.passcode ?? STANDARD_IO),
      from,
      to,
      format,
    });
    return writeExport(exported, values.out, write, `the fleet's rows (Japan dates ${from} to ${to}, ${format}) from ${values.service}`);
  }

  const path = values.db ?? resolveDatabasePath(io.env ?? process.env);
  const db = openKioskDatabase(path, { create: false });
  try {
    if (values.out === undefined) {
      write(chainOf(db).export({ from, to, format }));
      return 0;
    }
    // Claim the file first (never overwrite an earlier export), so the export is only recorded when it can be written.
    let fd: number;
    try {
      fd = openSync(values.out, 'wx', 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'EEXIST'
          ? `${values.out} already exists; choose another file name`
          : `${values.out} cannot be written: ${(error as Error).message}`,
      );
    }
    let exported: { text: string; rows: number };
    try {
      exported = chainOf(db).exportWithCount({ from, to, format });
      writeSync(fd, exported.text);
    } catch (error) {
      closeSync(fd);
      unlinkSync(values.out);
      throw error;
    }
    closeSync(fd);
    write(`exported ${exported.rows} row${exported.rows === 1 ? '' : 's'} (Japan dates ${from} to ${to}, ${format}) to ${values.out}\n`);
    return 0;
  } finally {
    db.close();
  }
}

function requireDate(name: 'from' | 'to', value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${name} is required: a Japan date as YYYY-MM-DD`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ||
    new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
  ) {
    throw new UsageError(`--${name} must be a real date as YYYY-MM-DD (got "${value}")`);
  }
  return value;
}

/** The chain, appending (for the export record) as the terminal whose log it is. */
function chainOf(db: KioskDatabase): AuditChain {
  const last = db.prepare('SELECT terminal_id FROM audit_log ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined;
  try {
    return new AuditChain(db, { terminalId: last ?? 'unknown' });
  } catch (error) {
    if (error instanceof AuditError) return new AuditChain(db, { terminalId: 'unknown' });
    throw error;
  }
}

/** Writes an export to stdout, or to a new file (never over an earlier export), and says what it did. */
function writeExport(
  exported: { text: string; rows: number },
  out: string | undefined,
  write: (text: string) => void,
  what: string,
): number {
  if (out === undefined) {
    write(exported.text);
    return 0;
  }
  try {
    writeFileSync(out, exported.text, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EEXIST' ? `${out} already exists; choose another file name` : `${out} cannot be written: ${(error as Error).message}`,
    );
  }
  write(`exported ${exported.rows} row${exported.rows === 1 ? '' : 's'}: ${what}, to ${out}\n`);
  return 0;
}

function readPem(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what}: ${(error as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${path} is not a PEM certificate`);
  return text;
}

async function readPasscode(io: PasscodeIo): Promise<string> {
  return io.input.isTTY ? typedHidden(io.input, io.prompt, 'Dashboard passcode: ') : firstLine(io.input);
}

/**
 * The fleet's rows through the service's dashboard listener, as the
 * account given: sign in, export (the service records it against the
 * account), sign out.
 */
async function exportFromService(request: {
  url: string;
  account: string;
  ca: string;
  passcode: string;
  from: string;
  to: string;
  format: ExportFormat;
}): Promise<{ text: string; rows: number }> {
  let base: URL;
  try {
    base = new URL(request.url);
  } catch {
    throw new UsageError(`--service must be the dashboard's address, https://host:port (got "${request.url}")`);
  }
  if (base.protocol !== 'https:') throw new UsageError(`--service must be the dashboard's https:// address (got "${request.url}")`);
  const agent = new Agent({ ca: request.ca, minVersion: 'TLSv1.2' });
  try {
    const post = { 'content-type': 'application/json', 'x-myna-dashboard': '1' };
    const signIn = await call(
      agent,
      new URL('/api/sign-in', base),
      'POST',
      post,
      JSON.stringify({ account: request.account, passcode: request.passcode }),
    );
    if (signIn.status === 401) throw new Error(`the service refused account ${request.account} (wrong account or passcode)`);
    if (signIn.status === 429)
      throw new Error(`account ${request.account} is locked after too many wrong passcodes; try again in 15 minutes`);
    if (signIn.status !== 200) throw new Error(`signing in to ${base.origin} failed (HTTP ${signIn.status})`);
    const cookie = (signIn.headers['set-cookie'] ?? [])[0]?.split(';')[0] ?? '';
    const query = new URLSearchParams({ from: request.from, to: request.to, format: request.format });
    const exported = await call(agent, new URL(`/api/export?${query}`, base), 'GET', { cookie });
    await call(agent, new URL('/api/sign-out', base), 'POST', { ...post, cookie }, '{}').catch(() => undefined);
    if (exported.status !== 200) throw new Error(`the service did not export (HTTP ${exported.status})`);
    return { text: exported.body, rows: Number(exported.headers['x-myna-rows'] ?? 0) };
  } finally {
    agent.destroy();
  }
}

function call(
  agent: Agent,
  url: URL,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolveCall, rejectCall) => {
    const request = httpsRequest(url, { method, agent, headers, timeout: 60_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolveCall({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      response.on('error', rejectCall);
    });
    request.on('timeout', () => request.destroy(new Error(`${url.origin} did not answer within 60 s`)));
    request.on('error', (error) => rejectCall(new Error(`cannot reach ${url.origin}: ${error.message}`)));
    request.end(body);
  });
}

/**
 * `myna-kiosk audit ship [--db <path>] (--service <url> --terminal <folder> | --config <terminal.json>)`
 *
 * Delivers the terminal's audit outbox to its issuing service now, and one
 * heartbeat-free pass only: what the kiosk's reporter does every few
 * seconds, for IT staff before a disk is replaced or a terminal retired, and
 * for a terminal whose kiosk is not running. Exit 0 when the outbox is
 * empty afterwards, 1 when rows are left (service away) or the service
 * reported a chain conflict.
 */
export async function runAuditShip(argv: string[], io: AuditCliIo = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: TERMINAL_FILE_OPTIONS,
    strict: true,
  });
  const write = io.write ?? writeStdout;
  const connection = serviceConnectionOf(values);
  if (!connection)
    throw new UsageError('audit ship needs the issuing service: --service <https url> --terminal <folder>, or --config <terminal.json>');
  const path = values.db ?? resolveDatabasePath(io.env ?? process.env);
  const db = openKioskDatabase(path, { create: false });
  const client = new IssuingServiceClient({ ...connection, attempts: 1 });
  try {
    const chain = chainOf(db);
    const outbox = new AuditOutbox(db, chain);
    const reporter = new FleetReporter({
      channel: client,
      outbox,
      audit: chain,
      // No heartbeat is sent by a single pass; the reporter only needs these for one.
      health: () => {
        throw new Error('audit ship sends no heartbeat');
      },
      appVersion: 'cli',
      configFingerprint: GENESIS_HASH,
      freeDisk: async () => null,
      log: createLogger(undefined, 'warn'),
    });
    const accepted = await reporter.ship();
    const left = outbox.backlog();
    const acknowledged = outbox.acknowledged().seq;
    if (reporter.state === 'conflict') {
      write(
        `audit rows NOT delivered: the issuing service found this chain does not continue the copy it holds (an alert is open there); ` +
          `run "myna-kiosk audit verify" with the same --service to see the first row that differs (${path})\n`,
      );
      return 1;
    }
    write(
      `delivered ${accepted} audit row${accepted === 1 ? '' : 's'}; the service holds rows 1–${acknowledged}` +
        (left > 0 ? `; ${left} row${left === 1 ? '' : 's'} still to deliver (the service did not answer)` : '; nothing left to deliver') +
        ` (${path})\n`,
    );
    return left > 0 ? 1 : 0;
  } finally {
    client.close();
    db.close();
  }
}
