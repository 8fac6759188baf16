import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The boundaries are enforced by eslint.config.mjs; these cases prove the
// rules fire, so a config edit that silently disables them fails here.
const ROOT = new URL('../..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: ROOT });

async function importErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports' || message.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((message) => message.message);
}

describe('import boundaries', () => {
  it.each([
    'main/card/apdu.ts',
    'main/session/machine.ts',
    'main/issuance/gateway.ts',
    'main/store/journal.ts',
    'main/simulation/card.ts',
    'main/kiosk/kiosk.ts',
    'main/web-host/web-host.ts',
    'main/cli/index.ts',
  ])('forbid electron in %s', async (file) => {
    expect(await importErrors(file, "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
    expect(await importErrors(file, "import { ipcRenderer } from 'electron/renderer';\nexport const x = ipcRenderer;\n")).toHaveLength(1);
  });

  it.each(['main/shell/index.ts', 'main/shell/window.ts', 'main/shell/ipc.ts', 'main/shell/protocol.ts', 'main/shell/printing.ts'])(
    'allow electron in the shell file %s',
    async (file) => {
      expect(await importErrors(file, "import { app } from 'electron';\nexport const x = app;\n")).toEqual([]);
    },
  );

  it.each([
    "import { Kiosk } from '../../main/kiosk';",
    "import { x } from '../../preload/index';",
    "import { x } from '../../preload/channels';",
    "import { readFileSync } from 'node:fs';",
    "import { readFileSync } from 'fs';",
    "import { ipcRenderer } from 'electron';",
    "import { x } from '../../test/unit/fakes/electron';",
    "import { viewStateSchema } from '../../../preload/contract';",
  ])('forbid the renderer: %s', async (line) => {
    expect(await importErrors('renderer/src/screens/Some.tsx', `${line}\nexport const y = 1;\n`)).toHaveLength(1);
  });

  it('allow the renderer its own files, the contract and npm packages', async () => {
    const source = [
      "import type { ViewState } from '../../../preload/contract';",
      "import { LANGUAGES } from '../../../preload/vocabulary';",
      "import { useKioskStore } from '../store';",
      "import { create } from 'zustand';",
      'export type T = ViewState;',
      'export const z = [useKioskStore, create, LANGUAGES];',
    ].join('\n');
    expect(await importErrors('renderer/src/screens/Some.tsx', source)).toEqual([]);
  });

  it('keep the contract free of Node and Electron', async () => {
    expect(
      await importErrors('preload/contract.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"),
    ).toHaveLength(1);
    expect(await importErrors('preload/contract.ts', "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
  });

  it('keep the sandboxed preload free of npm packages', async () => {
    expect(await importErrors('preload/index.ts', "import { z } from 'zod';\nexport const x = z;\n")).toHaveLength(1);
    expect(
      await importErrors(
        'preload/index.ts',
        "import { contextBridge } from 'electron';\nimport { IPC_EVENT_CHANNEL } from './channels';\n" +
          'export const x = [contextBridge, IPC_EVENT_CHANNEL];\n',
      ),
    ).toEqual([]);
  });
});

/** A real file of each room: the resolver needs the imported file to exist. */
const ROOM_FILE: Record<string, string> = {
  base: 'main/base/log.ts',
  domain: 'main/domain/pin-rules.ts',
  card: 'main/card/apdu.ts',
  store: 'main/store/journal.ts',
  issuance: 'main/issuance/gateway.ts',
  session: 'main/session/view.ts',
  simulation: 'main/simulation/personas.ts',
  world: 'main/simulation/world.ts',
  kiosk: 'main/kiosk/config.ts',
  service: 'main/service/terminal-pki.ts',
  hosting: 'main/hosting/csp.ts',
  shell: 'main/shell/window.ts',
  'web-host': 'main/web-host/web-host.ts',
  harness: 'main/harness/pcscd-sandbox.ts',
  cli: 'main/cli/usage-error.ts',
  // The contract and the preload script's folder; every room may import the contract (checked below).
  preload: 'preload/channels.ts',
};
const ROOMS = Object.keys(ROOM_FILE).filter((room) => room !== 'world');
/** What a table row names: the rooms of main/ (the preload's contract is allowed everywhere and checked apart). */
const MAIN_ROOMS = Object.keys(ROOM_FILE).filter((room) => room !== 'preload');

/** The table "| room | may import |" of docs/architecture.md: the picture lint must hold the code to. */
function documentedTable(): Map<string, Set<string>> {
  const page = readFileSync(`${ROOT}docs/architecture.md`, 'utf8');
  const start = page.indexOf('| room | may import |');
  expect(start, 'docs/architecture.md has the table of import directions').toBeGreaterThan(0);
  const table = new Map<string, Set<string>>();
  for (const line of page.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [room, allowed] = line
      .split('|')
      .slice(1, 3)
      .map((cell) => cell.trim()) as [string, string];
    const targets = allowed.startsWith('anything') ? MAIN_ROOMS : allowed.startsWith('nothing') ? [] : allowed.split(/,\s*/);
    table.set(room, new Set(targets));
  }
  return table;
}

/** The boundaries errors of a file in `fromRoom` that imports the given room's file. */
async function edgeErrors(fromRoom: string, toRoom: string, kind: 'value' | 'type' = 'value'): Promise<string[]> {
  const fromDir = ROOM_FILE[fromRoom]!.replace(/\/[^/]+$/, '');
  const fromFile = `${fromDir}/edge-probe.ts`;
  let target = ROOM_FILE[toRoom]!.replace(/\.ts$/, '');
  target = target.startsWith(`${fromDir}/`)
    ? `./${target.slice(fromDir.length + 1)}`
    : `${'../'.repeat(fromDir.split('/').length)}${target}`;
  const source =
    kind === 'type'
      ? `import type * as probe from '${target}';\nexport type T = typeof probe;\n`
      : `import * as probe from '${target}';\nexport const x = probe;\n`;
  const [result] = await eslint.lintText(source, { filePath: fromFile });
  return (result?.messages ?? []).filter((message) => message.ruleId?.startsWith('boundaries/')).map((message) => message.message);
}

describe('the rooms of main/ import only in the directions of docs/architecture.md', () => {
  const table = documentedTable();

  it('names every room once', () => {
    expect([...table.keys()].sort()).toEqual([...ROOMS].sort());
  });

  it.each(ROOMS)('%s imports exactly the rooms the table allows', async (room) => {
    const allowed = table.get(room) ?? new Set<string>();
    const wrong: string[] = [];
    for (const target of MAIN_ROOMS) {
      // A room's own files are always allowed; the world is a file of the simulation.
      const expected =
        target === room || allowed.has(target) || (target === 'world' && (room === 'simulation' || allowed.has('simulation')));
      const errors = await edgeErrors(room, target);
      if (expected !== (errors.length === 0))
        wrong.push(`${room} → ${target}: ${expected ? 'allowed, but lint says ' + errors.join('; ') : 'forbidden, but lint let it pass'}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a forbidden room in a type-only import too', async () => {
    expect(await edgeErrors('session', 'simulation', 'type')).toHaveLength(1);
    expect(await edgeErrors('issuance', 'session', 'type')).toHaveLength(1);
    expect(await edgeErrors('session', 'domain', 'type')).toEqual([]);
  });

  it('lets every room import the shared contract, and none of main/ the preload script', async () => {
    for (const room of ROOMS.filter((name) => name !== 'preload')) {
      const up = '../'.repeat(ROOM_FILE[room]!.split('/').length - 1);
      const probe = (path: string) =>
        eslint.lintText(`import * as p from '${up}${path}';\nexport const x = p;\n`, {
          filePath: `${ROOM_FILE[room]!.replace(/[^/]+$/, '')}edge-probe.ts`,
        });
      for (const shared of ['preload/contract', 'preload/vocabulary', 'preload/channels']) {
        const [result] = await probe(shared);
        expect(
          result?.messages.filter((message) => message.ruleId?.startsWith('boundaries/')),
          `${room} → ${shared}`,
        ).toEqual([]);
      }
      const [script] = await probe('preload/index');
      expect(
        script?.messages.filter((message) => message.ruleId === 'boundaries/dependencies'),
        `${room} → preload/index`,
      ).toHaveLength(1);
    }
  });

  it('refuses a file of main/ outside every room, and an import of a file outside them', async () => {
    const [loose] = await eslint.lintText('export const x = 1;\n', { filePath: 'main/loose-file.ts' });
    expect(loose?.messages.map((message) => message.ruleId)).toContain('boundaries/no-unknown-files');
    const [reachingIntoTests] = await eslint.lintText("import * as p from '../../test/support/persona-pins';\nexport const x = p;\n", {
      filePath: 'main/session/edge-probe.ts',
    });
    expect(reachingIntoTests?.messages.map((message) => message.ruleId)).toContain('boundaries/no-unknown-dependencies');
  });
});

describe('line length', () => {
  it('refuses a line over 140 characters that the formatter cannot wrap (a long string)', async () => {
    const long = `export const s = '${'x'.repeat(130)}';\n`;
    const [result] = await eslint.lintText(long, { filePath: 'main/domain/probe.ts' });
    expect(result?.messages.map((message) => message.ruleId)).toContain('max-len');
    const [fits] = await eslint.lintText(`export const s = '${'x'.repeat(100)}';\n`, { filePath: 'main/domain/probe.ts' });
    expect(fits?.messages.map((message) => message.ruleId)).not.toContain('max-len');
  });
});
