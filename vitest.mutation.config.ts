import { defineConfig } from 'vitest/config';

// The unit tests as StrykerJS runs them (stryker.config.mjs). MUTATION_TESTS (comma-separated globs) narrows
// them, as scripts/mutation.mjs and `npm test`'s guard do.
export default defineConfig({
  plugins: [
    {
      // StrykerJS 9 starts vitest with worker threads; a unit test that sets TZ needs a process of its own
      // (a thread shares its process's time zone), so the tests run in child processes, as `npm test` runs them.
      name: 'myna-kiosk:mutation-in-child-processes',
      configureVitest({ project }) {
        project.config.pool = 'forks';
        // Within one mutant's run the test files share the modules they import (one mutant is in play for the
        // whole run; each run starts its processes afresh, so a mutant in a module-level constant takes effect).
        project.config.isolate = false;
      },
    },
  ],
  test: {
    include: process.env.MUTATION_TESTS ? process.env.MUTATION_TESTS.split(',') : ['test/unit/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
