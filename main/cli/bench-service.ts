import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLogger } from '../base/log';
import { DEFAULT_SHIP_POLL_MS } from '../kiosk/fleet-reporter';
import { hashPasscode } from '../base/passcode';
import { IssuerChannelClient } from '../card/issuer-channel-client';
import { VIRTUAL_READER_NAME, VirtualReader } from '../card/virtual-reader';
import { normaliseSerial } from '../domain/certificate-serial';
import { todayInJapan, type JapanDate } from '../domain/japan-calendar';
import { GatewayError } from '../issuance/gateway';
import { IssuingServiceClient } from '../issuance/service-client';
import { DashboardAccounts } from '../service/dashboard-accounts';
import { startIssuingService, type RunningIssuingService } from '../service/issuing-service';
import { serviceAddressesOf } from '../harness/service-process';
import { initialisePki, loadPki, PKI_FILES, type KeyPairPem } from '../service/terminal-pki';
import { TerminalRegistry } from '../service/terminal-registry';
import { RenewalError, runRenewal } from '../session/renewal';
import type { CardImage } from '../simulation/card/card-image';
import { VirtualMyNumberCard } from '../simulation/card/virtual-my-number-card';
import { loadPersona, resolvePersona, type ResolvedPersona } from '../simulation/personas';
import { SimulatedJlis } from '../simulation/jlis/service';
import { openSimulatedWorld, type SimulatedWorld } from '../simulation/world';
import { openTerminalRecords, type TerminalRecords } from '../store/terminal-records';
import {
  benchReporter,
  dashboardCall,
  isolatedCallCosts,
  measureDashboardInChromium,
  openFleetTerminalRecords,
  shipAll,
  signInOverHttps,
  spread,
  timeOverview,
  writeDay,
  type BenchClock,
  type DashboardMeasurement,
  type DayWritten,
  type FleetTerminalRecords,
  type Spread,
} from './bench-fleet';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk bench service [--json] [--terminals 50] [--renewals-per-terminal 2]
 *                          [--service-process] [--database <url>] [--persona standard-in-window]
 *                          [--heartbeat-seconds 30] [--day-sessions 100] [--dashboard-runs 5]`
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
 * exits 1 only when the records show a double issuance or revocation, or
 * when the fleet's audit rows did not all arrive.
 *
 * With `--service-process` it also measures the fleet's reporting
 * (docs/performance.md, "Fleet reporting and the dashboard"): the same load
 * a second time (phase B) with a FleetReporter per terminal shipping its
 * audit rows and heartbeating, the service's added CPU against phase A (no
 * reporters); then a day of sessions per terminal delivered to the service,
 * and the dashboard's first render in Chromium with that day in it.
 *
 * The order of work lets the service process and this one share the
 * simulated J-LIS without both holding it open: this process makes and
 * enrols every card (both phases'), closes its J-LIS, starts the service,
 * runs the renewals (the terminals need no J-LIS of their own), stops the
 * service, and only then reads the records.
 */

const DEFAULTS = {
  terminals: 50,
  renewalsPerTerminal: 2,
  persona: 'standard-in-window',
  heartbeatSeconds: 30,
  daySessions: 100,
  dashboardRuns: 5,
};
/** Generous: the cards' RSA key generation blocks this process's event loop (see the docs), and a retry would blur the counts. */
const CLIENT_TIMEOUT_MS = 30_000;
/** The issue's aims for the fleet: reporting under 10 % of the service's CPU, the dashboard interactive in under 1 s. */
export const FLEET_AIMS = { addedCpuPercent: 10, dashboardMs: 1000 } as const;
/** `GET /api/overview` on its own, this many times one after another. */
const OVERVIEW_REQUESTS = 5;
const FLEET_NEEDS_PROCESS = "fleet figures need --service-process (the service's CPU is only measurable in a process of its own): skipped";
const BENCH_ACCOUNT = 'bench-operator';
/** Heartbeats and small deliveries from every terminal, this many rounds each, to cost each call on its own. */
const ISOLATED_ROUNDS = 4;

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
      'heartbeat-seconds': { type: 'string', default: String(DEFAULTS.heartbeatSeconds) },
      'day-sessions': { type: 'string', default: String(DEFAULTS.daySessions) },
      'dashboard-runs': { type: 'string', default: String(DEFAULTS.dashboardRuns) },
    },
    strict: true,
  });
  const terminals = wholeNumber(values.terminals, '--terminals', 1, 999);
  const renewalsPerTerminal = wholeNumber(values['renewals-per-terminal'], '--renewals-per-terminal', 1, 1000);
  const heartbeatSeconds = wholeNumber(values['heartbeat-seconds'], '--heartbeat-seconds', 1, 3600);
  const daySessions = wholeNumber(values['day-sessions'], '--day-sessions', 1, 1000);
  const dashboardRuns = wholeNumber(values['dashboard-runs'], '--dashboard-runs', 1, 100);
  const serviceProcess = values['service-process'];
  if (values.database !== undefined && !serviceProcess)
    throw new UsageError('--database is passed to the service process: add --service-process');
  const persona = resolvePersona(loadPersona(values.persona));
  if (!persona.pins?.authentication) throw new UsageError(`persona ${values.persona} has no authentication PIN: it cannot renew`);
  // The fleet's figures are the service's CPU with and without reporters: only measurable in a process of its own.
  const withFleet = serviceProcess;

  const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-bench-service-'));
  const simDir = join(work, 'sim');
  const serviceDir = join(work, 'service');
  // What to release, last first, however far the run got.
  const releases: (() => unknown)[] = [];
  try {
    // 1. The cards, made and enrolled by this process's J-LIS (not timed): phase B's too, before the service opens the J-LIS.
    const setupStarted = performance.now();
    const world = await openIssuingSide(simDir, values.database);
    let worldOpen = true;
    releases.push(() => worldOpen && world.close());
    const perPhase = terminals * renewalsPerTerminal;
    // With the fleet, one more card: the service's warm-up renewal (below).
    const cards = await makeCards(world, persona, perPhase * (withFleet ? 2 : 1) + (withFleet ? 1 : 0));

    // 2. The service's PKI and one enrolled certificate per terminal; the dashboard's account.
    await initialisePki(join(serviceDir, 'pki'), { municipality: 'Bench City', hosts: ['127.0.0.1'] });
    const { ca, server } = await loadPki(join(serviceDir, 'pki'));
    const caCertificate = readFileSync(join(serviceDir, 'pki', PKI_FILES.ca), 'utf8');
    const registry = new TerminalRegistry(join(serviceDir, 'terminals.json'));
    const passcode = randomBytes(18).toString('base64url');
    if (withFleet) new DashboardAccounts(join(serviceDir, 'dashboard-accounts.json')).set(BENCH_ACCOUNT, hashPasscode(passcode));
    const fleet: Terminal[] = [];
    for (let index = 0; index < terminals; index++) {
      const id = `bench-lobby-${String(index + 1).padStart(3, '0')}`;
      const issued = await ca.issueTerminal(id, 'lobby');
      registry.enrol({ id, role: 'lobby', serialNumber: issued.serialNumber, notAfter: issued.notAfter.toISOString() });
      const folder = join(work, 'terminals', id);
      mkdirSync(folder, { recursive: true });
      const clock: BenchClock = { at: undefined };
      fleet.push({
        id,
        folder,
        certificate: issued,
        records: openTerminalRecords({ terminalId: id, dbPath: join(folder, 'kiosk.sqlite') }),
        cards: cards.slice(index * renewalsPerTerminal, (index + 1) * renewalsPerTerminal),
        clock,
        // Phase B's records: the same terminal, a kiosk database of its own (phase A's rows are never delivered).
        ...(withFleet
          ? {
              reporting: {
                records: openFleetTerminalRecords(id, join(folder, 'kiosk-fleet.sqlite'), clock),
                cards: cards.slice(perPhase + index * renewalsPerTerminal, perPhase + (index + 1) * renewalsPerTerminal),
              },
            }
          : {}),
      });
      releases.push(() => {
        fleet[index]!.records.close();
        fleet[index]!.reporting?.records.close();
      });
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
    // The service's first calls of each route carry its one-off costs (module and schema set-up, the first queries):
    // phase A would carry them and phase B not, which would hide part of the fleet's added CPU. One renewal and one
    // heartbeat by the first terminal first, not counted (the audit route's first call stays in phase B: against the fleet).
    const warmUp = withFleet ? await warmUpService(service, fleet[0]!, clients[0]!, persona, cards.at(-1)!) : undefined;
    const setupMs = performance.now() - setupStarted;

    // 4. The terminals, all at once (phase A: no reporters, as a terminal without fleet reporting).
    const cpuBefore = service.cpu();
    const processCpuBefore = process.cpuUsage();
    const loadBefore = loadavg()[0]!;
    const started = performance.now();
    const results = (await Promise.all(fleet.map((terminal, index) => runTerminal(terminal, clients[index]!, persona)))).flat();
    const wallMs = performance.now() - started;
    const cpuAfter = service.cpu();
    const processCpu = process.cpuUsage(processCpuBefore);
    const loadAfter = loadavg()[0]!;
    const peakRssMb = service.peakRssMb;
    const phaseALines = await service.settledLineCount();

    // 5. The fleet: phase B with reporters, a day of rows, the dashboard.
    const reportingRun = withFleet
      ? await runFleetPhases({ fleet, clients, service, persona, heartbeatSeconds, daySessions, dashboardRuns, caCertificate, passcode })
      : undefined;
    const serviceLog = await service.stop();
    const phaseALog = serviceLog.slice(warmUp?.lines ?? 0, phaseALines);

    // 6. What the issuing side recorded (its own records, after the service stopped).
    const done = results.flatMap((result) => (result.outcome ? [result.outcome] : []));
    const doneB = reportingRun?.phaseB.results.flatMap((result) => (result.outcome ? [result.outcome] : [])) ?? [];
    const doneWarmUp = warmUp?.result.outcome ? [warmUp.result.outcome] : [];
    const integrity = await recordedIntegrity(simDir, values.database, [...doneWarmUp, ...done, ...doneB]);

    const errors = errorsOf(results);
    const cpuMs = cpuBefore && cpuAfter ? cpuMsBetween(cpuBefore, cpuAfter) : undefined;
    const report = {
      mode: serviceProcess ? 'service-process' : 'in-process',
      persona: persona.id,
      terminals,
      renewalsPerTerminal,
      kioskRecords: 'one journal and audit chain per terminal (a SQLite file each)',
      database: values.database ? redactPassword(values.database) : 'the simulated J-LIS in the simulation folder (embedded PGlite)',
      machine: { cpus: cpus().length, node: process.version, loadAverage1m: { before: round(loadBefore, 2), after: round(loadAfter, 2) } },
      setupMs: round(setupMs),
      ...(warmUp
        ? {
            warmUp: {
              note:
                'one renewal and one heartbeat by the first terminal before phase A, ' +
                "not counted in any figure but the issuing side's records",
              renewalDone: warmUp.result.outcome !== undefined,
              ...(warmUp.result.error ? { error: warmUp.result.error } : {}),
              heartbeatTaken: warmUp.heartbeat,
            },
          }
        : {}),
      wallMs: round(wallMs),
      renewals: { attempted: results.length, done: done.length, failed: results.length - done.length },
      renewalsPerMinute: round((done.length / wallMs) * 60_000),
      renewalMs: summary(results.map((result) => result.ms)),
      service: {
        calls: phaseALog.length,
        all: summary(phaseALog.map((line) => line.ms)),
        perRoute: perRoute(phaseALog),
        cpu:
          cpuMs === undefined
            ? null
            : { totalMs: round(cpuMs), perRenewalMs: done.length > 0 ? round(cpuMs / done.length) : null, peakRssMb },
        cpuNote:
          cpuMs === undefined
            ? 'not separable: the service runs in this process (use --service-process)'
            : 'the service process alone: utime + stime from /proc over the renewals',
      },
      benchProcessCpuMs: round((processCpu.user + processCpu.system) / 1000),
      errors,
      integrity,
      fleet: reportingRun ? fleetReport(reportingRun, serviceLog, cpuMs, done.length, terminals) : { skipped: FLEET_NEEDS_PROCESS },
    };
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
    const rowsLost = 'skipped' in report.fleet ? false : report.fleet.rowsLost;
    return integrity.doubleIssuances === 0 && integrity.doubleRevocations === 0 && !rowsLost ? 0 : 1;
  } finally {
    for (const release of releases.reverse()) await release();
    rmSync(work, { recursive: true, force: true });
  }
}

interface Terminal {
  id: string;
  folder: string;
  certificate: KeyPairPem;
  records: TerminalRecords;
  cards: CardImage[];
  /** The records' clock (phase B's records read it: the day's rows are written at the day's moments). */
  clock: BenchClock;
  /** Phase B: the records a FleetReporter delivers, and this terminal's cards for that phase. */
  reporting?: { records: FleetTerminalRecords; cards: CardImage[] };
}

/** One renewal and one heartbeat by one terminal, so the service's one-off first-call costs fall outside both phases. */
async function warmUpService(
  service: BenchService,
  terminal: Terminal,
  client: IssuingServiceClient,
  persona: ResolvedPersona,
  card: CardImage,
) {
  const [result] = await runTerminal({ ...terminal, cards: [card] }, client, persona);
  const reporter = benchReporter({
    channel: client,
    records: terminal.reporting!.records,
    dataDir: terminal.folder,
    heartbeatSeconds: 30,
    log: createLogger(() => {}, 'error'),
  });
  const heartbeat = await reporter.sendHeartbeat();
  return { result: result!, heartbeat, lines: await service.settledLineCount() };
}

function errorsOf(results: readonly TerminalResult[]): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const result of results) if (result.error) errors[result.error] = (errors[result.error] ?? 0) + 1;
  return errors;
}

function cpuMsBetween(before: { user: number; system: number }, after: { user: number; system: number }): number {
  return after.user - before.user + (after.system - before.system);
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
  /** The dashboard's listener (https://127.0.0.1:port), in a process of its own only. */
  readonly dashboard: string | undefined;
  /** The service's CPU so far in ms (its own process only). */
  cpu(): { user: number; system: number } | undefined;
  readonly peakRssMb: number | null;
  /**
   * How many `service-request` lines it has logged, once they stop coming
   * (a line is written as its answer leaves, and read here a moment later):
   * where one phase's lines end and the next one's begin.
   */
  settledLineCount(): Promise<number>;
  /** The `service-request` lines logged so far. */
  lines(): readonly RequestLine[];
  /** Stops it; resolves with every `service-request` line it logged. */
  stop(): Promise<RequestLine[]>;
}

/** Waits until `count()` has not grown for 150 ms (at most 5 s), and returns it. */
async function settled(count: () => number): Promise<number> {
  const until = performance.now() + 5000;
  let last = count();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const now = count();
    if (now === last || performance.now() > until) return now;
    last = now;
  }
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
  readonly dashboard = undefined;
  private constructor(
    private readonly running: RunningIssuingService,
    private readonly logged: RequestLine[],
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

  settledLineCount(): Promise<number> {
    return settled(() => this.logged.length);
  }

  lines(): readonly RequestLine[] {
    return this.logged;
  }

  #stopped: Promise<RequestLine[]> | undefined;
  stop(): Promise<RequestLine[]> {
    this.#stopped ??= (async () => {
      await this.running.close();
      await this.world.close();
      return this.logged;
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
    readonly dashboard: string,
    private readonly logged: RequestLine[],
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
    const { url, dashboard } = await serviceAddressesOf(child).catch((error: Error) => {
      throw new Error(`${error.message}: ${other.join(' ').slice(0, 500)}`);
    });
    return new ServiceChild(child, url, dashboard, lines, stderrDone);
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

  settledLineCount(): Promise<number> {
    return settled(() => this.logged.length);
  }

  lines(): readonly RequestLine[] {
    return this.logged;
  }

  stop(): Promise<RequestLine[]> {
    this.#stopped ??= (async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        const exited = once(this.child, 'exit');
        this.child.kill('SIGTERM');
        await exited;
      }
      await this.stderrDone;
      return this.logged;
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
async function runTerminal(
  terminal: Terminal,
  gateway: IssuingServiceClient,
  persona: ResolvedPersona,
  /** A session begins and ends (phase B: the reporter holds its rows until its end, then delivers them). */
  session: { started(): void; ended(): void } = { started: () => undefined, ended: () => undefined },
): Promise<TerminalResult[]> {
  const results: TerminalResult[] = [];
  const { journal } = terminal.records;
  for (const image of terminal.cards) {
    const started = performance.now();
    session.started();
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
      session.ended();
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
// The fleet: reporters during the load (phase B), a day of rows, the dashboard.

interface Delivery {
  /** Rows in the terminal's chain. */
  written: number;
  /** The last row the service acknowledged. */
  acknowledged: number;
  /** Rows not yet acknowledged (outbox.backlog()). */
  backlog: number;
}

function deliveryOf(records: TerminalRecords): Delivery {
  return { written: records.audit.head().seq, acknowledged: records.outbox.acknowledged().seq, backlog: records.outbox.backlog() };
}

interface FleetRun {
  heartbeatSeconds: number;
  phaseB: {
    results: TerminalResult[];
    loadWallMs: number;
    /** Reporters started → load → reporters stopped → final ship done: the CPU window. */
    windowMs: number;
    finalShipMs: number;
    finalShipPasses: number[];
    cpuMs: number | undefined;
    loadAverage: { before: number; after: number };
    lines: { from: number; to: number };
    delivery: Delivery[];
  };
  day: {
    day: JapanDate;
    sessionsPerTerminal: number;
    written: DayWritten[];
    generationMs: number;
    deliveryMs: number;
    deliveryCpuMs: number | undefined;
    passes: number[];
    lines: { from: number; to: number };
    delivery: Delivery[];
    heartbeatsTaken: number;
  };
  /** Each kind of fleet call's CPU at the service on its own (isolatedCallCosts), and every terminal's delivery after it. */
  isolated: Awaited<ReturnType<typeof isolatedCallCosts>> & { rounds: number; rowsPerBatch: number };
  final: Delivery[];
  dashboard: {
    browser: DashboardMeasurement | { failed: string };
    signInMs: number;
    overview: { times: number[]; bytes: number; cpuMsPerRequest: number | null };
    /** Terminals in the overview, and those whose head there differs from the terminal's own chain. */
    overviewTerminals: number;
    headsDiffering: string[];
    loadAverage: { before: number; after: number };
  };
  /** Audit rows the service counted as taken (its /metrics), or null when it could not be read. */
  serviceCountedRows: number | null;
  /** The reporters' warnings and errors, by event (shipping or a heartbeat failed, a chain conflict). */
  reporterWarnings: Record<string, number>;
}

async function runFleetPhases(options: {
  fleet: Terminal[];
  clients: IssuingServiceClient[];
  service: BenchService;
  persona: ResolvedPersona;
  heartbeatSeconds: number;
  daySessions: number;
  dashboardRuns: number;
  caCertificate: string;
  passcode: string;
}): Promise<FleetRun> {
  const { fleet, clients, service, persona, heartbeatSeconds } = options;
  const dashboard = service.dashboard!;
  const reporterWarnings: Record<string, number> = {};
  const log = createLogger((line) => {
    const event = (JSON.parse(line) as { event?: string }).event ?? 'unknown';
    reporterWarnings[event] = (reporterWarnings[event] ?? 0) + 1;
  }, 'warn');
  const reporting = fleet.map((terminal) => terminal.reporting!);
  const inSession = fleet.map(() => false);
  const reporters = fleet.map((terminal, index) =>
    benchReporter({
      channel: clients[index]!,
      records: reporting[index]!.records,
      dataDir: terminal.folder,
      heartbeatSeconds,
      log,
      sessionInProgress: () => inSession[index]!,
    }),
  );
  const linesFrom = await service.settledLineCount();
  try {
    // Phase B: the same load, each terminal's reporter running from before it to after it.
    const loadBefore = loadavg()[0]!;
    const cpuBefore = service.cpu();
    const windowStarted = performance.now();
    for (const reporter of reporters) reporter.start();
    const loadStarted = performance.now();
    const results = (
      await Promise.all(
        fleet.map((terminal, index) =>
          runTerminal({ ...terminal, records: reporting[index]!.records, cards: reporting[index]!.cards }, clients[index]!, persona, {
            started: () => (inSession[index] = true),
            ended: () => {
              inSession[index] = false;
              reporters[index]!.shipSoon();
            },
          }),
        ),
      )
    ).flat();
    const loadWallMs = performance.now() - loadStarted;
    await Promise.all(reporters.map((reporter) => reporter.stop()));
    const shipStarted = performance.now();
    const finalShipPasses = await Promise.all(reporters.map((reporter, index) => shipAll(reporter, reporting[index]!.records)));
    const finalShipMs = performance.now() - shipStarted;
    const cpuAfter = service.cpu();
    const windowMs = performance.now() - windowStarted;
    const loadAfter = loadavg()[0]!;
    const phaseBLines = await service.settledLineCount();
    const phaseBDelivery = reporting.map(({ records }) => deliveryOf(records));

    // A day of sessions at every terminal, written at the day's moments (set-up), then delivered (timed).
    const day = todayInJapan();
    const generationStarted = performance.now();
    const written = fleet.map((terminal, index) =>
      writeDay(reporting[index]!.records, terminal.clock, { day, sessions: options.daySessions, seed: 20_261_207 + index }),
    );
    const generationMs = performance.now() - generationStarted;
    const deliveryCpuBefore = service.cpu();
    const deliveryStarted = performance.now();
    const passes = await Promise.all(reporters.map((reporter, index) => shipAll(reporter, reporting[index]!.records)));
    const deliveryMs = performance.now() - deliveryStarted;
    const deliveryCpuAfter = service.cpu();
    const dayLines = await service.settledLineCount();
    const dayDelivery = reporting.map(({ records }) => deliveryOf(records));
    // A heartbeat from each terminal now, so the dashboard shows every one up, its head the one just delivered.
    const heartbeatsTaken = (await Promise.all(reporters.map((reporter) => reporter.sendHeartbeat()))).filter(Boolean).length;

    // What one heartbeat and one delivery the size of phase B's cost the service, each on its own (less noisy than B − A).
    const phaseBRows = sum(phaseBDelivery.map((entry) => entry.written));
    const phaseBBatches = (await service.lines())
      .slice(linesFrom, phaseBLines)
      .filter((line) => line.route.endsWith('/fleet/audit')).length;
    const rowsPerBatch = Math.max(1, Math.round(phaseBRows / Math.max(1, phaseBBatches)));
    const serviceCpuMs = () => {
      const now = service.cpu();
      return now ? now.user + now.system : undefined;
    };
    const isolated = {
      rounds: ISOLATED_ROUNDS,
      rowsPerBatch,
      ...(await isolatedCallCosts(
        reporters.map((reporter, index) => ({ reporter, records: reporting[index]!.records })),
        { rounds: ISOLATED_ROUNDS, rowsPerBatch, cpu: serviceCpuMs },
      )),
    };
    const final = reporting.map(({ records }) => deliveryOf(records));

    // The dashboard: in Chromium (first render), then the overview's answer on its own.
    const dashboardLoadBefore = loadavg()[0]!;
    const browser = await measureDashboardInChromium({
      dashboard,
      account: BENCH_ACCOUNT,
      passcode: options.passcode,
      terminals: fleet.length,
      runs: options.dashboardRuns,
    }).catch((error: unknown) => ({ failed: (error as Error).message }));
    const signIn = await signInOverHttps(dashboard, options.caCertificate, BENCH_ACCOUNT, options.passcode);
    const overviewCpuBefore = service.cpu();
    const overview = await timeOverview(dashboard, options.caCertificate, signIn.cookie, OVERVIEW_REQUESTS);
    const overviewCpuAfter = service.cpu();
    const dashboardLoadAfter = loadavg()[0]!;
    const heads = new Map(overview.overview.terminals.map((terminal) => [terminal.id, terminal.auditSeq]));
    const headsDiffering = fleet.filter((terminal, index) => heads.get(terminal.id) !== final[index]!.written).map(({ id }) => id);

    return {
      heartbeatSeconds,
      phaseB: {
        results,
        loadWallMs,
        windowMs,
        finalShipMs,
        finalShipPasses,
        cpuMs: cpuBefore && cpuAfter ? cpuMsBetween(cpuBefore, cpuAfter) : undefined,
        loadAverage: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
        lines: { from: linesFrom, to: phaseBLines },
        delivery: phaseBDelivery,
      },
      day: {
        day,
        sessionsPerTerminal: options.daySessions,
        written,
        generationMs,
        deliveryMs,
        deliveryCpuMs: deliveryCpuBefore && deliveryCpuAfter ? cpuMsBetween(deliveryCpuBefore, deliveryCpuAfter) : undefined,
        passes,
        lines: { from: phaseBLines, to: dayLines },
        delivery: dayDelivery,
        heartbeatsTaken,
      },
      isolated,
      final,
      dashboard: {
        browser,
        signInMs: signIn.ms,
        overview: {
          times: overview.times,
          bytes: overview.bytes,
          cpuMsPerRequest:
            overviewCpuBefore && overviewCpuAfter ? cpuMsBetween(overviewCpuBefore, overviewCpuAfter) / OVERVIEW_REQUESTS : null,
        },
        overviewTerminals: overview.overview.terminals.length,
        headsDiffering,
        loadAverage: { before: round(dashboardLoadBefore, 2), after: round(dashboardLoadAfter, 2) },
      },
      serviceCountedRows: await rowsCountedByService(dashboard, options.caCertificate),
      reporterWarnings,
    };
  } finally {
    await Promise.all(reporters.map((reporter) => reporter.stop()));
  }
}

/** The service's own count of audit rows taken (`myna_kiosk_audit_rows_received_total`, every terminal), from its /metrics. */
async function rowsCountedByService(dashboard: string, ca: string): Promise<number | null> {
  try {
    const answer = await dashboardCall(`${dashboard}/metrics`, ca);
    if (answer.status !== 200) return null;
    let rows = 0;
    for (const match of answer.body.matchAll(/^myna_kiosk_audit_rows_received_total\{[^}]*\} (\d+)$/gm)) rows += Number(match[1]);
    return rows;
  } catch {
    return null;
  }
}

/** Milliseconds of the service's own time per route over some of its lines, and in all. */
function routeTimes(lines: readonly RequestLine[]) {
  const routes: Record<string, RequestLine[]> = {};
  for (const line of lines) (routes[line.route] ??= []).push(line);
  const perRoute = Object.fromEntries(
    Object.entries(routes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([route, entries]) => [
        route,
        { ...summary(entries.map((entry) => entry.ms)), totalMs: round(sum(entries.map((entry) => entry.ms))) },
      ]),
  );
  return { totalMs: round(sum(lines.map((line) => line.ms))), perRoute };
}

const isFleetRoute = (route: string) => route.includes('/fleet/');
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** The fleet's figures (see the docs), with the aims beside them. */
function fleetReport(
  run: FleetRun,
  serviceLog: readonly RequestLine[],
  phaseACpuMs: number | undefined,
  phaseADone: number,
  terminals: number,
) {
  const { phaseB, day, dashboard } = run;
  const doneB = phaseB.results.filter((result) => result.outcome).length;
  const perRenewalA = phaseACpuMs !== undefined && phaseADone > 0 ? phaseACpuMs / phaseADone : undefined;
  const perRenewalB = phaseB.cpuMs !== undefined && doneB > 0 ? phaseB.cpuMs / doneB : undefined;
  const addedPercent =
    perRenewalA !== undefined && perRenewalB !== undefined ? ((perRenewalB - perRenewalA) / perRenewalB) * 100 : undefined;

  const linesB = serviceLog.slice(phaseB.lines.from, phaseB.lines.to);
  const timesB = routeTimes(linesB);
  const fleetMsB = sum(linesB.filter((line) => isFleetRoute(line.route)).map((line) => line.ms));
  const heartbeatLines = linesB.filter((line) => line.route.endsWith('/fleet/heartbeat'));
  const auditLinesB = linesB.filter((line) => line.route.endsWith('/fleet/audit'));
  const linesDay = serviceLog.slice(day.lines.from, day.lines.to).filter((line) => line.route.endsWith('/fleet/audit'));

  const rowsB = sum(phaseB.delivery.map((entry) => entry.written));
  const dayRows = sum(day.written.map((entry) => entry.rows));
  const rowsInAll = sum(run.final.map((entry) => entry.written));
  const incomplete = (deliveries: Delivery[]) =>
    deliveries.filter((entry) => entry.backlog > 0 || entry.acknowledged !== entry.written).length;
  const terminalsShortB = incomplete(phaseB.delivery);
  const terminalsShortDay = incomplete(day.delivery);
  const terminalsShortAtEnd = incomplete(run.final);
  const rowsLost =
    terminalsShortB > 0 ||
    terminalsShortDay > 0 ||
    terminalsShortAtEnd > 0 ||
    dashboard.headsDiffering.length > 0 ||
    dashboard.overviewTerminals !== terminals ||
    (run.serviceCountedRows !== null && run.serviceCountedRows !== rowsInAll);

  // The fleet's CPU in phase B from each call's cost on its own: heartbeats and deliveries counted in its log, times their cost.
  const { isolated } = run;
  const modelledMs =
    isolated.perHeartbeatMs !== null && isolated.perBatchMs !== null
      ? heartbeatLines.length * isolated.perHeartbeatMs + auditLinesB.length * isolated.perBatchMs
      : undefined;
  const modelledPercent = modelledMs !== undefined && phaseB.cpuMs ? (modelledMs / phaseB.cpuMs) * 100 : undefined;

  const endings: Record<string, number> = {};
  for (const entry of day.written) for (const [end, n] of Object.entries(entry.endings)) endings[end] = (endings[end] ?? 0) + n;

  const browser = dashboard.browser;
  const measured = 'runs' in browser ? browser : undefined;
  const signInForm = measured ? spread(measured.runs.map((entry) => entry.signInFormMs)) : undefined;
  const table = measured ? spread(measured.runs.map((entry) => entry.tableMs)) : undefined;
  const overview = spread(dashboard.overview.times);

  return {
    method:
      'phase A = the renewals above (no reporters); phase B = the same number of renewals on the same service process, ' +
      'a FleetReporter per terminal started before the load (delivering at each renewal’s end, as the kiosk does at a ' +
      `session's end, and every ${DEFAULT_SHIP_POLL_MS / 1000} s; heartbeat as below), stopped after it, then a final ` +
      "ship() until each outbox is empty; the service's CPU from /proc over each phase's window. One run of each phase: " +
      'the difference is within the run-to-run noise of the service CPU per renewal unless it is large.',
    heartbeatSeconds: run.heartbeatSeconds,
    shipPollSeconds: DEFAULT_SHIP_POLL_MS / 1000,
    cpu: {
      phaseA: { renewals: phaseADone, totalMs: roundOrNull(phaseACpuMs), perRenewalMs: roundOrNull(perRenewalA) },
      phaseB: {
        renewals: doneB,
        failed: phaseB.results.length - doneB,
        errors: errorsOf(phaseB.results),
        loadWallMs: round(phaseB.loadWallMs),
        windowMs: round(phaseB.windowMs),
        finalShipMs: round(phaseB.finalShipMs),
        totalMs: roundOrNull(phaseB.cpuMs),
        perRenewalMs: roundOrNull(perRenewalB),
        loadAverage1m: phaseB.loadAverage,
      },
      addedPerRenewalMs: perRenewalA !== undefined && perRenewalB !== undefined ? round(perRenewalB - perRenewalA) : null,
      /** (B − A) ÷ B per renewal, in %. */
      addedPercentOfB: roundOrNull(addedPercent),
      aimPercent: FLEET_AIMS.addedCpuPercent,
      met: addedPercent !== undefined && addedPercent < FLEET_AIMS.addedCpuPercent,
      noise:
        addedPercent !== undefined && addedPercent < 0
          ? "phase B cost less per renewal than phase A: the fleet's cost is smaller than the run-to-run noise here"
          : 'one run of each phase: a difference of a few % is within the noise of the service CPU per renewal',
      fromEachCall: {
        note:
          "each call's cost measured on its own after the day (every terminal at once, the service otherwise idle), " +
          "times phase B's calls: an estimate of the fleet's CPU in phase B that does not rest on B − A",
        rounds: isolated.rounds,
        heartbeats: isolated.heartbeats,
        perHeartbeatMs: roundOrNull(isolated.perHeartbeatMs ?? undefined),
        rowsPerBatch: isolated.rowsPerBatch,
        batches: isolated.batches,
        perBatchMs: roundOrNull(isolated.perBatchMs ?? undefined),
        fleetCpuInPhaseBMs: roundOrNull(modelledMs),
        percentOfB: roundOrNull(modelledPercent),
        met: modelledPercent !== undefined && modelledPercent < FLEET_AIMS.addedCpuPercent,
      },
    },
    requestTime: {
      note:
        "the service's own time per call (Fastify's elapsedTime) in phase B: " +
        'waiting on the event loop included, so a share of time, not of CPU',
      allRoutesMs: timesB.totalMs,
      fleetRoutesMs: round(fleetMsB),
      fleetSharePercent: timesB.totalMs > 0 ? round((fleetMsB / timesB.totalMs) * 100) : null,
      perRoute: timesB.perRoute,
    },
    delivery: {
      rowsWritten: rowsB,
      rowsAcknowledged: sum(phaseB.delivery.map((entry) => entry.acknowledged)),
      backlogLeft: sum(phaseB.delivery.map((entry) => entry.backlog)),
      terminalsNotFullyDelivered: terminalsShortB,
      auditBatches: auditLinesB.length,
      heartbeats: heartbeatLines.filter((line) => line.status === 200).length,
      heartbeatsRefused: heartbeatLines.filter((line) => line.status !== 200).length,
      finalShipPassesMax: Math.max(0, ...phaseB.finalShipPasses),
      allDelivered: terminalsShortB === 0,
    },
    day: {
      date: day.day,
      window: '08:30–17:15 Japan time',
      terminals,
      sessionsPerTerminal: day.sessionsPerTerminal,
      sessions: sum(day.written.map((entry) => entry.sessions)),
      endings,
      rows: dayRows,
      rowsPerTerminal: round(dayRows / terminals),
      generationMs: round(day.generationMs),
      delivery: {
        wallMs: round(day.deliveryMs),
        rowsPerSecond: day.deliveryMs > 0 ? round((dayRows / day.deliveryMs) * 1000) : null,
        serviceCpuMs: roundOrNull(day.deliveryCpuMs),
        serviceCpuPerThousandRowsMs: day.deliveryCpuMs !== undefined && dayRows > 0 ? round((day.deliveryCpuMs / dayRows) * 1000) : null,
        batches: linesDay.length,
        batchMs: summary(linesDay.map((line) => line.ms)),
        passesMax: Math.max(0, ...day.passes),
      },
      backlogLeft: sum(day.delivery.map((entry) => entry.backlog)),
      terminalsNotFullyDelivered: terminalsShortDay,
      heartbeatsAfter: day.heartbeatsTaken,
      allDelivered: terminalsShortDay === 0,
    },
    /** Every row the terminals wrote (phase B, the day, the isolated deliveries), all of which the service must hold. */
    rowsWrittenInAll: rowsInAll,
    backlogLeftAtEnd: sum(run.final.map((entry) => entry.backlog)),
    serviceCountedRows: run.serviceCountedRows,
    overviewHeads: { terminals: dashboard.overviewTerminals, differing: dashboard.headsDiffering },
    rowsLost,
    reporterWarnings: run.reporterWarnings,
    dashboard: {
      runs: measured?.runs.length ?? 0,
      chromium: measured?.chromium ?? null,
      browserNote: 'skipped' in browser ? browser.skipped : 'failed' in browser ? `could not measure: ${browser.failed}` : null,
      signInForm: signInForm ?? null,
      tableWithAllTerminals: table ?? null,
      /** Within the table's time (medians, the page's Resource Timing): the sign-in POST, the overview GET, drawing after it. */
      tableParts: measured
        ? {
            signInRequestMs: medianOf(measured.runs.map((entry) => entry.signInRequestMs)),
            overviewRequestMs: medianOf(measured.runs.map((entry) => entry.overviewRequestMs)),
            drawnAfterOverviewMs: medianOf(measured.runs.map((entry) => entry.drawnAfterOverviewMs)),
          }
        : null,
      runsDetail: measured?.runs ?? [],
      scriptsFetched: measured?.scriptsFetched ?? [],
      signInAnswerMs: round(dashboard.signInMs),
      overview: {
        ...overview,
        bytes: dashboard.overview.bytes,
        serviceCpuMsPerRequest: roundOrNull(dashboard.overview.cpuMsPerRequest ?? undefined),
      },
      aimMs: FLEET_AIMS.dashboardMs,
      signInFormMet: signInForm !== undefined && signInForm.medianMs < FLEET_AIMS.dashboardMs,
      tableMet: table !== undefined && table.medianMs < FLEET_AIMS.dashboardMs,
      loadAverage1m: dashboard.loadAverage,
    },
  };
}

