/**
 * What a kiosk starting in Electron takes from its command line and its
 * environment. Run from source, a developer points it at other files and
 * opens devtools through the environment. A packaged kiosk runs on its own
 * files only: it ignores those overrides, and it will not start with a
 * switch or variable that opens it to a debugger or turns its protection
 * off — whoever can start it so could read what the resident types.
 *
 * Plain Node: main/shell/index.ts feeds it `app.isPackaged`, `process.argv`
 * and `process.env`, and does what it says.
 */

export interface LaunchRequest {
  isPackaged: boolean;
  /** `process.argv`: the executable, then the arguments. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  platform: NodeJS.Platform;
}

export type LaunchDecision =
  | {
      refused: false;
      /** The terminal config named by the environment (from source only); otherwise the app data folder's. */
      configPath: string | undefined;
      devTools: boolean;
      /** Variables set but ignored, to be removed from the environment before anything reads them (names only). */
      ignoredEnvironment: string[];
    }
  | {
      refused: true;
      /** One per switch or variable: its name and why, never its value. */
      reasons: string[];
    };

/**
 * Switches a packaged kiosk refuses (Chromium's and Node's, matched without
 * their value, case-insensitively), and why.
 */
const REFUSED_SWITCHES: ReadonlyArray<{ matches: (name: string) => boolean; why: string }> = [
  {
    matches: (name) => /^(inspect|debug)(-|$)/.test(name),
    why: "opens Node's inspector on the main process (the Electron fuse also ignores it)",
  },
  {
    matches: (name) => name.startsWith('remote-debugging-') || name === 'remote-allow-origins',
    why: "opens Chromium's DevTools protocol to the kiosk's windows",
  },
  { matches: (name) => name === 'js-flags', why: 'hands flags to V8, its debugging and tracing among them' },
  {
    matches: (name) => ['enable-logging', 'log-file', 'v', 'vmodule'].includes(name),
    why: "writes Chromium's internal log",
  },
  {
    matches: (name) => name === 'no-sandbox' || name === 'disable-web-security',
    why: "turns off the renderer's sandbox or its same-origin rule",
  },
  { matches: (name) => name === 'user-data-dir', why: 'moves the data folder that holds the terminal config' },
];

/** Variables a packaged kiosk refuses: each turns on debugging, or makes Electron a plain Node. */
const REFUSED_VARIABLES: Readonly<Record<string, string>> = {
  ELECTRON_RUN_AS_NODE: 'runs Electron as a plain Node (the Electron fuse also ignores it)',
  ELECTRON_ENABLE_LOGGING: "writes Chromium's internal log",
  ELECTRON_ENABLE_STACK_DUMPING: 'dumps stacks on a crash',
  ELECTRON_LOG_ASAR_READS: 'logs every file read from the app archive',
  NODE_DEBUG: "writes Node's internal debugging to the console",
};

/**
 * Variables a packaged kiosk ignores: its own overrides (config, records,
 * simulation, devtools, …) and the Node ones Electron already ignores with
 * the nodeOptions fuse off.
 */
const isIgnoredVariable = (name: string) => name.startsWith('MYNA_KIOSK_') || name === 'NODE_OPTIONS' || name === 'NODE_EXTRA_CA_CERTS';

export function decideLaunch(request: LaunchRequest): LaunchDecision {
  const { env } = request;
  const set = Object.keys(env)
    .filter((name) => env[name] !== undefined && env[name] !== '')
    .sort();
  if (!request.isPackaged) {
    return { refused: false, configPath: env.MYNA_KIOSK_CONFIG || undefined, devTools: env.MYNA_KIOSK_DEV === '1', ignoredEnvironment: [] };
  }
  const reasons = [
    ...switchesOf(request.argv.slice(1), request.platform).flatMap((name) => {
      const refusal = REFUSED_SWITCHES.find((candidate) => candidate.matches(name));
      return refusal ? [`--${name}: ${refusal.why}`] : [];
    }),
    ...set.flatMap((name) => (REFUSED_VARIABLES[name] ? [`${name}: ${REFUSED_VARIABLES[name]}`] : [])),
  ];
  if (reasons.length > 0) return { refused: true, reasons };
  return { refused: false, configPath: undefined, devTools: false, ignoredEnvironment: set.filter(isIgnoredVariable) };
}

/**
 * The switch names on a command line as Chromium reads them: `--name`,
 * `-name` (and `/name` on Windows), with or without `=value`, until a bare
 * `--`. Lower-cased, as Windows matches them.
 */
function switchesOf(args: readonly string[], platform: NodeJS.Platform): string[] {
  const prefix = platform === 'win32' ? /^(--|-|\/)(?=[^-/])/ : /^(--|-)(?=[^-])/;
  const names: string[] = [];
  for (const arg of args) {
    if (arg === '--') break;
    const match = prefix.exec(arg);
    if (match) names.push(arg.slice(match[0].length).split('=')[0]!.toLowerCase());
  }
  return names;
}
