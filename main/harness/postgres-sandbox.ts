/**
 * A private PostgreSQL server for integration tests (never for a terminal or
 * a service in production), started the way the card tests start their own
 * pcscd (pcscd-sandbox.ts):
 *
 *   const postgres = await startPostgres();           // beforeAll
 *   const url = await postgres.createDatabase('t1');  // postgres://postgres@127.0.0.1:<port>/t1
 *   await postgres.stop();                            // afterAll: stopped and its directory removed
 *
 * - Debian's server binaries (`apt-get install postgresql`, which `npm test`
 *   installs), the newest of /usr/lib/postgresql/<version>/bin.
 * - `initdb` into a temporary directory of its own, then `pg_ctl start` with
 *   its own port on 127.0.0.1 only, its socket in that directory, and
 *   trust authentication for loopback (a throwaway server: no password to
 *   keep). fsync is off: a crash loses nothing a test needs.
 * - initdb and postgres refuse to run as root; as root (CI) every command
 *   runs as the `postgres` user that the Debian package creates
 *   (`runuser -u postgres --`), and the directory is chowned to it.
 * - When anything fails, the error says which step and shows PostgreSQL's
 *   own words; nothing is skipped.
 * - A server left running by a test process that exits without `stop` is
 *   stopped on exit.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresOptions {
  /** The port on 127.0.0.1; default: one the system says is free. */
  port?: number;
  /** How long `pg_ctl start` may wait for the server to accept connections. */
  readyTimeoutSeconds?: number;
}

export interface PostgresHandle {
  readonly port: number;
  /** The PostgreSQL version of the binaries, e.g. "15". */
  readonly version: string;
  /** Milliseconds of initdb, and of the start up to accepting connections. */
  readonly timings: { initdbMs: number; startMs: number };
  /** A URL for a database of this server (`postgres` by default), as the postgres superuser. */
  url(database?: string): string;
  /** Creates an empty database; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server as a crash would (immediate: no checkpoint, clients cut) and starts it again on the same data and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** The server's log, for failure messages. */
  output(): string;
}

const DEBIAN_ROOT = '/usr/lib/postgresql';
const SUPERUSER = 'postgres';

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresHandle> {
  const { bin, version } = findServerBinaries();
  const runAs = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-postgres-'));
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  chmodSync(dir, 0o700);
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const port = options.port ?? (await freePort());
  const run = (tool: string, args: string[], step: string) => runTool(join(bin, tool), args, step, runAs !== undefined, dir, log);

  let started = false;
  const stopNow = () => {
    if (!started) return;
    started = false;
    try {
      execFileSync(...command(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], runAs !== undefined), {
        stdio: 'ignore',
      });
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopNow);

  try {
    let mark = performance.now();
    await run('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], 'initdb');
    const initdbMs = performance.now() - mark;
    mark = performance.now();
    const serverOptions = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c max_connections=40'];
    const start = (action: 'start' | 'restart') =>
      run(
        'pg_ctl',
        [
          '-D',
          data,
          '-l',
          log,
          '-w',
          '-t',
          String(options.readyTimeoutSeconds ?? 30),
          ...(action === 'restart' ? ['-m', 'immediate'] : []),
          '-o',
          serverOptions.join(' '),
          action,
        ],
        `${action === 'start' ? 'starting' : 'restarting'} the server on 127.0.0.1:${port}`,
      );
    await start('start');
    started = true;
    const startMs = performance.now() - mark;
    const url = (database = 'postgres') => `postgres://${SUPERUSER}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    return {
      port,
      version,
      timings: { initdbMs, startMs },
      url,
      async createDatabase(name) {
        await run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', SUPERUSER, name], `creating the database ${name}`);
        return url(name);
      },
      async restart() {
        if (!started) throw new Error('the PostgreSQL sandbox is stopped');
        await start('restart');
      },
      async stop() {
        if (!started) return;
        started = false;
        process.removeListener('exit', stopNow);
        try {
          await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop'], 'stopping the server');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      output: () => readLog(log),
    };
  } catch (error) {
    process.removeListener('exit', stopNow);
    stopNow();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The newest Debian PostgreSQL server binaries; a clear error when there are none. */
export function findServerBinaries(root = DEBIAN_ROOT): { bin: string; version: string } {
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter(
          (name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')) && existsSync(join(root, name, 'bin', 'pg_ctl')),
        )
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = versions[0];
  if (!version) {
    throw new Error(
      `no PostgreSQL server binaries in ${root}/<version>/bin: ` +
        `install Debian's server with "apt-get install -y postgresql" (npm test installs it)`,
    );
  }
  return { bin: join(root, version, 'bin'), version };
}

/** As root, the `postgres` user to run the server as (initdb and postgres refuse root); otherwise nobody else. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`running as root, and there is no "${SUPERUSER}" user to run PostgreSQL as (Debian's postgresql package creates it)`);
  }
}

function command(tool: string, args: string[], asPostgres: boolean): [string, string[]] {
  return asPostgres ? ['runuser', ['-u', SUPERUSER, '--', tool, ...args]] : [tool, args];
}

function runTool(tool: string, args: string[], step: string, asPostgres: boolean, cwd: string, log: string): Promise<void> {
  const [file, argv] = command(tool, args, asPostgres);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (!error) return resolve();
      const said = [stderr, stdout, readLog(log)]
        .map((text) => text.trim())
        .filter(Boolean)
        .join('\n');
      reject(new Error(`PostgreSQL sandbox, ${step}: ${error.message.split('\n')[0]}${said ? `\n${said}` : ''}`));
    });
  });
}

function readLog(log: string): string {
  try {
    return readFileSync(log, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
