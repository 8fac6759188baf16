import { defineConfig } from 'vitest/config';

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
