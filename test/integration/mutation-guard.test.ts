import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratchForTest } from '../support/scratch';

// `npm run test:mutation` takes tens of minutes, so `npm test` does not run it; this runs the same script, the
// same StrykerJS configuration and the same vitest set-up on one small module, so a change that breaks them
// is caught here rather than by the next person who measures.
describe('npm run test:mutation, on one small module', () => {
  it('mutates main/domain/certificate-serial.ts, runs its unit tests on every mutant, and reports the score', () => {
    const reports = scratchForTest('myna-kiosk-mutation-guard-');
    const run = spawnSync(process.execPath, ['scripts/mutation.mjs', 'main/domain/certificate-serial.ts'], {
      encoding: 'utf8',
      env: { ...process.env, MUTATION_REPORTS: reports },
      timeout: 120_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('test file(s): certificate-serial.test.ts');
    expect(run.stdout).toMatch(/main\/domain\/certificate-serial\.ts \| (\d+) \| \1 \| 0 \| 0 \| 0 \| 0 \| 100 % \|/);

    const report = JSON.parse(readFileSync(join(reports, 'mutation.json'), 'utf8')) as {
      files: Record<string, { mutants: Array<{ status: string; killedBy?: string[] }> }>;
    };
    const mutants = report.files['main/domain/certificate-serial.ts']!.mutants;
    expect(mutants.length).toBeGreaterThan(3);
    // Each one was caught by a named test: the tests really ran against the mutants.
    for (const mutant of mutants) expect(mutant.killedBy?.length ?? 0, JSON.stringify(mutant)).toBeGreaterThan(0);
  }, 150_000);
});
