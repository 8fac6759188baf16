import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLogger } from '../base/log';
import { IssuerChannelClient } from '../card/issuer-channel-client';
import { VIRTUAL_READER_NAME, VirtualReader } from '../card/virtual-reader';
import { normaliseSerial } from '../domain/certificate-serial';
import { GatewayError } from '../issuance/gateway';
import { IssuingServiceClient } from '../issuance/service-client';
import { startIssuingService, type RunningIssuingService } from '../service/issuing-service';
import { serviceUrlOf } from '../harness/service-process';
import { initialisePki, loadPki, PKI_FILES, type KeyPairPem } from '../service/terminal-pki';
import { TerminalRegistry } from '../service/terminal-registry';
import { RenewalError, runRenewal } from '../session/renewal';
import type { CardImage } from '../simulation/card/card-image';
import { VirtualMyNumberCard } from '../simulation/card/virtual-my-number-card';
import { loadPersona, resolvePersona, type ResolvedPersona } from '../simulation/personas';
import { SimulatedJlis } from '../simulation/jlis/service';
import { openSimulatedWorld, type SimulatedWorld } from '../simulation/world';
import { openTerminalRecords, type TerminalRecords } from '../store/terminal-records';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk bench service [--json] [--terminals 50] [--renewals-per-terminal 2]
 *                          [--service-process] [--database <url>] [--persona standard-in-window]`
 *
 * The issuing service under load (docs/performance.md, "Issuing service"):
 * N simulated terminals — each with its own client certificate enrolled in
 * the registry, its own `IssuingServiceClient`, its own kiosk records
 * (journal and audit chain) and its own virtual cards (fresh persona cards)
 * — renew at the same time against ONE service on loopback, end to end with
 * `runRenewal`. It reports renewals per minute, the service's own time per
 * call per route (from its `service-request` log lines), the service's CPU
 * per renewal (only with `--service-process`: the service then runs as
 * `myna-kiosk service` in a process of its own, read from /proc), errors by
 * kind, and — from the issuing side's records, not from the clients — double
 * issuances and double revocations. A script that measures, not a test; it
 * exits 1 only when the records show a double issuance or revocation.
 *
 * The order of work lets the service process and this one share the
 * simulated J-LIS without both holding it open: this process makes and
 * enrols every card, closes its J-LIS, starts the service, runs the
 * renewals (the terminals need no J-LIS of their own), stops the service,
 * and only then reads the records.
 */

const DEFAULTS = { terminals: 50, renewalsPerTerminal: 2, persona: 'standard-in-window' };
/** Generous: the cards' RSA key generation blocks this process's event loop (see the docs), and a retry would blur the counts. */
const CLIENT_TIMEOUT_MS = 30_000;

export async function runBenchService(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      terminals: { type: 'string', default: String(DEFAULTS.terminals) },
      'renewals-per-terminal': { type: 'string', default: String(DEFAULTS.renewalsPerTerminal) },
      'service-process': { type: 'boolean', default: false },
      database: { type: 'string' },
      persona: { type: 'string', default: DEFAULTS.persona },
    },
    strict: true,
  });
  const terminals = wholeNumber(values.terminals, '--terminals', 1, 999);
  const renewalsPerTerminal = wholeNumber(values['renewals-per-terminal'], '--renewals-per-terminal', 1, 1000);
  const serviceProcess = values['service-process'];
  if (values.database !== undefined && !serviceProcess)
    throw new UsageError('--database is passed to the service process: add --service-process');
  const persona = resolvePersona(loadPersona(values.persona));
  if (!persona.pins?.authentication) throw new UsageError(`persona ${values.persona} has no authentication PIN: it cannot renew`);

  const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-bench-service-'));
  const simDir = join(work, 'sim');
  const serviceDir = join(work, 'service');
  // What to release, last first, however far the run got.
  const releases: (() => unknown)[] = [];
  try {
    // 1. The cards, made and enrolled by this process's J-LIS (not timed).
    const setupStarted = performance.now();
    const world = await openIssuingSide(simDir, values.database);
    let worldOpen = true;
    releases.push(() => worldOpen && world.close());
    const cards = await makeCards(world, persona, terminals * renewalsPerTerminal);

    // 2. The service's PKI and one enrolled certificate per terminal.
    await initialisePki(join(serviceDir, 'pki'), { municipality: 'Bench City', hosts: ['127.0.0.1'] });
    const { ca, server } = await loadPki(join(serviceDir, 'pki'));
    const caCertificate = readFileSync(join(serviceDir, 'pki', PKI_FILES.ca), 'utf8');
    const registry = new TerminalRegistry(join(serviceDir, 'terminals.json'));
    const fleet: Terminal[] = [];
    for (let index = 0; index < terminals; index++) {
      const id = `bench-lobby-${String(index + 1).padStart(3, '0')}`;
      const issued = await ca.issueTerminal(id, 'lobby');
      registry.enrol({ id, role: 'lobby', serialNumber: issued.serialNumber, notAfter: issued.notAfter.toISOString() });
      const folder = join(work, 'terminals', id);
      mkdirSync(folder, { recursive: true });
      fleet.push({
        id,
        certificate: issued,
        records: openTerminalRecords({ terminalId: id, dbPath: join(folder, 'kiosk.sqlite') }),
        cards: cards.slice(index * renewalsPerTerminal, (index + 1) * renewalsPerTerminal),
      });
      releases.push(() => fleet[index]!.records.close());
    }

    // 3. The service: in a process of its own (this process's J-LIS closed first), or here on this world's J-LIS.
    let service: BenchService;
    if (serviceProcess) {
      worldOpen = false;
      await world.close();
      service = await ServiceChild.start(serviceDir, simDir, values.database);
    } else {
      service = await InProcessService.start({ server, caCertificate }, registry, world);
      worldOpen = false;
    }
    releases.push(() => service.stop());
    const clients = fleet.map(
      (terminal) =>
        new IssuingServiceClient({
          url: service.url,
          tls: { certificate: terminal.certificate.certificate, key: terminal.certificate.key, ca: caCertificate },
          timeoutMs: CLIENT_TIMEOUT_MS,
          backoffMs: 100,
        }),
    );
    releases.push(() => clients.forEach((client) => client.close()));
    const setupMs = performance.now() - setupStarted;

    // 4. The terminals, all at once.
    const cpuBefore = service.cpu();
    const processCpuBefore = process.cpuUsage();
    const loadBefore = loadavg()[0]!;
    const started = performance.now();
    const results = (await Promise.all(fleet.map((terminal, index) => runTerminal(terminal, clients[index]!, persona)))).flat();
    const wallMs = performance.now() - started;
    const cpuAfter = service.cpu();
    const processCpu = process.cpuUsage(processCpuBefore);
    const loadAfter = loadavg()[0]!;
    const serviceLog = await service.stop();

    // 5. What the issuing side recorded (its own records, after the service stopped).
    const done = results.flatMap((result) => (result.outcome ? [result.outcome] : []));
    const integrity = await recordedIntegrity(simDir, values.database, done);

    const errors: Record<string, number> = {};
    for (const result of results) if (result.error) errors[result.error] = (errors[result.error] ?? 0) + 1;
    const cpuMs = cpuBefore && cpuAfter ? cpuAfter.user - cpuBefore.user + (cpuAfter.system - cpuBefore.system) : undefined;
    const report = {
      mode: serviceProcess ? 'service-process' : 'in-process',
      persona: persona.id,
      terminals,
      renewalsPerTerminal,
      kioskRecords: 'one journal and audit chain per terminal (a SQLite file each)',
      database: values.database ? redactPassword(values.database) : 'the simulated J-LIS in the simulation folder (embedded PGlite)',
      machine: { cpus: cpus().length, node: process.version, loadAverage1m: { before: round(loadBefore, 2), after: round(loadAfter, 2) } },
      setupMs: round(setupMs),
      wallMs: round(wallMs),
      renewals: { attempted: results.length, done: done.length, failed: results.length - done.length },
      renewalsPerMinute: round((done.length / wallMs) * 60_000),
      renewalMs: summary(results.map((result) => result.ms)),
      service: {
        calls: serviceLog.length,
        all: summary(serviceLog.map((line) => line.ms)),
        perRoute: perRoute(serviceLog),
        cpu:
          cpuMs === undefined
            ? null
            : { totalMs: round(cpuMs), perRenewalMs: done.length > 0 ? round(cpuMs / done.length) : null, peakRssMb: service.peakRssMb },
        cpuNote:
          cpuMs === undefined
            ? 'not separable: the service runs in this process (use --service-process)'
            : 'the service process alone: utime + stime from /proc over the renewals',
      },
      benchProcessCpuMs: round((processCpu.user + processCpu.system) / 1000),
      errors,
      integrity,
    };
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
    return integrity.doubleIssuances === 0 && integrity.doubleRevocations === 0 ? 0 : 1;
  } finally {
    for (const release of releases.reverse()) await release();
    rmSync(work, { recursive: true, force: true });
  }
}

interface Terminal {
  id: string;
  certificate: KeyPairPem;
  records: TerminalRecords;
  cards: CardImage[];
}

// ---------------------------------------------------------------------------
// The issuing side's records.

/**
 * The simulated J-LIS this process enrols the cards in: its records in the
 * simulation folder's embedded PGlite (one process at a time: this one
 * closes it before the service process opens it), or on the PostgreSQL
 * server of `database`, which the service process then shares.
 */
function openIssuingSide(simDir: string, database: string | undefined): Promise<SimulatedWorld> {
  return openSimulatedWorld({ terminalId: 'bench-service-enrolment', simDir, ...(database ? { database } : {}) });
}

/** Fresh cards, each enrolled: a renewed card is out of its window, so every renewal has its own. */
async function makeCards(world: SimulatedWorld, persona: ResolvedPersona, count: number): Promise<CardImage[]> {
  const images: CardImage[] = [];
  // A few at a time: their RSA keys are generated on libuv's threads.
  for (let first = 0; first < count; first += 4) {
    const batch = Array.from({ length: Math.min(4, count - first) }, () => world.freshCard(persona));
    images.push(...(await Promise.all(batch)).map((card) => card.image));
  }
  return images;
}

interface DoneRenewal {
  renewalId: string;
  /** The card's certificates before the renewal, which its confirmation must have revoked, and nothing else. */
  oldSerials: { authentication: string; signature: string | undefined };
}

/**
 * Double issuances and revocations as the issuing side recorded them (its
 * `renewals` and `revocations` tables), read after the service stopped, on
 * the J-LIS opened again here.
 */
async function recordedIntegrity(simDir: string, database: string | undefined, done: DoneRenewal[]) {
  const jlis = await SimulatedJlis.open(simDir, database ? { database } : {});
  try {
    const issuesOf = await jlis.issuesPerRenewal();
    const issues = [...issuesOf.values()];
    // Two live (not voided) issues for one card's certificate: a double issuance under two renewal ids.
    const perCard = await jlis.records.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM renewals WHERE voided_at IS NULL GROUP BY resident_id, authentication_serial HAVING COUNT(*) > 1',
    );
    const revocations = await jlis.records.query<{ ca: string; serial: string; renewalId: string | null }>(
      'SELECT ca, serial, renewal_id AS "renewalId" FROM revocations',
    );
    const certificates = new Map<string, number>();
    for (const row of revocations) certificates.set(`${row.ca}:${row.serial}`, (certificates.get(`${row.ca}:${row.serial}`) ?? 0) + 1);
    // Each done renewal revoked exactly its card's old set, under its own id.
    const revokedBy = new Map<string, string[]>();
    for (const row of revocations)
      if (row.renewalId) revokedBy.set(row.renewalId, [...(revokedBy.get(row.renewalId) ?? []), `${row.ca}:${row.serial}`]);
    const wrongRevocations = done.filter(({ renewalId, oldSerials }) => {
      const expected = [
        `authentication:${oldSerials.authentication}`,
        ...(oldSerials.signature ? [`signature:${oldSerials.signature}`] : []),
      ];
      const revoked = revokedBy.get(renewalId) ?? [];
      return revoked.length !== expected.length || expected.some((key) => !revoked.includes(key));
    }).length;
    return {
      renewalIdsIssued: issuesOf.size,
      issues: issues.reduce((sum, n) => sum + n, 0),
      /** Issues beyond the first under one renewal id, plus second live issues for one card's certificate. */
      doubleIssuances:
        issues.reduce((sum, n) => sum + Math.max(0, n - 1), 0) + perCard.reduce((sum: number, row: { n: number }) => sum + row.n - 1, 0),
      doneWithoutIssue: done.filter(({ renewalId }) => issuesOf.get(renewalId) !== 1).length,
      revocations: revocations.length,
      /** Register rows beyond the first for one certificate (the table's key allows none: checked all the same). */
      doubleRevocations: [...certificates.values()].reduce((sum, n) => sum + n - 1, 0),
      /** Done renewals whose confirmation revoked anything but exactly their card's old certificates. */
      wrongRevocations,
    };
  } finally {
    await jlis.close();
  }
}

// ---------------------------------------------------------------------------
// The service, here or in a process of its own.

interface RequestLine {
  route: string;
  status: number;
  ms: number;
}

interface BenchService {
  readonly url: string;
  /** The service's CPU so far in ms (its own process only). */
  cpu(): { user: number; system: number } | undefined;
  readonly peakRssMb: number | null;
  /** Stops it; resolves with every `service-request` line it logged. */
  stop(): Promise<RequestLine[]>;
}

function requestLine(line: string): RequestLine | undefined {
  if (!line.includes('"service-request"')) return undefined;
  try {
    const parsed = JSON.parse(line) as { event?: string; route?: unknown; status?: unknown; ms?: unknown };
    if (parsed.event !== 'service-request' || typeof parsed.ms !== 'number') return undefined;
    return { route: String(parsed.route), status: Number(parsed.status), ms: parsed.ms };
  } catch {
    return undefined;
  }
}

class InProcessService implements BenchService {
  readonly peakRssMb = null;
  private constructor(
    private readonly running: RunningIssuingService,
    private readonly lines: RequestLine[],
    private readonly world: SimulatedWorld,
  ) {}

  static async start(
    tls: { server: KeyPairPem; caCertificate: string },
    registry: TerminalRegistry,
    world: SimulatedWorld,
  ): Promise<InProcessService> {
    const lines: RequestLine[] = [];
    const running = await startIssuingService({
      tls,
      registry,
      issuer: world.jlis,
      log: createLogger((line) => {
        const request = requestLine(line);
        if (request) lines.push(request);
      }),
      host: '127.0.0.1',
    });
    return new InProcessService(running, lines, world);
  }

  get url(): string {
    return this.running.url;
  }

  cpu(): undefined {
    return undefined;
  }

  #stopped: Promise<RequestLine[]> | undefined;
  stop(): Promise<RequestLine[]> {
    this.#stopped ??= (async () => {
      await this.running.close();
      await this.world.close();
      return this.lines;
    })();
    return this.#stopped;
  }
}

/** `myna-kiosk service` as a child process: the same CLI as this one. */
class ServiceChild implements BenchService {
  readonly #clockTicks = clockTicksPerSecond();
  #peakRssMb: number | null = null;
  #stopped: Promise<RequestLine[]> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly lines: RequestLine[],
    private readonly stderrDone: Promise<unknown>,
  ) {}

  static async start(dir: string, simDir: string, database: string | undefined): Promise<ServiceChild> {
    const args = [
      process.argv[1]!,
      'service',
      '--dir',
      dir,
      '--port',
      '0',
      '--dashboard-port',
      '0',
      '--sim-dir',
      simDir,
      ...(database ? ['--database', database] : []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: RequestLine[] = [];
    const other: string[] = [];
    const stderr = createInterface({ input: child.stderr! });
    stderr.on('line', (line) => {
      const request = requestLine(line);
      if (request) lines.push(request);
      else if (!line.startsWith('{')) other.push(line);
    });
    const stderrDone = once(stderr, 'close');
    const url = await serviceUrlOf(child).catch((error: Error) => {
      throw new Error(`${error.message}: ${other.join(' ').slice(0, 500)}`);
    });
    return new ServiceChild(child, url, lines, stderrDone);
  }

  get peakRssMb(): number | null {
    return this.#peakRssMb;
  }

  /** utime + stime of the service process (fields 14 and 15 of /proc/<pid>/stat), in ms; undefined where there is no /proc. */
  cpu(): { user: number; system: number } | undefined {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      // The command name (field 2) may hold spaces: count from after its closing parenthesis.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = (index: number) => (Number(fields[index - 3]) / this.#clockTicks) * 1000;
      const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) this.#peakRssMb = round(Number(hwm[1]) / 1024);
      return { user: ticks(14), system: ticks(15) };
    } catch {
      return undefined;
    }
  }

  stop(): Promise<RequestLine[]> {
    this.#stopped ??= (async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const exited = once(this.child, 'exit');
        this.child.kill('SIGTERM');
        await exited;
      }
      await this.stderrDone;
      return this.lines;
    })();
    return this.#stopped;
  }
}

function clockTicksPerSecond(): number {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(answer.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

// ---------------------------------------------------------------------------
// The terminals.

interface TerminalResult {
  ms: number;
  outcome?: DoneRenewal;
  error?: string;
}

/** One terminal: its cards one after another, each a whole renewal (PINs verified, status read, runRenewal). */
async function runTerminal(terminal: Terminal, gateway: IssuingServiceClient, persona: ResolvedPersona): Promise<TerminalResult[]> {
  const results: TerminalResult[] = [];
  const { journal, audit } = terminal.records;
  for (const image of terminal.cards) {
    const started = performance.now();
    const reader = new VirtualReader();
    reader.insert(new VirtualMyNumberCard(image));
    try {
      const connection = await reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
      const client = new IssuerChannelClient(connection);
      const pins = persona.pins!;
      await client.verify('authentication', pins.authentication!.value);
      const signature = pins.signature !== undefined && image.jpki?.signature.certificate !== undefined;
      if (signature) await client.verify('signature', pins.signature!.value);
      const status = await client.readStatus();
      const identity = {
        tokenLabel: status.tokenLabel!,
        authenticationSerial: normaliseSerial(status.authenticationCertificate!.serialNumber),
      };
      const renewalId = journal.beginRenewal(identity, 'in-person');
      const outcome = await runRenewal(
        {
          client,
          gateway,
          journal,
          audit,
          now: () => new Date(),
          replaceRenewal: (old) => {
            journal.abandon(old, 'rolled-back');
            return journal.beginRenewal(identity, 'in-person');
          },
        },
        { renewalId, oldAuthenticationSerial: identity.authenticationSerial, signature, route: 'in-person' },
      );
      await connection.disconnect({ unpower: true });
      results.push({
        ms: performance.now() - started,
        outcome: {
          renewalId: outcome.renewalId,
          oldSerials: { authentication: identity.authenticationSerial, signature: signature ? signatureSerialOf(image) : undefined },
        },
      });
    } catch (error) {
      results.push({ ms: performance.now() - started, error: errorKind(error) });
    } finally {
      await reader.stop();
    }
  }
  return results;
}

function signatureSerialOf(image: CardImage): string | undefined {
  const base64 = image.jpki?.signature.certificate;
  return base64 ? normaliseSerial(new X509Certificate(Buffer.from(base64, 'base64')).serialNumber) : undefined;
}

/** An error's kind, never its message (which may carry a serial): the step and the gateway's failure, or the error's name. */
function errorKind(error: unknown): string {
  if (error instanceof RenewalError) {
    const cause = error.cause;
    return `${error.step}: ${cause instanceof GatewayError ? cause.failure : ((cause as Error | undefined)?.name ?? 'card')}`;
  }
  return (error as Error).name ?? 'unknown';
}

// ---------------------------------------------------------------------------
// Figures.

interface Summary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank percentiles. */
function summary(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? null : round(sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!));
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

function perRoute(lines: RequestLine[]): Record<string, Summary & { statuses: Record<string, number> }> {
  const routes: Record<string, RequestLine[]> = {};
  for (const line of lines) (routes[line.route] ??= []).push(line);
  return Object.fromEntries(
    Object.entries(routes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([route, entries]) => {
        const statuses: Record<string, number> = {};
        for (const entry of entries) statuses[entry.status] = (statuses[entry.status] ?? 0) + 1;
        return [route, { ...summary(entries.map((entry) => entry.ms)), statuses }];
      }),
  );
}

function describe(report: {
  mode: string;
  terminals: number;
  renewalsPerTerminal: number;
  wallMs: number;
  renewals: { attempted: number; done: number; failed: number };
  renewalsPerMinute: number;
  renewalMs: Summary;
  service: {
    calls: number;
    all: Summary;
    perRoute: Record<string, Summary>;
    cpu: { perRenewalMs: number | null; totalMs: number } | null;
    cpuNote: string;
  };
  errors: Record<string, number>;
  integrity: { issues: number; doubleIssuances: number; doubleRevocations: number; wrongRevocations: number; doneWithoutIssue: number };
}): string {
  const timing = (s: Summary) => `p50 ${s.p50} ms, p99 ${s.p99} ms, max ${s.max} ms (${s.count})`;
  return [
    `Issuing service under load (${report.mode}): ${report.terminals} terminals × ${report.renewalsPerTerminal} renewals`,
    `renewals done ${report.renewals.done} of ${report.renewals.attempted} in ${(report.wallMs / 1000).toFixed(1)} s: ` +
      `${report.renewalsPerMinute} per minute`,
    `a renewal at a terminal, end to end: ${timing(report.renewalMs)}`,
    `the service's own time per call, all routes: ${timing(report.service.all)}`,
    ...Object.entries(report.service.perRoute).map(([route, s]) => `  ${route}: ${timing(s)}`),
    report.service.cpu
      ? `the service's CPU: ${report.service.cpu.totalMs} ms in all, ${report.service.cpu.perRenewalMs} ms per renewal`
      : `the service's CPU: ${report.service.cpuNote}`,
    `errors: ${
      Object.keys(report.errors).length === 0
        ? 'none'
        : Object.entries(report.errors)
            .map(([kind, n]) => `${kind} ×${n}`)
            .join(', ')
    }`,
    `issuing side's records: ${report.integrity.issues} issues, double issuances ${report.integrity.doubleIssuances}, ` +
      `double revocations ${report.integrity.doubleRevocations}, renewals revoking other than their old set ` +
      `${report.integrity.wrongRevocations}, done without exactly one issue ${report.integrity.doneWithoutIssue}`,
    '',
  ].join('\n');
}

function wholeNumber(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`${option} must be a whole number ${min}–${max} (got "${text}")`);
  return value;
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
