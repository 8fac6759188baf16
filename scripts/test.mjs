// `npm test`: install what is missing, build, then run every suite —
// typecheck, lint, unit, integration (real pcscd + vpcd), end-to-end
// (Playwright + system Chromium) — and end with one line that sums them:
// `N passed, N failed`. Exits non-zero when anything failed.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ensureNodeModules, ensureSystemPackages } from './ensure-deps.mjs';

ensureSystemPackages({ strict: true });
ensureNodeModules();

const results = join(ROOT, 'test-results');
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });

/** A step that counts as one check: it passes when the command exits 0. */
const check = (name, command, args) => async () => {
  const { status } = execute(command, args);
  return { name, passed: status === 0 ? 1 : 0, failed: status === 0 ? 0 : 1, skipped: 0 };
};

/** A suite of vitest projects (vitest.config.ts) run at once, counted test by test from its JSON report. */
const vitest =
  (suite, run = execute, projects = [suite]) =>
  async () => {
    const report = join(results, `${suite}.json`);
    const { status } = await inOwnTemporaryFolder(suite, (env) =>
      run(
        'npx',
        [
          'vitest',
          'run',
          ...projects.flatMap((project) => ['--project', project]),
          '--reporter=default',
          '--reporter=json',
          `--outputFile.json=${report}`,
        ],
        env,
      ),
    );
    const json = readJson(report);
    const counts = {
      name: suite,
      passed: json?.numPassedTests ?? 0,
      failed: json?.numFailedTests ?? 0,
      skipped: (json?.numPendingTests ?? 0) + (json?.numTodoTests ?? 0),
    };
    // A file that fails to load has no failing test but fails the run: count it.
    if (status !== 0 && counts.failed === 0) counts.failed = Math.max(1, json?.numFailedTestSuites ?? 1);
    return counts;
  };

/** A Playwright project (playwright.config.ts), counted test by test from its JSON report. */
const playwright =
  (name, project, extraArgs = [], run = execute) =>
  async () => {
    const report = join(results, `${name}.json`);
    const { status } = await inOwnTemporaryFolder(name, (env) =>
      run('npx', ['playwright', 'test', `--project=${project}`, ...extraArgs, '--reporter=list,json'], {
        ...env,
        PLAYWRIGHT_JSON_OUTPUT_FILE: report,
      }),
    );
    const stats = readJson(report)?.stats;
    const counts = {
      name,
      passed: (stats?.expected ?? 0) + (stats?.flaky ?? 0),
      failed: stats?.unexpected ?? 0,
      skipped: stats?.skipped ?? 0,
    };
    if (status !== 0 && counts.failed === 0) counts.failed = 1;
    return counts;
  };

const steps = [
  check('build', process.execPath, ['scripts/build.mjs']),
  check('typecheck (node)', 'npx', ['tsc', '-p', 'tsconfig.node.json', '--noEmit']),
  check('typecheck (web)', 'npx', ['tsc', '-p', 'tsconfig.web.json', '--noEmit']),
  check('lint', 'npm', ['run', '--silent', 'lint']),
];

const outcomes = [];
for (const step of steps) outcomes.push(await step());
// The unit tests keep a core busy while the integration tests mostly wait on pcscd and child processes, so
// they run side by side; each one's output goes to test-results/<suite>.log and is shown whole when it ends.
// The screen matrix (one browser page, one core) follows the unit tests on their core while the integration
// tests finish. The end-to-end routes come after them all: beside the integration tests, with their web hosts
// on both cores, they slowed those more than they gained.
console.log("\n── unit, then the screen matrix, beside integration; each one's output follows when it ends");
const unitThenScreens = async () => [
  // The unit files that replace a module (vi.mock) run in a project of their own, each file isolated.
  await vitest('unit', executeToFile('unit'), ['unit', 'unit-mocking'])(),
  await playwright('screen matrix', 'screens', ['--workers=1'], executeToFile('screen-matrix'))(),
];
const [unitAndScreens, integration] = await Promise.all([unitThenScreens(), vitest('integration', executeToFile('integration'))()]);
outcomes.push(...unitAndScreens, integration);
outcomes.push(await playwright('e2e', 'routes')());

console.log('\n── Summary ──');
for (const outcome of outcomes) {
  const skipped = outcome.skipped ? `, ${outcome.skipped} skipped` : '';
  console.log(`${outcome.name.padEnd(18)} ${outcome.passed} passed, ${outcome.failed} failed${skipped}`);
}
const passed = outcomes.reduce((sum, outcome) => sum + outcome.passed, 0);
const failed = outcomes.reduce((sum, outcome) => sum + outcome.failed, 0);
const skipped = outcomes.reduce((sum, outcome) => sum + outcome.skipped, 0);
// The closing line CI reads. A skipped test is reported, never hidden, and it fails the run.
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed + skipped === 0 ? 0 : 1);

/**
 * Runs a suite with TMPDIR set to a folder of its own, removed when the suite ends. The tests remove their
 * own folders as they go (a simulated world is tens of megabytes, and a CI machine's disk is not large);
 * whatever one of them missed is named here and goes with the folder, so no suite leaves anything behind.
 */
async function inOwnTemporaryFolder(suite, run) {
  const folder = mkdtempSync(join(tmpdir(), `mk-${suite.replace(/\W+/g, '-')}-`));
  // Open as /tmp is (sticky): the PostgreSQL sandbox's server runs as the postgres user and must reach its folder.
  chmodSync(folder, 0o1777);
  try {
    return await run({ TMPDIR: folder });
  } finally {
    const left = readdirSync(folder);
    if (left.length > 0) {
      const named = left.length > 8 ? `${left.slice(0, 8).join(', ')} …` : left.join(', ');
      console.log(`\n── ${suite} left ${left.length} item(s) in its temporary folder, now removed: ${named}`);
    }
    rmSync(folder, { recursive: true, force: true });
  }
}

function execute(command, args, env = {}) {
  console.log(`\n── ${[command, ...args].join(' ')}`);
  return spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
}

/** Runs a command with its output going to test-results/<name>.log, then prints that log whole. */
function executeToFile(name) {
  return async (command, args, env = {}) => {
    const logPath = join(results, `${name}.log`);
    const log = createWriteStream(logPath);
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const [code] = await once(child, 'close');
    log.end();
    await once(log, 'close');
    console.log(`\n── ${[command, ...args].join(' ')}`);
    process.stdout.write(readFileSync(logPath));
    return { status: code };
  };
}

function readJson(path) {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
