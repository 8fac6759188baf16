import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/cli-harness';

// Each benchmark once, in its short form, so a broken benchmark fails npm test
// (the figures in docs/performance.md come from full runs). Each starts its
// own pcscd, so they run here, one after the other, like the other
// integration files.

function bench(args: string[]): unknown {
  expect(existsSync(CLI), `${CLI} is missing: run "npm run build" first (npm test does)`).toBe(true);
  const run = spawnSync(process.execPath, [CLI, 'bench', ...args, '--json'], { encoding: 'utf8', timeout: 120_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
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

  it('bench renewal measures a renewal in process and through PC/SC, and memory over whole sessions', () => {
    const result = bench(['renewal', '--runs', '1', '--sessions', '10']) as {
      renewalMs: Record<'inProcess' | 'pcsc', { median: number }>;
      memory: { sessions: number; after10: { heapUsedMb: number }; afterAll: { heapUsedMb: number } };
    };
    expect(result.renewalMs.inProcess.median).toBeGreaterThan(0);
    expect(result.renewalMs.pcsc.median).toBeGreaterThan(0);
    expect(result.memory.sessions).toBe(10);
    expect(result.memory.afterAll.heapUsedMb).toBeGreaterThan(0);
  }, 150_000);
});
