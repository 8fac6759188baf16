// Lint rules that keep the architecture mechanical (docs/architecture.md, "Rooms and import directions"):
//  - each room of main/ imports only the rooms below it (ROOM_IMPORTS, checked by eslint-plugin-boundaries);
//    every file of main/ is in a room, and no room imports a file outside one (tests, scripts);
//  - only the Electron shell (main/shell/) and the preload import 'electron';
//  - the renderer imports only its own files, preload/vocabulary.ts and types from preload/contract.ts;
//  - the contract imports nothing from Node or Electron.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/**
 * The rooms of main/ and the preload, as boundaries elements (a folder each).
 * Two files are named apart, for the rooms that may import only them: the
 * shared contract of the preload (not the preload script itself), and the
 * world, the one simulation file the terminal's composition may use.
 */
export const ROOMS = {
  preload: 'preload',
  base: 'main/base',
  domain: 'main/domain',
  card: 'main/card',
  store: 'main/store',
  issuance: 'main/issuance',
  session: 'main/session',
  simulation: 'main/simulation',
  kiosk: 'main/kiosk',
  service: 'main/service',
  hosting: 'main/hosting',
  shell: 'main/shell',
  'web-host': 'main/web-host',
  harness: 'main/harness',
  cli: 'main/cli',
};
export const NAMED_FILES = {
  contract: 'preload/{contract,vocabulary,channels,dashboard-contract}.ts',
  world: 'main/simulation/world.ts',
};

/** Below the kiosk: what a terminal is made of, none of it fake. */
const TERMINAL_PARTS = ['base', 'domain', 'card', 'store', 'issuance', 'session'];

/**
 * What each room may import besides itself and the contract — the table of
 * docs/architecture.md. Anything not listed is refused: so the session never
 * imports the simulation, the issuance port never imports the session, and
 * nothing but the CLI reaches the test harnesses. `world` stands for the one
 * file of the simulation by that name.
 */
export const ROOM_IMPORTS = {
  preload: [],
  base: [],
  domain: [],
  card: ['domain', 'base'],
  store: ['domain', 'base'],
  issuance: ['domain'],
  session: ['domain', 'base', 'card', 'issuance', 'store'],
  simulation: ['domain', 'base', 'card', 'issuance', 'store'],
  kiosk: TERMINAL_PARTS,
  // The municipality's issuing service: the issuance port's wire format, the simulated J-LIS behind it, and the
  // dashboard's files served as the kiosk's are.
  service: ['base', 'domain', 'card', 'issuance', 'simulation', 'hosting'],
  hosting: [],
  shell: [...TERMINAL_PARTS, 'kiosk', 'hosting', 'world', 'service'],
  // The demo's issuing service of its own, on loopback (main/service/embedded-service.ts).
  'web-host': [...TERMINAL_PARTS, 'kiosk', 'hosting', 'world', 'service'],
  harness: ['base'],
  // Anything of main/; the preload script runs only in Electron's sandboxed preload.
  cli: Object.keys(ROOMS).filter((room) => room !== 'preload'),
};

/** The policy of one room: its own files, the contract, and the rooms it may import. */
function roomPolicy(room, below) {
  const targets = [
    { element: { types: { anyOf: [room, ...below.filter((name) => name !== 'world')] } } },
    { element: { type: 'preload' }, file: { categories: 'contract' } },
  ];
  if (below.includes('world')) targets.push({ element: { type: 'simulation' }, file: { categories: 'world' } });
  return { from: { element: { type: room } }, allow: { to: targets } };
}

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

const noElectron = {
  name: 'electron',
  message: 'Only the Electron shell (main/shell/) and the preload import electron. Keep this code plain Node.',
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
      // StrykerJS's sandbox copies of the tree and its reports (npm run test:mutation).
      '.stryker-tmp*/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Prettier wraps code at 140; this catches what it leaves long (strings, comments, templates).
      'max-len': ['error', { code: 140, ignoreUrls: true }],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/shell/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [{ group: ['electron/*'], message: noElectron.message }] }],
    },
  },
  {
    files: ['main/**/*.ts', 'preload/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js'] } },
      'boundaries/elements': Object.entries(ROOMS).map(([type, pattern]) => ({ type, pattern })),
      'boundaries/files': Object.entries(NAMED_FILES).map(([category, pattern]) => ({ category, pattern })),
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: Object.entries(ROOM_IMPORTS).map(([room, below]) => roomPolicy(room, below)),
        },
      ],
      // Every file of main/ belongs to a room, and imports only files that do.
      'boundaries/no-unknown-files': 'error',
      'boundaries/no-unknown-dependencies': 'error',
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
                '!**/preload/dashboard-contract',
                '!**/preload/vocabulary',
                '**/test/**',
                '**/scripts/**',
              ],
              message:
                'The renderer imports only its own files, preload/vocabulary.ts and types from ' +
                'preload/contract.ts and preload/dashboard-contract.ts.',
            },
            {
              group: ['**/preload/contract', '**/preload/dashboard-contract'],
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
    files: ['preload/contract.ts', 'preload/channels.ts', 'preload/vocabulary.ts', 'preload/dashboard-contract.ts'],
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
    files: ['scripts/**/*.mjs', 'eslint.config.mjs', 'stryker.config.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', Buffer: 'readonly' } },
  },
);
