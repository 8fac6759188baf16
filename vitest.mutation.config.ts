import { readFileSync } from 'node:fs';
import type { RunnerTestFile } from 'vitest';
import { defineConfig } from 'vitest/config';

/** The test files StrykerJS was given (scripts/mutation.mjs names them; none means every unit test). */
const SELECTED = process.env.MUTATION_TESTS?.split(',');
/** A file that mocks modules (vi.mock) needs them to itself, as `npm test`'s unit-mocking project gives them. */
const MOCKS_MODULES = SELECTED?.some((file) => /\bvi\.(?:do)?[mM]ock\(/.test(readFileSync(file, 'utf8'))) ?? true;

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
        // whole run; each run starts its processes afresh, so a mutant in a module-level constant takes effect),
        // unless one of them mocks modules: session-pin-wipe's mocked session fails beside the real one.
        project.config.isolate = MOCKS_MODULES;
      },
    },
  ],
  test: {
    reporters: [
      {
        // A mutant that breaks a test file's loading (a constant it computes at load, say fromHex of an AID)
        // leaves that file with no test at all, and StrykerJS's vitest runner, counting failed tests, would
        // call the mutant survived. Such a file gets one failed test, "the file loads", carrying the error.
        onTestRunEnd(testModules) {
          // The module's task is the File that StrykerJS's runner reads back from vitest's state.
          for (const file of testModules.map((testModule) => (testModule as unknown as { task: RunnerTestFile }).task)) {
            if (file.result?.state !== 'fail' || file.tasks.length > 0) continue;
            file.tasks.push({
              type: 'test',
              id: `${file.id}_load`,
              name: 'the file loads',
              fullName: `${file.name} the file loads`,
              mode: 'run',
              file,
              suite: file,
              context: {} as never,
              meta: {},
              annotations: [],
              artifacts: [],
              timeout: 0,
              result: { state: 'fail', errors: file.result.errors ?? [] },
            } as unknown as (typeof file.tasks)[number]);
          }
        },
      },
    ],
    include: SELECTED ?? ['test/unit/**/*.test.{ts,tsx}'],
    environment: 'node',
    // A test that makes RSA keys (the personas' key cache) can pass 5 s when mutation runs share the cores; a
    // test failing in StrykerJS's first, unmutated run stops the module's run. A mutant that hangs a test is
    // still caught: StrykerJS times each mutant's run itself (stryker.config.mjs, timeoutMS).
    testTimeout: 20_000,
  },
});
