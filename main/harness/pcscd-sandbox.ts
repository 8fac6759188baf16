/**
 * A pcscd of our own with two vpcd virtual readers, for integration tests,
 * the card benchmarks and `session --pcsc` (never for a terminal in service):
 *
 *   const pcscd = await startPcscd();      // beforeAll
 *   await pcscd.stop(); await pcscd.start(); // a restart, same readers and ports
 *   await pcscd.stop();                    // afterAll
 *
 * What the vpcd driver (vsmartcard-vpcd 0.8, ifd-vpcd.c) does with reader.conf:
 * - DEVICENAME "/dev/null:PORT" is server mode: the driver listens on PORT for
 *   slot 0 and PORT+1 for slot 1 (Debian builds two slots per entry), and the
 *   card side connects. Any other "host:PORT" is client mode: vpcd connects
 *   out to host:PORT. Without ":PORT" it uses 35963.
 * - CHANNELID is ignored: the driver is an IFD handler v3, so pcscd calls
 *   IFDHCreateChannelByName with DEVICENAME whenever DEVICENAME is set.
 * - Server mode binds INADDR_ANY and reader.conf cannot change that, so the
 *   LD_PRELOAD shim (main/harness/pcscd-sandbox-shim.c) rewrites vpcd's
 *   bind() to 127.0.0.1, alongside setting TCP_NODELAY on accepted sockets.
 * - Reader names are "<FRIENDLYNAME> <reader index> <slot>", e.g.
 *   "myna-kiosk test reader 00 01".
 *
 * By default it takes the system's socket path (/run/pcscd/pcscd.comm), so
 * every client of the machine — the tests' PcscReader, `card status` — sees
 * it, and it refuses to start beside another pcscd. With `privateSocket` it
 * has a socket of its own in a temporary folder (the shim moves pcscd's
 * /run/pcscd there) and no USB readers, runs beside the system's pcscd or
 * another sandbox, and only this process reaches it: startPcscd sets
 * PCSCLITE_CSOCK_NAME, which libpcsclite reads once per process, so a process
 * talks to one pcscd for its whole life.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PcscdOptions {
  /** First of two consecutive loopback ports for the vpcd slots; default: the first free pair from 35990. */
  basePort?: number;
  friendlyName?: string;
  readyTimeoutMs?: number;
  /** After this long without exiting on SIGTERM, pcscd gets SIGKILL. */
  stopTimeoutMs?: number;
  /** A socket of its own that only this process uses, instead of the system's; no USB readers. */
  privateSocket?: boolean;
}

export interface PcscdHandle {
  /** PID of the current pcscd (a new one after each start). */
  readonly pid: number;
  readonly running: boolean;
  /** Sorted; readerNames[i] is served on vpcdPorts[i]. */
  readonly readerNames: string[];
  readonly vpcdPorts: number[];
  /** Milliseconds from spawn to both readers listed, for the last start. */
  readonly readyMs: number;
  /** Where its clients connect: the system's path, or the private socket's. */
  readonly socketPath: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** pcscd's recent output, for failure messages. */
  output(): string;
}

const REPO_ROOT = findRepoRoot();
const SHIM_SOURCE = join(REPO_ROOT, 'main/harness/pcscd-sandbox-shim.c');
const CACHE_DIR = join(REPO_ROOT, 'node_modules/.cache/myna-kiosk');
const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
/** The shim moves pcscd's /run/pcscd into the folder this names (pcscd-sandbox-shim.c). */
const PRIVATE_RUN_DIR_VARIABLE = 'MYNA_KIOSK_PCSCD_RUN_DIR';
// sockaddr_un's sun_path holds 108 bytes with the terminating NUL.
const MAX_SOCKET_PATH = 107;
const DEFAULT_BASE_PORT = 35990; // away from vpcd's defaults 35963/35964
const VPCD_DRIVER_CANDIDATES = [
  '/usr/lib/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/lib/x86_64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/lib/aarch64-linux-gnu/pcsc/drivers/serial/libifdvpcd.so',
  '/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so',
];

export async function startPcscd(options: PcscdOptions = {}): Promise<PcscdHandle> {
  const pcscd = new PcscdProcess(options, await choosePorts(options.basePort));
  await pcscd.start();
  return pcscd;
}

