import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Unit test files that replace a module (vi.mock): each needs a module
 * registry of its own. Every other unit file shares one per worker
 * (isolate: false), which spares re-importing main's modules for each file
 * — about a fifth of the suite's time.
 */
const MOCKING_UNIT_FILES = readdirSync('test/unit', { recursive: true, encoding: 'utf8' })
  .filter((file) => /\.test\.tsx?$/.test(file))
  .map((file) => join('test/unit', file))
  .filter((file) => /\bvi\.(?:do)?[mM]ock\(/.test(readFileSync(file, 'utf8')));

// Two suites, run separately by scripts/test.mjs so each gets its own count:
// unit tests run under plain Node with no services; integration tests drive
// the real PC/SC stack (pcscd + vpcd) that their harness starts and stops.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          exclude: MOCKING_UNIT_FILES,
          environment: 'node',
          isolate: false,
        },
      },
      {
        test: {
          name: 'unit-mocking',
          include: MOCKING_UNIT_FILES,
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // Only one pcscd can run per machine (fixed socket path): never in parallel.
          fileParallelism: false,
          // What a file runs side by side (describe.concurrent): two child processes, on two cores.
          maxConcurrency: 2,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
