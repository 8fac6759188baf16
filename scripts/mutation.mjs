// `npm run test:mutation [-- module …]`: StrykerJS (stryker.config.mjs) on
// each module that holds the rules, the card protocol, the records and the
// session, one run per module with the unit tests that import it — the tests
// written for that module, not every test that happens to pass through it
// (those would make each mutant cost the whole suite). Writes one JSON and
// HTML report per module under reports/mutation/modules/, the merged JSON
// report reports/mutation/mutation.json, and prints the score of each module:
// (killed + timed out) ÷ all mutants, no coverage counted as survived.
// Exits non-zero when a run fails or a module scores under 90 %.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
/** Where the reports go: reports/mutation, or MUTATION_REPORTS (npm test's guard writes to a folder of its own). */
const REPORTS = process.env.MUTATION_REPORTS ? resolve(process.env.MUTATION_REPORTS) : join(ROOT, 'reports', 'mutation');
/** The aim of issue 14, per module. */
export const AIM_PERCENT = 90;

/** The modules mutated: the rooms of the rules, the card protocol, the records and the session, and the service's issuance rules. */
export const MUTATED_ROOMS = ['main/domain', 'main/card', 'main/store', 'main/session'];
/** Beyond the rooms: the proof of possession both sides build, and the staff passcodes' hashing. */
export const MUTATED_FILES = ['main/base/passcode.ts', 'main/issuance/possession.ts'];

/** Every module of the mutated rooms and files, as repository paths. */
export function mutatedModules(root = ROOT) {
  const modules = MUTATED_ROOMS.flatMap((room) =>
    readdirSync(join(root, room))
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
      .map((name) => `${room}/${name}`),
  );
  return [...modules, ...MUTATED_FILES].sort();
}

/**
 * The unit test files that import `module` themselves (a relative import
 * that resolves to it, with or without its extension), sorted.
 */
export function testsImporting(module, root = ROOT) {
  const target = resolve(root, module).replace(/\.ts$/, '');
  const files = readdirSync(join(root, 'test', 'unit'), { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.test\.tsx?$/.test(file))
    .map((file) => join('test', 'unit', file));
  return files
    .filter((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      for (const match of text.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) {
        const specifier = match[1] ?? match[2];
        if (resolve(root, dirname(file), specifier).replace(/\.(ts|js)$/, '') === target) return true;
      }
      return false;
    })
    .sort();
}

/**
 * Modules run against their own test files alone rather than every file
 * that imports them: modules whose code runs when they load (lookup tables,
 * schemas), or that other tests' set-up runs, make *static* mutants, which
 * StrykerJS runs against every selected test file whole. reader-errors.ts's
 * tables with the ten files that import it for its error class, the
 * calendar with the personas' set-up, the audit record's zod schemas with
 * the kiosk flows: hours each, where their own files take minutes. Fewer
 * tests can only kill fewer mutants, so these scores err low.
 */
export const OWN_TESTS = {
  'main/card/reader-errors.ts': ['test/unit/reader-errors.test.ts'],
  'main/domain/japan-calendar.ts': ['test/unit/japan-calendar.test.ts'],
  'main/domain/audit-record.ts': ['test/unit/audit-record.test.ts', 'test/unit/audit-shipping.test.ts'],
};

/** The test files a module's mutants run against: its own where OWN_TESTS names them, else every unit test file importing it. */
export function testsFor(module, root = ROOT) {
  return OWN_TESTS[module] ?? testsImporting(module, root);
}

/** Whether a module compiles to any JavaScript at all: one of types alone has nothing to mutate and no test can import it at run time. */
export function holdsCode(module, root = ROOT) {
  const { outputText } = ts.transpileModule(readFileSync(join(root, module), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, removeComments: true },
  });
  return outputText.replace('export {};', '').trim() !== '';
}

