import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OWN_TESTS, holdsCode, mutatedModules, scoreOf, testsFor, testsImporting } from '../../scripts/mutation.mjs';
import { scratchForTest } from '../support/scratch';

/** A repository in miniature: two rooms' modules and unit tests that import them in the ways tests do. */
function miniatureRepository(): string {
  const root = scratchForTest('myna-kiosk-mutation-');
  for (const room of ['main/domain', 'main/card', 'main/store', 'main/session', 'main/issuance', 'test/unit/renderer']) {
    mkdirSync(join(root, room), { recursive: true });
  }
  writeFileSync(join(root, 'main/domain/rules.ts'), '');
  writeFileSync(join(root, 'main/domain/rules-extra.ts'), '');
  writeFileSync(join(root, 'main/domain/types.d.ts'), '');
  writeFileSync(join(root, 'main/card/apdu.ts'), '');
  writeFileSync(join(root, 'test/unit/rules.test.ts'), "import { a } from '../../main/domain/rules';\n");
  writeFileSync(join(root, 'test/unit/rules-js.test.ts'), 'import { a } from "../../main/domain/rules.js";\n');
  writeFileSync(join(root, 'test/unit/lazy.test.ts'), "const m = await import('../../main/domain/rules');\n");
  writeFileSync(join(root, 'test/unit/renderer/deep.test.tsx'), "import { a } from '../../../main/domain/rules';\n");
  // A longer name that starts the same, a package of the same name, and a mention in a comment: not imports of rules.
  writeFileSync(join(root, 'test/unit/extra.test.ts'), "import { b } from '../../main/domain/rules-extra';\n// main/domain/rules\n");
  writeFileSync(join(root, 'test/unit/package.test.ts'), "import { c } from 'rules';\n");
  writeFileSync(join(root, 'test/unit/helper.ts'), "import { a } from '../../main/domain/rules';\n");
  return root;
}

describe('npm run test:mutation (scripts/mutation.mjs)', () => {
  it('mutates every module of the rules, card, records and session rooms, the issuance rule and the passcodes, not declarations', () => {
    const root = miniatureRepository();
    writeFileSync(join(root, 'main/issuance/possession.ts'), '');
    expect(mutatedModules(root)).toEqual([
      'main/base/passcode.ts',
      'main/card/apdu.ts',
      'main/domain/rules-extra.ts',
      'main/domain/rules.ts',
      'main/issuance/possession.ts',
    ]);
  });

  it("runs a module's mutants against the unit test files that import it themselves, however they import it", () => {
    const root = miniatureRepository();
    expect(testsImporting('main/domain/rules.ts', root)).toEqual([
      'test/unit/lazy.test.ts',
      'test/unit/renderer/deep.test.tsx',
      'test/unit/rules-js.test.ts',
      'test/unit/rules.test.ts',
    ]);
    expect(testsImporting('main/domain/rules-extra.ts', root)).toEqual(['test/unit/extra.test.ts']);
    expect(testsImporting('main/card/apdu.ts', root)).toEqual([]);
  });

  it('runs a module named in OWN_TESTS against its own test files alone, each of which exists and imports it', () => {
    const root = miniatureRepository();
    expect(testsFor('main/domain/rules.ts', root)).toEqual(testsImporting('main/domain/rules.ts', root));
    for (const [module, tests] of Object.entries(OWN_TESTS)) {
      expect(testsFor(module)).toEqual(tests);
      expect(testsImporting(module)).toEqual(expect.arrayContaining([...tests]));
    }
  });

  it('sees that a module of types alone has nothing to mutate', () => {
    const root = miniatureRepository();
    writeFileSync(
      join(root, 'main/card/types.ts'),
      "import type { A } from './a';\n/** B. */\nexport interface B { a: A }\nexport type C = B;\n",
    );
    writeFileSync(join(root, 'main/card/code.ts'), 'export interface B { a: number }\nexport const b: B = { a: 1 };\n');
    expect(holdsCode('main/card/types.ts', root)).toBe(false);
    expect(holdsCode('main/card/code.ts', root)).toBe(true);
    expect(holdsCode('main/card/reader.ts')).toBe(false);
    expect(holdsCode('main/card/reader-errors.ts')).toBe(true);
  });

  it('scores (killed + timed out) ÷ mutants, counting no coverage as survived and leaving out errors and marked equivalents', () => {
    const mutants = [
      ...Array.from({ length: 6 }, () => ({ status: 'Killed' })),
      { status: 'Timeout' },
      { status: 'Survived' },
      { status: 'NoCoverage' },
      { status: 'CompileError' },
      { status: 'RuntimeError' },
      { status: 'Ignored' },
    ];
    expect(scoreOf(mutants)).toEqual({ mutants: 9, killed: 6, timeout: 1, survived: 1, noCoverage: 1, ignored: 1, percent: 77.7 });
    expect(scoreOf([{ status: 'Killed' }, { status: 'Killed' }, { status: 'Survived' }]).percent).toBe(66.6);
    expect(scoreOf([]).percent).toBe(100);
  });
});
