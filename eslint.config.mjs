// Lint rules that keep the process boundaries mechanical (see docs/architecture.md):
//  - only the Electron shell files in main/ and the preload may import 'electron';
//  - main's services (card, session, issuance, store, emulator) never do;
//  - the renderer imports only its own files, preload/vocabulary.ts and types from preload/contract.ts;
//  - the contract imports nothing from Node or Electron.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** The Electron shell: the only files in main/ allowed to import 'electron'. */
export const ELECTRON_SHELL_FILES = ['main/index.ts', 'main/window.ts', 'main/ipc.ts', 'main/protocol.ts', 'main/printing.ts'];

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

const noElectron = {
  name: 'electron',
  message:
    'Only the Electron shell files (main/index.ts, window.ts, ipc.ts, protocol.ts, printing.ts) and the preload import electron. Keep this code plain Node.',
};

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'coverage/**',
      'test/fixtures/renderer/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ELECTRON_SHELL_FILES,
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [{ group: ['electron/*'], message: noElectron.message }] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      // typescript-eslint's version of the rule, for allowTypeImports: the contract's types, never its schemas.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer is sandboxed: it talks to main only through window.kiosk.' },
            ...nodeBuiltins.map((name) => ({ name, message: 'The renderer runs in a browser sandbox: no Node modules.' })),
          ],
          patterns: [
            {
              group: [
                '**/main',
                '**/main/**',
                '**/preload/*',
                '!**/preload/contract',
                '!**/preload/vocabulary',
                '**/test/**',
                '**/scripts/**',
              ],
              message: 'The renderer imports only its own files, preload/vocabulary.ts and types from preload/contract.ts.',
            },
            {
              group: ['**/preload/contract'],
              allowTypeImports: true,
              message:
                'Import values from preload/vocabulary.ts; from the contract only types, so its zod schemas stay out of the renderer.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/contract.ts', 'preload/channels.ts', 'preload/vocabulary.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The contract is common code: no Electron.' },
            ...nodeBuiltins.map((name) => ({ name, message: 'The contract is common code: no Node.' })),
          ],
        },
      ],
    },
  },
  {
    files: ['preload/index.ts'],
    rules: {
      // The sandboxed preload cannot load npm packages at run time; only electron and its siblings.
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(?!electron$|\\./)', message: 'The sandboxed preload imports only electron and files beside it.' }] },
      ],
    },
  },
  {
    // The fakes mirror Electron's loosely typed handler signatures.
    files: ['test/unit/fakes/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', Buffer: 'readonly' } },
  },
);