/** The score of one module's mutants in a mutation-testing report: (killed + timed out) ÷ all, and the counts. */
export function scoreOf(mutants) {
  const count = (status) => mutants.filter((mutant) => mutant.status === status).length;
  const detected = count('Killed') + count('Timeout');
  const ignored = count('Ignored');
  // Compile and runtime errors are not mutants a test could catch; an ignored one is marked equivalent in the code.
  const valid = mutants.length - count('CompileError') - count('RuntimeError') - ignored;
  return {
    mutants: valid,
    killed: count('Killed'),
    timeout: count('Timeout'),
    survived: count('Survived'),
    noCoverage: count('NoCoverage'),
    ignored,
    percent: valid === 0 ? 100 : Math.floor((detected / valid) * 1000) / 10,
  };
}

function run(modules) {
  mkdirSync(join(REPORTS, 'modules'), { recursive: true });
  const merged = { schemaVersion: '2', thresholds: { high: AIM_PERCENT, low: 80 }, files: {} };
  const rows = [];
  for (const module of modules) {
    const tests = testsFor(module);
    const report = join(REPORTS, 'modules', `${module.replaceAll('/', '__')}.json`);
    if (!holdsCode(module)) {
      console.log(`\n── ${module}: types only, nothing to mutate`);
      rows.push({ module, tests: tests.length, score: scoreOf([]), seconds: 0 });
      continue;
    }
    if (tests.length === 0) {
      console.log(`\n── ${module}: no unit test imports it; every mutant counts as survived`);
      rows.push({ module, tests: 0, score: undefined });
      continue;
    }
    console.log(`\n── ${module}: ${tests.length} test file(s): ${tests.map((file) => relative('test/unit', file)).join(', ')}`);
    const started = Date.now();
    const result = spawnSync('npx', ['stryker', 'run', '--logLevel', 'warn', '--reporters', 'json,html,clear-text'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, MUTATE: module, MUTATION_TESTS: tests.join(','), MUTATION_REPORT: relative(ROOT, report) },
    });
    const seconds = Math.round((Date.now() - started) / 1000);
    if (result.status !== 0 || !existsSync(report)) {
      console.log(`── ${module}: StrykerJS failed (exit ${result.status ?? result.signal})`);
      rows.push({ module, tests: tests.length, score: undefined, seconds });
      continue;
    }
    const json = JSON.parse(readFileSync(report, 'utf8'));
    const file = json.files[module];
    merged.files[module] = file;
    const score = scoreOf(file?.mutants ?? []);
    rows.push({ module, tests: tests.length, score, seconds });
  }
  writeFileSync(join(REPORTS, 'mutation.json'), JSON.stringify(merged));

  console.log('\n── Mutation scores: (killed + timed out) ÷ mutants; no coverage counts as survived');
  console.log('module | mutants | killed | timed out | survived | no coverage | marked equivalent | score | time');
  for (const { module, score, seconds } of rows) {
    if (!score) console.log(`${module} | – | – | – | – | – | – | failed | ${seconds ?? 0} s`);
    else {
      const counts = [score.mutants, score.killed, score.timeout, score.survived, score.noCoverage, score.ignored];
      console.log(`${module} | ${counts.join(' | ')} | ${score.percent} % | ${seconds} s`);
    }
  }
  const under = rows.filter((row) => !row.score || row.score.percent < AIM_PERCENT).map((row) => row.module);
  console.log(under.length === 0 ? `Every module at ${AIM_PERCENT} % or more.` : `Under ${AIM_PERCENT} %: ${under.join(', ')}`);
  // A run that failed or a module under the aim: both are in `under`.
  return under.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const asked = process.argv.slice(2);
  const known = mutatedModules();
  const unknown = asked.filter((module) => !known.includes(module));
  if (unknown.length > 0) {
    console.error(`Not a mutated module: ${unknown.join(', ')}. The modules are:\n${known.join('\n')}`);
    process.exit(2);
  }
  process.exit(run(asked.length > 0 ? asked : known));
}
