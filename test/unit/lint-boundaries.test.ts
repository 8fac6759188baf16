import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The process boundaries are enforced by eslint.config.mjs; these cases prove
// the rules fire, so a config edit that silently disables them fails here.
const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

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
    'main/emulator/card.ts',
    'main/kiosk.ts',
    'main/web-host.ts',
  ])('forbid electron in %s', async (file) => {
    expect(await importErrors(file, "import { app } from 'electron';\nexport const x = app;\n")).toHaveLength(1);
    expect(await importErrors(file, "import { ipcRenderer } from 'electron/renderer';\nexport const x = ipcRenderer;\n")).toHaveLength(1);
  });

  it.each(['main/index.ts', 'main/window.ts', 'main/ipc.ts', 'main/protocol.ts'])('allow electron in the shell file %s', async (file) => {
    expect(await importErrors(file, "import { app } from 'electron';\nexport const x = app;\n")).toEqual([]);
  });

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
        "import { contextBridge } from 'electron';\nimport { IPC_EVENT_CHANNEL } from './channels';\nexport const x = [contextBridge, IPC_EVENT_CHANNEL];\n",
      ),
    ).toEqual([]);
  });
});
