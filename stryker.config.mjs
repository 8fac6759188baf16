// @ts-check
import { AIM_PERCENT, MUTATED_FILES, MUTATED_ROOMS } from './scripts/mutation.mjs';

/**
 * Mutation testing (`npm run test:mutation`, docs/testing.md): StrykerJS
 * changes the code that holds the rules, the card protocol, the records and
 * the session one small way at a time (a mutant) and runs the unit tests
 * that reach the change; a mutant no test notices is behaviour no test pins
 * down. scripts/mutation.mjs runs it module by module with each module's own
 * tests (MUTATE and MUTATION_TESTS, comma-separated); run alone, it mutates
 * every module with every unit test.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const config = {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: process.env.MUTATE ? process.env.MUTATE.split(',') : [...MUTATED_ROOMS.map((room) => `${room}/**/*.ts`), ...MUTATED_FILES],
  // MUTATION_CONCURRENCY and MUTATION_TEMP let runs of different modules share a machine without sharing a sandbox.
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 5_000,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: process.env.MUTATION_REPORT ?? 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: (process.env.MUTATION_REPORT ?? 'reports/mutation/mutation.json').replace(/\.json$/, '.html') },
  tempDirName: process.env.MUTATION_TEMP ?? '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['out', 'reports', 'test-results', 'dist', '.stryker-tmp*'],
  thresholds: { high: AIM_PERCENT, low: 80, break: null },
};
export default config;