function medianOf(values: readonly (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length > 0 ? spread(known).medianMs : null;
}

function roundOrNull(value: number | undefined): number | null {
  return value === undefined ? null : round(value);
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
  machine: { loadAverage1m: { before: number; after: number } };
  errors: Record<string, number>;
  integrity: { issues: number; doubleIssuances: number; doubleRevocations: number; wrongRevocations: number; doneWithoutIssue: number };
  fleet: FleetReport | { skipped: string };
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
      `${report.integrity.wrongRevocations}, done without exactly one issue ${report.integrity.doneWithoutIssue}` +
      ('skipped' in report.fleet ? '' : ' (phases A and B)'),
    `machine load (1-minute average): ${report.machine.loadAverage1m.before} before, ${report.machine.loadAverage1m.after} after`,
    '',
    ...('skipped' in report.fleet ? [`Fleet reporting and the dashboard: ${report.fleet.skipped}`, ''] : describeFleet(report.fleet)),
  ].join('\n');
}

type FleetReport = ReturnType<typeof fleetReport>;

function describeFleet(fleet: FleetReport): string[] {
  const aim = (met: boolean, text: string) => `(aim ${text}: ${met ? 'aim met' : 'aim NOT met'})`;
  const { cpu, requestTime, delivery, day, dashboard } = fleet;
  const route = (name: string) => {
    const entry = Object.entries(requestTime.perRoute).find(([key]) => key.endsWith(name))?.[1];
    return entry ? `${entry.count} calls, ${entry.totalMs} ms in all, p50 ${entry.p50} ms, p99 ${entry.p99} ms` : 'no calls';
  };
  const delivered = (all: boolean, short: number) =>
    all ? 'every terminal delivered every row' : `${short} terminals NOT fully delivered`;
  const spreadText = (s: Spread | null) =>
    s ? `median ${s.medianMs} ms, max ${s.maxMs} ms over ${s.count} (${s.timesMs.join(', ')})` : 'not measured';
  return [
    `Fleet reporting during the load (phase B: a FleetReporter per terminal, ` +
      `heartbeat every ${fleet.heartbeatSeconds} s, delivering at each renewal's end and every ${fleet.shipPollSeconds} s)`,
    `phase B renewals done ${cpu.phaseB.renewals} (failed ${cpu.phaseB.failed}) in ${(cpu.phaseB.loadWallMs / 1000).toFixed(1)} s; ` +
      `final ship ${cpu.phaseB.finalShipMs} ms; load ${cpu.phaseB.loadAverage1m.before} → ${cpu.phaseB.loadAverage1m.after}`,
    `the service's CPU per renewal: phase A ${cpu.phaseA.perRenewalMs} ms, phase B ${cpu.phaseB.perRenewalMs} ms ` +
      `(in all ${cpu.phaseA.totalMs} and ${cpu.phaseB.totalMs} ms)`,
    `added CPU of fleet reporting: ${cpu.addedPerRenewalMs} ms per renewal, ${cpu.addedPercentOfB} % of phase B's ` +
      `${aim(cpu.met, `< ${cpu.aimPercent} %`)}`,
    `  (${cpu.noise})`,
    `the same from each call's cost on its own: a heartbeat ${cpu.fromEachCall.perHeartbeatMs} ms, a delivery of ` +
      `${cpu.fromEachCall.rowsPerBatch} rows ${cpu.fromEachCall.perBatchMs} ms of service CPU; × phase B's calls = ` +
      `${cpu.fromEachCall.fleetCpuInPhaseBMs} ms, ${cpu.fromEachCall.percentOfB} % of phase B's ` +
      `${aim(cpu.fromEachCall.met, `< ${cpu.aimPercent} %`)}`,
    `the service's request time in phase B: fleet routes ${requestTime.fleetRoutesMs} of ${requestTime.allRoutesMs} ms ` +
      `(${requestTime.fleetSharePercent} %)`,
    `  /v1/fleet/audit: ${route('/fleet/audit')}`,
    `  /v1/fleet/heartbeat: ${route('/fleet/heartbeat')}`,
    `rows written ${delivery.rowsWritten}, acknowledged ${delivery.rowsAcknowledged}, backlog left ${delivery.backlogLeft} ` +
      `(${delivered(delivery.allDelivered, delivery.terminalsNotFullyDelivered)}); ` +
      `${delivery.auditBatches} audit batches, ${delivery.heartbeats} heartbeats taken` +
      (delivery.heartbeatsRefused > 0 ? `, ${delivery.heartbeatsRefused} refused` : ''),
    '',
    `A day of rows: ${day.terminals} terminals × ${day.sessionsPerTerminal} sessions (${day.window}, ${day.date}): ` +
      `${day.rows} rows (${day.rowsPerTerminal} per terminal), written in ${(day.generationMs / 1000).toFixed(1)} s (not timed)`,
    `  sessions ended: ${Object.entries(day.endings)
      .map(([end, n]) => `${end} ${n}`)
      .join(', ')}`,
    `delivered in ${(day.delivery.wallMs / 1000).toFixed(1)} s (${day.delivery.rowsPerSecond} rows/s, ${day.delivery.batches} batches: ` +
      `p50 ${day.delivery.batchMs.p50} ms, p99 ${day.delivery.batchMs.p99} ms); the service's CPU ${day.delivery.serviceCpuMs} ms ` +
      `(${day.delivery.serviceCpuPerThousandRowsMs} ms per 1,000 rows)`,
    `rows written in all (phase B, the day, the calls costed on their own) ${fleet.rowsWrittenInAll}, held by the service by ` +
      `its own count ${fleet.serviceCountedRows ?? 'unreadable'}; backlog left ${fleet.backlogLeftAtEnd}; heads on the dashboard ` +
      `differing from the terminals' ${fleet.overviewHeads.differing.length}` +
      (fleet.rowsLost ? ' — ROWS LOST' : ' (every row arrived)'),
    ...(Object.keys(fleet.reporterWarnings).length > 0
      ? [
          `reporters' warnings: ${Object.entries(fleet.reporterWarnings)
            .map(([event, n]) => `${event} ×${n}`)
            .join(', ')}`,
        ]
      : []),
    '',
    `The dashboard with that day (${dashboard.chromium ?? dashboard.browserNote}), each run in a new browser context:`,
    `navigation to the sign-in form, enabled: ${spreadText(dashboard.signInForm)} ` +
      `${aim(dashboard.signInFormMet, `< ${dashboard.aimMs} ms`)}`,
    `sign-in click to the terminals table with all ${day.terminals} rows: ${spreadText(dashboard.tableWithAllTerminals)} ` +
      `${aim(dashboard.tableMet, `< ${dashboard.aimMs} ms`)}`,
    ...(dashboard.tableParts
      ? [
          `  of which (medians, the page's Resource Timing): sign-in POST ${dashboard.tableParts.signInRequestMs} ms, ` +
            `overview GET ${dashboard.tableParts.overviewRequestMs} ms, drawn ${dashboard.tableParts.drawnAfterOverviewMs} ms after it`,
        ]
      : []),
    `GET /api/overview on its own: ${spreadText(dashboard.overview)}; ${(dashboard.overview.bytes / 1000).toFixed(1)} kB; ` +
      `service CPU ${dashboard.overview.serviceCpuMsPerRequest} ms each; sign-in answer ${dashboard.signInAnswerMs} ms`,
    `machine load during the dashboard (1-minute average): ${dashboard.loadAverage1m.before} before, ` +
      `${dashboard.loadAverage1m.after} after`,
    '',
  ];
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
