import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listPersonas } from '../../main/simulation/personas';
import { CLI } from '../support/cli-harness';

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

  it('bench service runs terminals at once against a service process: every renewal done, nothing issued or revoked twice', () => {
    const output = benchRun(['service', '--terminals', '3', '--renewals-per-terminal', '1', '--service-process']);
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
    };
    expect(result.mode).toBe('service-process');
    expect(result.renewals).toEqual({ attempted: 3, done: 3, failed: 0 });
    expect(result.errors).toEqual({});
    expect(result.renewalsPerMinute).toBeGreaterThan(0);
    expect(result.wallMs).toBeGreaterThan(0);
    // The issuing side's own records: one issue per renewal, each old set revoked once, by its own renewal.
    expect(result.integrity).toMatchObject({
      issues: 3,
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