class PcscdProcess implements PcscdHandle {
  readonly vpcdPorts: number[];
  readerNames: string[] = [];
  readyMs = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private configDir: string | undefined;
  private log = '';
  private readonly friendlyName: string;
  /** The private socket's folder: kept for the handle's life (clients keep the path), emptied by stop(). */
  private readonly runDir: string | undefined;
  private readonly killOnExit = (): void => {
    try {
      if (this.child?.pid) process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };

  constructor(
    private readonly options: PcscdOptions,
    basePort: number,
  ) {
    this.vpcdPorts = [basePort, basePort + 1];
    this.friendlyName = options.friendlyName ?? 'myna-kiosk test reader';
    if (options.privateSocket) {
      this.runDir = mkdtempSync(join(tmpdir(), 'myna-kiosk-pcscd-run-'));
      if (this.socketPath.length > MAX_SOCKET_PATH) {
        rmSync(this.runDir, { recursive: true, force: true });
        throw new Error(
          `the private pcscd socket ${this.socketPath} is longer than ${MAX_SOCKET_PATH} bytes: set TMPDIR to a shorter folder`,
        );
      }
      const chosen = process.env.PCSCLITE_CSOCK_NAME;
      if (chosen !== undefined) {
        rmSync(this.runDir, { recursive: true, force: true });
        throw new Error(
          `this process already talks to the pcscd at ${chosen} (PCSCLITE_CSOCK_NAME); a private pcscd needs a process of its own`,
        );
      }
      process.env.PCSCLITE_CSOCK_NAME = this.socketPath;
    }
  }

  get socketPath(): string {
    return this.runDir ? join(this.runDir, 'pcscd.comm') : PCSCD_SOCKET;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const binary = findPcscd();
    const driver = findVpcdDriver();
    const shim = buildShim();
    if (this.runDir) mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    else refuseIfPcscdRunning();
    this.configDir = mkdtempSync(join(tmpdir(), 'myna-kiosk-pcscd-'));
    writeFileSync(
      join(this.configDir, 'vpcd'),
      [`FRIENDLYNAME "${this.friendlyName}"`, `DEVICENAME   /dev/null:${this.vpcdPorts[0]}`, `LIBPATH      ${driver}`, ''].join('\n'),
    );

    const startedAt = performance.now();
    this.log = '';
    const child = spawn(binary, ['--foreground', '--config', this.configDir], {
      env: { ...process.env, LD_PRELOAD: shim, ...(this.runDir ? { [PRIVATE_RUN_DIR_VARIABLE]: this.runDir } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Without a reader the pipes fill up and pcscd blocks on its own log.
    const keep = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString()).slice(-16_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.log += `\n[pcscd exited: ${signal ?? `code ${code}`}]`;
        if (this.child === child) this.child = undefined;
        process.off('exit', this.killOnExit);
        resolve();
      });
    });
    // A crashed test worker must not leave a pcscd holding the one socket path.
    process.on('exit', this.killOnExit);

    try {
      this.readerNames = await this.waitForReaders(startedAt);
      this.readyMs = performance.now() - startedAt;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    const exited = this.exited;
    if (child?.pid && exited) {
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), delay(this.options.stopTimeoutMs ?? 5_000).then(() => false)]);
      if (!stopped) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    if (this.configDir) rmSync(this.configDir, { recursive: true, force: true });
    this.configDir = undefined;
    if (this.runDir) rmSync(this.runDir, { recursive: true, force: true });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Ready means what a client sees: both vpcd readers listed through libpcsclite. */
  private async waitForReaders(startedAt: number): Promise<string[]> {
    const smartcard = loadSmartcard();
    const deadline = startedAt + (this.options.readyTimeoutMs ?? 10_000);
    let lastError = 'socket not created yet';
    while (performance.now() < deadline) {
      if (!this.child) throw new Error(`pcscd exited during start-up:\n${this.log}`);
      if (existsSync(this.socketPath)) {
        try {
          const context = new smartcard.Context();
          try {
            const listed = context.listReaders().map((reader) => reader.name);
            const names = listed.filter((name) => name.startsWith(`${this.friendlyName} `)).sort();
            // A private pcscd serves our readers alone: anything else listed means another pcscd answered.
            if (this.runDir && names.length < listed.length) {
              throw new ForeignPcscdError(`the pcscd at ${this.socketPath} lists readers that are not its own: ${JSON.stringify(listed)}`);
            }
            if (names.length === this.vpcdPorts.length) return names;
            lastError = `readers listed so far: ${JSON.stringify(names)}`;
          } finally {
            context.close();
          }
        } catch (error) {
          if (error instanceof ForeignPcscdError) throw error;
          lastError = error instanceof Error ? error.message : String(error);
        }
      }
      await delay(10);
    }
    throw new Error(`pcscd not ready after ${this.options.readyTimeoutMs ?? 10_000} ms (${lastError}):\n${this.log}`);
  }
}

class ForeignPcscdError extends Error {}

function findPcscd(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  const found = dirs.map((dir) => join(dir, 'pcscd')).find((path) => existsSync(path));
  if (!found) throw new Error('pcscd not found: install the Debian package "pcscd" (apt-get install -y pcscd)');
  return found;
}

function findVpcdDriver(): string {
  const found = VPCD_DRIVER_CANDIDATES.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      `vpcd driver (libifdvpcd.so) not found in ${VPCD_DRIVER_CANDIDATES.join(', ')}: ` +
        'install the Debian package "vsmartcard-vpcd" (apt-get install -y vsmartcard-vpcd)',
    );
  }
  return found;
}

