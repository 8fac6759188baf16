import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listPersonas } from '../../main/simulation/personas';
import { CLI } from '../support/cli-harness';
import type { UiBenchmark } from '../../main/cli/bench-ui';

// Each benchmark once, in its short form, so a broken benchmark fails npm test
// (the figures in docs/performance.md come from full runs). The card ones
// start their own pcscd, so they run here, one after the other, like the
// other integration files; the service one starts the built CLI's service.

function benchRun(args: string[]) {
  expect(existsSync(CLI), `${CLI} is missing: run "npm run build" first (npm test does)`).toBe(true);
  const run = spawnSync(process.execPath, [CLI, 'bench', ...args, '--json'], { encoding: 'utf8', timeout: 120_000 });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

function bench(args: string[]): unknown {
  return JSON.parse(benchRun(args));
}

/** Every string in a JSON value, keys included (numbers are figures: a 4-digit PIN could match one by chance). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)]);
  return [];
}

const positive = expect.any(Number);

interface Spread {
  count: number;
  medianMs: number;
  maxMs: number;
}

/** What `bench service --service-process` reports of the fleet (main/cli/bench-service.ts fleetReport). */
interface FleetFigures {
  heartbeatSeconds: number;
  cpu: {
    phaseA: { renewals: number; perRenewalMs: number };
    phaseB: { renewals: number; failed: number; perRenewalMs: number };
    addedPercentOfB: number;
    aimPercent: number;
    met: boolean;
    fromEachCall: { heartbeats: number; perHeartbeatMs: number; batches: number; perBatchMs: number; percentOfB: number };
  };
  requestTime: { allRoutesMs: number; fleetRoutesMs: number; fleetSharePercent: number; perRoute: Record<string, { count: number }> };
  delivery: {
    rowsWritten: number;
    rowsAcknowledged: number;
    backlogLeft: number;
    heartbeats: number;
    auditBatches: number;
    allDelivered: boolean;
  };
  day: {
    terminals: number;
    sessions: number;
    rows: number;
    delivery: { wallMs: number; serviceCpuMs: number; batches: number };
    backlogLeft: number;
    allDelivered: boolean;
  };
  rowsWrittenInAll: number;
  backlogLeftAtEnd: number;
  serviceCountedRows: number;
  overviewHeads: { terminals: number; differing: string[] };
  rowsLost: boolean;
  dashboard: {
    runs: number;
    browserNote: string | null;
    signInForm: Spread;
    tableWithAllTerminals: Spread;
    overview: Spread & { bytes: number };
    signInFormMet: boolean;
    tableMet: boolean;
  };
}

/** The fleet's part ran, with sane figures, and every row arrived: the benchmark works (no figure is held to an aim here). */
function expectFleetFigures(fleet: FleetFigures) {
  expect(fleet.heartbeatSeconds).toBe(1);
  // Phase A and phase B, the same renewals, each with the service's CPU; the added share is a figure, of either sign.
  expect(fleet.cpu.phaseA).toMatchObject({ renewals: 3, perRenewalMs: positive });
  expect(fleet.cpu.phaseB).toMatchObject({ renewals: 3, failed: 0, perRenewalMs: positive });
  expect(fleet.cpu.phaseA.perRenewalMs).toBeGreaterThan(0);
  expect(fleet.cpu.phaseB.perRenewalMs).toBeGreaterThan(0);
  expect(Number.isFinite(fleet.cpu.addedPercentOfB)).toBe(true);
  expect(fleet.cpu).toMatchObject({ aimPercent: 10, met: expect.any(Boolean) });
  // Each call costed on its own: 4 rounds of a heartbeat and a small delivery from each of the 3 terminals.
  expect(fleet.cpu.fromEachCall).toMatchObject({
    heartbeats: 12,
    batches: 12,
    perHeartbeatMs: expect.any(Number),
    perBatchMs: expect.any(Number),
    percentOfB: expect.any(Number),
  });
  // The fleet routes in the service's own log, with their share of its request time.
  expect(fleet.requestTime.perRoute['/v1/fleet/audit']?.count).toBeGreaterThan(0);
  expect(fleet.requestTime.perRoute['/v1/fleet/heartbeat']?.count).toBeGreaterThanOrEqual(3);
  expect(fleet.requestTime.fleetRoutesMs).toBeGreaterThan(0);
  expect(fleet.requestTime.fleetSharePercent).toBeGreaterThan(0);
  // Every row the terminals wrote in phase B arrived, and was acknowledged.
  expect(fleet.delivery.rowsWritten).toBeGreaterThan(0);
  expect(fleet.delivery).toMatchObject({ rowsAcknowledged: fleet.delivery.rowsWritten, backlogLeft: 0, allDelivered: true });
  expect(fleet.delivery.heartbeats).toBeGreaterThanOrEqual(3);
  expect(fleet.delivery.auditBatches).toBeGreaterThan(0);
  // The day: 3 terminals × 5 sessions, delivered whole; the service holds (and counted) every row, its heads the terminals'.
  expect(fleet.day).toMatchObject({ terminals: 3, sessions: 15, backlogLeft: 0, allDelivered: true });
  expect(fleet.day.rows).toBeGreaterThanOrEqual(15 * 4);
  expect(fleet.day.delivery.wallMs).toBeGreaterThan(0);
  expect(fleet.day.delivery.serviceCpuMs).toBeGreaterThan(0);
  expect(fleet.day.delivery.batches).toBeGreaterThan(0);
  expect(fleet.rowsWrittenInAll).toBeGreaterThan(fleet.delivery.rowsWritten + fleet.day.rows);
  expect(fleet.backlogLeftAtEnd).toBe(0);
  expect(fleet.serviceCountedRows).toBe(fleet.rowsWrittenInAll);
  expect(fleet.overviewHeads).toEqual({ terminals: 3, differing: [] });
  expect(fleet.rowsLost).toBe(false);
  // The dashboard, once in Chromium (sign-in form, then the table with every terminal) and its overview on its own.
  expect(fleet.dashboard.browserNote).toBeNull();
  expect(fleet.dashboard.runs).toBe(1);
  expect(fleet.dashboard.signInForm.medianMs).toBeGreaterThan(0);
  expect(fleet.dashboard.tableWithAllTerminals.medianMs).toBeGreaterThan(0);
  expect(fleet.dashboard.overview).toMatchObject({ count: 5, medianMs: positive, bytes: positive });
  expect(fleet.dashboard.overview.medianMs).toBeGreaterThan(0);
  expect(fleet.dashboard).toMatchObject({ signInFormMet: expect.any(Boolean), tableMet: expect.any(Boolean) });
}

describe('the benchmarks, once each in a short form', () => {
  it('bench card measures a card status both ways and the APDU round trip', () => {
    const result = bench(['card', '--runs', '2', '--round-trips', '20']) as {
      status: Record<'shortOnly' | 'extendedWhereSupported', { apdus: number; medianMs: number }>;
      roundTrips: { count: number; perSecond: number; medianMs: number };
    };
    for (const form of ['shortOnly', 'extendedWhereSupported'] as const) {
      expect(result.status[form].apdus).toBeGreaterThan(0);
      expect(result.status[form].medianMs).toBeGreaterThan(0);
    }
    expect(result.roundTrips).toMatchObject({ count: 20, perSecond: positive, medianMs: positive });
    expect(result.roundTrips.perSecond).toBeGreaterThan(0);
  }, 150_000);

  it('bench renewal measures a renewal in process, through the issuing service and through PC/SC, and memory over whole sessions', () => {
    const result = bench(['renewal', '--runs', '1', '--sessions', '10']) as {
      renewalMs: Record<'inProcess' | 'throughService' | 'pcsc', { median: number }>;
      memory: { sessions: number; after10: { heapUsedMb: number }; afterAll: { heapUsedMb: number } };
    };
    expect(result.renewalMs.inProcess.median).toBeGreaterThan(0);
    expect(result.renewalMs.pcsc.median).toBeGreaterThan(0);
    expect(result.renewalMs.throughService.median).toBeGreaterThan(0);
    expect(result.memory.sessions).toBe(10);
    expect(result.memory.afterAll.heapUsedMb).toBeGreaterThan(0);
  }, 150_000);

  it('bench ui measures the first download, an interactive attract screen in Chromium and the taps of a renewal', () => {
    const result = bench(['ui', '--runs', '1']) as UiBenchmark;
    expect(result.initialJs.gzipBytes).toBeGreaterThan(0);
    expect(result.initialJs.files.length).toBeGreaterThan(0);
    expect(result.interactive).toMatchObject({ runs: 1, medianMs: positive });
    expect(result.interactive.medianMs).toBeGreaterThan(0);
    expect(result.taps.count).toBeGreaterThan(0);
    expect(result.taps.tapped).toHaveLength(result.taps.count);
  }, 150_000);

  it('bench service runs terminals at once against a service process: every renewal done, nothing issued or revoked twice', () => {
    // The fleet's part small: 5 sessions a terminal for the day, one dashboard run, a heartbeat a second during phase B.
    const output = benchRun([
      'service',
      '--terminals',
      '3',
      '--renewals-per-terminal',
      '1',
      '--service-process',
      '--day-sessions',
      '5',
      '--dashboard-runs',
      '1',
      '--heartbeat-seconds',
      '1',
    ]);
    const result = JSON.parse(output) as {
      mode: string;
      renewals: { attempted: number; done: number; failed: number };
      renewalsPerMinute: number;
      wallMs: number;
      service: {
        calls: number;
        all: { count: number; p50: number; p99: number; max: number };
        perRoute: Record<string, { count: number; p99: number; statuses: Record<string, number> }>;
        cpu: { totalMs: number; perRenewalMs: number } | null;
      };
      errors: Record<string, number>;
      integrity: Record<'issues' | 'doubleIssuances' | 'doubleRevocations' | 'wrongRevocations' | 'doneWithoutIssue', number>;
      warmUp: { renewalDone: boolean; heartbeatTaken: boolean };
      fleet: FleetFigures;
    };
    expect(result.mode).toBe('service-process');
    expect(result.renewals).toEqual({ attempted: 3, done: 3, failed: 0 });
    expect(result.errors).toEqual({});
    expect(result.renewalsPerMinute).toBeGreaterThan(0);
    expect(result.wallMs).toBeGreaterThan(0);
    // The issuing side's own records: one issue per renewal, each old set revoked once, by its own renewal
    // (phase A's three, phase B's three and the service's warm-up renewal).
    expect(result.warmUp).toMatchObject({ renewalDone: true, heartbeatTaken: true });
    expect(result.integrity).toMatchObject({
      issues: 7,
      doubleIssuances: 0,
      doubleRevocations: 0,
      wrongRevocations: 0,
      doneWithoutIssue: 0,
    });
    // The service's log: every route of a renewal answered 200, three times (twice for the status of the two new certificates).
    expect(result.service.perRoute['/v1/renewals/:renewalId/issue']).toMatchObject({ count: 3, statuses: { 200: 3 } });
    expect(result.service.perRoute['/v1/renewals/:renewalId/confirm']).toMatchObject({ count: 3, statuses: { 200: 3 } });
    expect(result.service.all.count).toBe(result.service.calls);
    expect(result.service.all.p50).toBeGreaterThan(0);
    expect(result.service.all.max).toBeGreaterThanOrEqual(result.service.all.p99);
    // The service's CPU, read from its own process.
    expect(result.service.cpu?.totalMs).toBeGreaterThan(0);
    expectFleetFigures(result.fleet);
    // Nothing of a resident in what it printed.
    const persona = listPersonas().find((candidate) => candidate.id === 'standard-in-window')!;
    const secrets = [
      ...Object.values(persona.pins ?? {}).map((pin) => pin.value),
      persona.myNumber,
      persona.holder?.name,
      persona.holder?.address,
    ];
    const printed = strings(result).join('\n');
    for (const secret of secrets) if (secret) expect(printed).not.toContain(secret);
  }, 150_000);
});
