import { defineConfig } from 'vitest/config';

// The unit tests as StrykerJS runs them (stryker.config.mjs), each file isolated: the mutant in play is
// switched per test, and a module registry shared across files would keep a stale one. MUTATION_TESTS
// (comma-separated globs) narrows them, as `npm test`'s guard does.
export default defineConfig({
  plugins: [
    {
      // StrykerJS 9 starts vitest with worker threads; a unit test that sets TZ needs a process of its own
      // (a thread shares its process's time zone), so the tests run in child processes, as `npm test` runs them.
      name: 'myna-kiosk:mutation-in-child-processes',
      configureVitest({ project }) {
        project.config.pool = 'forks';
        project.config.isolate = false;
      },
    },
  ],
  test: {
    include: process.env.MUTATION_TESTS ? process.env.MUTATION_TESTS.split(',') : ['test/unit/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