/** Compiles the shim into the cache, only when the source is newer than the library. */
function buildShim(): string {
  const output = join(CACHE_DIR, 'libpcscd-sandbox.so');
  if (existsSync(output) && statSync(output).mtimeMs >= statSync(SHIM_SOURCE).mtimeMs) return output;
  mkdirSync(CACHE_DIR, { recursive: true });
  // Build beside the target and rename, so a concurrent run never preloads a half-written file.
  const partial = `${output}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', partial, SHIM_SOURCE, '-ldl'], { stdio: 'pipe' });
  } catch (error) {
    const detail = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('cc not found: install the Debian package "gcc" (apt-get install -y gcc)');
    }
    throw new Error(`building ${SHIM_SOURCE} failed:\n${detail}`);
  }
  renameSync(partial, output);
  return output;
}

/** Only one pcscd can have the system's socket path; never take over someone else's (a private sandbox's is no matter). */
function refuseIfPcscdRunning(): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    let stat: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // A zombie (state Z, after the closing parenthesis) holds no socket.
    if (comm === 'pcscd' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z' && !isPrivateSandbox(entry)) {
      throw new Error(
        `another pcscd is already running (PID ${entry}); the test pcscd needs the same socket ${PCSCD_SOCKET}. ` +
          `Stop it first (systemctl stop pcscd.socket pcscd, or kill ${entry}).`,
      );
    }
  }
}

function isPrivateSandbox(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .some((entry) => entry.startsWith(`${PRIVATE_RUN_DIR_VARIABLE}=`));
  } catch {
    return false; // not ours to read, or gone: count it as the system's
  }
}

async function choosePorts(basePort: number | undefined): Promise<number> {
  if (basePort !== undefined) {
    if (!((await portFree(basePort)) && (await portFree(basePort + 1)))) {
      throw new Error(`ports ${basePort}/${basePort + 1} on 127.0.0.1 are in use`);
    }
    return basePort;
  }
  for (let port = DEFAULT_BASE_PORT; port < DEFAULT_BASE_PORT + 40; port += 2) {
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error(`no two free consecutive ports on 127.0.0.1 from ${DEFAULT_BASE_PORT}`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

interface ListingContext {
  listReaders(): { name: string }[];
  close(): void;
}

function loadSmartcard(): { Context: new () => ListingContext } {
  try {
    return createRequire(import.meta.url)('smartcard') as { Context: new () => ListingContext };
  } catch (error) {
    throw new Error(
      'the "smartcard" binding did not load; it is an optional npm dependency that compiles at install time ' +
        '(needs the Debian packages libpcsclite-dev, g++, make, python3): ' +
        (error instanceof Error ? error.message : String(error)),
    );
  }
}

/** From the source tree or from the bundle in out/main/: the folder with our package.json. */
function findRepoRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'myna-kiosk') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the myna-kiosk checkout (the pcscd sandbox is a development tool)');
    dir = parent;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
