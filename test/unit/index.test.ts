import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type * as FakeElectron from './fakes/electron';
import type { KioskEvent, ViewState } from '../../preload/contract';
import type { CardReader } from '../../main/card/reader';
import type * as SimulatedWorldModule from '../../main/simulation/world';
import type { openSimulatedWorld, SimulatedWorld } from '../../main/simulation/world';
import { hashPasscode } from '../../main/base/passcode';
import { TerminalCa } from '../../main/service/terminal-pki';
import { holdSimulatedJlis } from '../support/hold-simulation';
import { scratchForFile, scratchForTest } from '../support/scratch';

type Fakes = typeof FakeElectron;

interface Launched extends Fakes {
  /** What main/shell/index.ts asked openSimulatedWorld for, and the worlds it got. */
  worldRequests: Array<Parameters<typeof openSimulatedWorld>[0]>;
  worlds: Array<SimulatedWorld & { close: ReturnType<typeof vi.fn> }>;
  /** Sends a command as the page in `window` (the kiosk window by default) would. */
  command(input: unknown, window?: FakeElectron.FakeBrowserWindow): unknown;
  /** The snapshots the kiosk window has received so far. */
  snapshots(): ViewState[];
}

const launched: Launched[] = [];

/** Loads main/shell/index.ts afresh (it runs on import, as Electron runs it) against fresh fakes. */
async function launch(setup: (fakes: Fakes) => void = () => {}): Promise<Launched> {
  vi.resetModules();
  // A fresh set of fakes per launch: main/shell/index.ts registers its handlers on import.
  const fakes = await import('./fakes/electron');
  vi.doMock('electron', () => fakes);
  const worldRequests: Launched['worldRequests'] = [];
  const worlds: Launched['worlds'] = [];
  // The real world (simulated J-LIS and records), watched: what it was asked for, and whether it was closed.
  vi.doMock('../../main/simulation/world', async (importOriginal) => {
    const real = await importOriginal<typeof SimulatedWorldModule>();
    return {
      ...real,
      openSimulatedWorld: async (options: Parameters<typeof openSimulatedWorld>[0]) => {
        worldRequests.push(options);
        const world = await real.openSimulatedWorld(options);
        const watched = { ...world, close: vi.fn(() => world.close()) };
        worlds.push(watched);
        return watched;
      },
    };
  });
  fakes.FakeBrowserWindow.created = [];
  // Run from source unless a test packages it: the tests point the kiosk at their files through the environment.
  fakes.app.isPackaged = false;
  setup(fakes);
  await import('../../main/shell/index');
  await fakes.app.ready;
  // Let startKiosk's continuation (opening the records, then the windows) run.
  await until(() => fakes.app.exit.mock.calls.length > 0 || fakes.ipcMain.handlers.size > 0 || !fakes.app.singleInstance);
  const result: Launched = {
    ...fakes,
    worldRequests,
    worlds,
    command(input, window = fakes.FakeBrowserWindow.created[0]!) {
      const handler = fakes.ipcMain.handlers.get('kiosk:command')!;
      return handler({ sender: window.webContents, senderFrame: new fakes.FakeWebFrame('app://kiosk/index.html') }, input);
    },
    snapshots() {
      return fakes.FakeBrowserWindow.created[0]!.webContents.sent.map((message) => message.payload as KioskEvent)
        .filter((event) => event.type === 'snapshot')
        .map((event) => event.state);
    },
  };
  launched.push(result);
  return result;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the kiosk');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Quits the app as Electron would, and waits for its records to be closed. */
async function quit(running: Launched): Promise<void> {
  running.app.emit('before-quit', { preventDefault() {} });
  await until(() => running.worlds.every((world) => world.close.mock.calls.length > 0));
}

// One simulated CA for the whole file: creating it is the slow part. It sits where a packaged kiosk,
// which ignores MYNA_KIOSK_SIM_DIR, finds it: in the cache folder ($XDG_CACHE_HOME).
const cacheHome = scratchForFile('myna-kiosk-index-cache-');
const simDir = join(cacheHome, 'myna-kiosk', 'simulated-jlis');
mkdirSync(simDir, { recursive: true });
holdSimulatedJlis(simDir);
let configDir: string;

function writeConfig(config: Record<string, unknown>): void {
  writeFileSync(join(configDir, 'terminal.json'), JSON.stringify(config), { mode: 0o600 });
}

/**
 * A packaged kiosk's own folders: its data folder (app.getPath('userData')) with a demo terminal's config,
 * and a home for its records. The environment still names the test's files, for the kiosk to ignore.
 */
function packagedKiosk(): { home: string; setup: (fakes: Fakes) => void } {
  const userData = scratchForTest('myna-kiosk-user-data-');
  writeFileSync(join(userData, 'terminal.json'), JSON.stringify({ profile: 'demo' }), { mode: 0o600 });
  const home = scratchForTest('myna-kiosk-home-');
  vi.stubEnv('HOME', home);
  vi.stubEnv('XDG_CACHE_HOME', cacheHome);
  return {
    home,
    setup: ({ app }) => {
      app.isPackaged = true;
      app.getPath.mockReturnValue(userData);
    },
  };
}

beforeEach(() => {
  configDir = scratchForTest('myna-kiosk-config-');
  // The demo profile uses the virtual reader, so no PC/SC stack is needed here.
  writeConfig({ profile: 'demo' });
  vi.stubEnv('MYNA_KIOSK_CONFIG', join(configDir, 'terminal.json'));
  vi.stubEnv('MYNA_KIOSK_DB', join(configDir, 'kiosk.sqlite'));
  vi.stubEnv('MYNA_KIOSK_SIM_DIR', simDir);
  vi.stubEnv('MYNA_KIOSK_DEV', '');
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(async () => {
  await Promise.all(launched.splice(0).map(quit));
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  vi.doUnmock('../../main/card/pcsc-reader');
});

/** The kiosk's log lines so far (it writes JSON lines to stderr). */
function logged(): Array<Record<string, unknown>> {
  const writes = vi.mocked(process.stderr.write).mock.calls.map(([chunk]) => String(chunk));
  return writes
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('Electron main at start-up', () => {
  it('quits at once when another instance holds the single-instance lock', async () => {
    const fakes = await launch(({ app }) => {
      app.singleInstance = false;
    });
    expect(fakes.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(fakes.app.quit).toHaveBeenCalled();
    expect(fakes.FakeBrowserWindow.created).toHaveLength(0);
  });

  it('registers the app:// scheme and the global sandbox before the app is ready', async () => {
    const doneBeforeReady = { sandbox: 0, scheme: 0 };
    await launch(({ app, protocol }) => {
      app.whenReady.mockImplementation(() => {
        doneBeforeReady.sandbox = app.enableSandbox.mock.calls.length;
        doneBeforeReady.scheme = protocol.registerSchemesAsPrivileged.mock.calls.length;
        return app.ready;
      });
    });
    expect(doneBeforeReady).toEqual({ sandbox: 1, scheme: 1 });
  });

  it('creates one hardened window, serves the renderer over app:// and binds the IPC channel', async () => {
    const fakes = await launch();
    expect(fakes.FakeBrowserWindow.created).toHaveLength(1);
    const [window] = fakes.FakeBrowserWindow.created;
    expect(window!.options.webPreferences.sandbox).toBe(true);
    expect(window!.options.webPreferences.devTools).toBe(false);
    expect(window!.webContents.loadedUrls).toEqual(['app://kiosk/index.html']);
    expect(fakes.session.defaultSession.protocolHandlers.has('app')).toBe(true);
    expect(fakes.session.defaultSession.permissionRequestHandler).toBeDefined();
    expect(fakes.session.defaultSession.beforeRequest).toBeDefined();
    expect(fakes.ipcMain.handlers.has('kiosk:command')).toBe(true);
    expect(fakes.Menu.setApplicationMenu).toHaveBeenCalledWith(null);
  });

  it('locks down every WebContents the app creates, not only the first window', async () => {
    const fakes = await launch();
    const contents = new fakes.FakeWebContents();
    fakes.app.emit('web-contents-created', {}, contents);
    expect(contents.fire('will-navigate', 'https://example.com').defaultPrevented).toBe(true);
    expect(contents.windowOpenHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
  });

  it('keeps devtools off in a packaged app even when MYNA_KIOSK_DEV is set', async () => {
    vi.stubEnv('MYNA_KIOSK_DEV', '1');
    const fakes = await launch(packagedKiosk().setup);
    expect(fakes.FakeBrowserWindow.created[0]!.options.webPreferences.devTools).toBe(false);
  });

  it('packaged, runs on its own config and records: the environment overrides are ignored, and the log says which', async () => {
    const { home, setup } = packagedKiosk();
    // Were the override honoured, this config would stop the kiosk.
    writeConfig({ profile: 'casino' });
    const decoy = scratchForTest('myna-kiosk-decoy-sim-');
    vi.stubEnv('MYNA_KIOSK_SIM_DIR', decoy);
    vi.stubEnv('NODE_OPTIONS', '--max-old-space-size=512');
    const fakes = await launch(setup);
    expect(fakes.app.exit).not.toHaveBeenCalled();
    expect(fakes.FakeBrowserWindow.created).toHaveLength(1);
    const records = join(home, '.local', 'share', 'myna-kiosk', 'kiosk.sqlite');
    expect(fakes.worldRequests[0]).toMatchObject({ dbPath: records });
    expect(existsSync(records)).toBe(true);
    expect(readdirSync(decoy)).toEqual([]);
    expect(readdirSync(configDir)).toEqual(['terminal.json']);
    const ignored = String(logged().find((line) => line.event === 'environment-ignored')?.names).split(' ');
    expect(ignored).toEqual(expect.arrayContaining(['MYNA_KIOSK_CONFIG', 'MYNA_KIOSK_DB', 'MYNA_KIOSK_SIM_DIR', 'NODE_OPTIONS']));
  });

  it('packaged, refuses to start with a debugging switch or variable, saying why, and opens nothing', async () => {
    const { setup } = packagedKiosk();
    vi.stubEnv('ELECTRON_RUN_AS_NODE', '1');
    const argv = process.argv;
    process.argv = [...argv, '--remote-debugging-port=9222'];
    let fakes: Launched;
    try {
      fakes = await launch(setup);
    } finally {
      process.argv = argv;
    }
    expect(fakes.app.exit).toHaveBeenCalledWith(1);
    expect(fakes.app.whenReady).not.toHaveBeenCalled();
    expect(fakes.FakeBrowserWindow.created).toHaveLength(0);
    expect(fakes.worldRequests).toEqual([]);
    const refused = logged().find((line) => line.event === 'kiosk-launch-refused');
    expect(refused?.reasons).toMatch(/^--remote-debugging-port: .+; ELECTRON_RUN_AS_NODE: .+/);
    expect(JSON.stringify(refused)).not.toContain('9222');
  });

  it('focuses the existing window when a second instance starts', async () => {
    const fakes = await launch();
    fakes.app.emit('second-instance');
    expect(fakes.FakeBrowserWindow.created[0]!.focus).toHaveBeenCalled();
  });

  it('exits with an error, and opens no window, when the terminal config is invalid', async () => {
    writeConfig({ profile: 'casino' });
    const fakes = await launch();
    expect(fakes.app.exit).toHaveBeenCalledWith(1);
    expect(fakes.FakeBrowserWindow.created).toHaveLength(0);
  });

  it('exits with a logged message, and opens no window, when the records cannot be opened', async () => {
    writeFileSync(join(configDir, 'kiosk.sqlite'), 'this is not a kiosk database, and not SQLite at all');
    const fakes = await launch();
    expect(fakes.app.exit).toHaveBeenCalledWith(1);
    expect(fakes.FakeBrowserWindow.created).toHaveLength(0);
    expect(fakes.ipcMain.handlers.size).toBe(0);
    const failure = logged().find((entry) => entry.event === 'kiosk-start-failed');
    expect(failure?.message).toContain('kiosk.sqlite');
  });
});

describe('the composed kiosk', () => {
  it('on virtual cards, opens the simulated J-LIS behind a service of its own, with the records; prints on the kiosk printer', async () => {
    const fakes = await launch();
    expect(fakes.worldRequests).toHaveLength(1);
    expect(logged().find((line) => line.event === 'service-started')).toMatchObject({
      url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
    });
    expect(logged().find((line) => line.event === 'kiosk-started')).toMatchObject({ service: 'embedded' });
    expect(fakes.worldRequests[0]).toMatchObject({ dbPath: join(configDir, 'kiosk.sqlite'), terminalId: expect.any(String) });
    expect(fakes.worldRequests[0]!.terminalId.length).toBeGreaterThan(0);
    expect(fakes.command({ type: 'VIEW_READY' })).toEqual({ ok: true });
    expect(fakes.snapshots().at(-1)).toMatchObject({ printer: 'kiosk', cardSource: 'virtual', customerDisplay: false });
  });

  it('starts a session when a card is inserted on a virtual-card terminal', async () => {
    writeConfig({ profile: 'lobby', cardSource: 'virtual' });
    const fakes = await launch();
    // The world acts on the very reader the kiosk watches.
    expect(fakes.worldRequests[0]!.reader?.kind).toBe('virtual');
    fakes.command({ type: 'VIEW_READY' });
    const personas = fakes.snapshots().at(-1)!.demo!.personas;
    expect(personas.length).toBeGreaterThan(0);
    expect(fakes.command({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' })).toEqual({ ok: true });
    await until(() => fakes.snapshots().some((state) => state.screen === 'session'));
    expect(fakes.snapshots().at(-1)!.session).toBeDefined();
  });

  it('closes the records on quit, after the kiosk has stopped', async () => {
    const fakes = await launch();
    launched.splice(launched.indexOf(fakes), 1);
    const [world] = fakes.worlds;
    expect(world!.close).not.toHaveBeenCalled();
    await quit(fakes);
    expect(world!.close).toHaveBeenCalledTimes(1);
    // A stopped kiosk sends nothing more to the window.
    const sentBefore = fakes.FakeBrowserWindow.created[0]!.webContents.sent.length;
    fakes.worldRequests[0]!.reader!.unplug();
    expect(fakes.FakeBrowserWindow.created[0]!.webContents.sent).toHaveLength(sentBefore);
  });

  it('on real readers, talks to the municipal issuing service of its config, opens no simulation and gives no trainer tools', async () => {
    const ca = await TerminalCa.create('Test City');
    const terminal = await ca.issueTerminal('lobby-01', 'lobby');
    writeFileSync(join(configDir, 'terminal.pem'), terminal.certificate);
    writeFileSync(join(configDir, 'terminal-key.pem'), terminal.key, { mode: 0o600 });
    writeFileSync(join(configDir, 'ca.pem'), ca.certificatePem);
    writeConfig({
      profile: 'lobby',
      service: { url: 'https://127.0.0.1:9', certificate: 'terminal.pem', key: 'terminal-key.pem', ca: 'ca.pem' },
    });
    vi.doMock('../../main/card/pcsc-reader', () => ({
      PcscReader: class implements Partial<CardReader> {
        readonly kind = 'pcsc';
        start() {}
        async stop() {}
      },
    }));
    const fakes = await launch();
    expect(fakes.worldRequests).toEqual([]);
    expect(logged().find((line) => line.event === 'kiosk-started')).toMatchObject({ cardSource: 'pcsc', service: 'municipal' });
    fakes.command({ type: 'VIEW_READY' });
    const state = fakes.snapshots().at(-1)!;
    expect(state.cardSource).toBe('pcsc');
    expect(state.demo).toBeUndefined();
  });

  it('refuses to start on real readers without an issuing service, saying so, and opens no window', async () => {
    writeConfig({ profile: 'lobby' });
    const fakes = await launch();
    expect(fakes.app.exit).toHaveBeenCalledWith(1);
    expect(fakes.FakeBrowserWindow.created).toHaveLength(0);
    expect(String(logged().find((line) => line.event === 'kiosk-start-failed')?.message)).toMatch(/needs its issuing service/);
  });
});

describe('a counter with a customer display', () => {
  const counter = {
    profile: 'counter',
    cardSource: 'virtual',
    customerDisplay: true,
    staff: { accounts: [{ id: 'clerk', passcodeHash: hashPasscode('2468') }] },
  };
  const SECOND = { id: 2, bounds: { x: 1920, y: 0, width: 1280, height: 1024 } };

  it('opens a second, equally hardened window on the other display, trusted on the same channel', async () => {
    writeConfig(counter);
    const fakes = await launch(({ screen }) => {
      screen.displays = [...screen.displays, SECOND];
    });
    expect(fakes.FakeBrowserWindow.created).toHaveLength(2);
    const [kiosk, customer] = fakes.FakeBrowserWindow.created;
    expect(customer!.options.webPreferences).toEqual(kiosk!.options.webPreferences);
    expect(customer!.options).toMatchObject({ ...SECOND.bounds, fullscreen: true });
    expect(customer!.webContents.loadedUrls).toEqual(['app://kiosk/index.html#display=customer']);
    expect(fakes.command({ type: 'VIEW_READY' }, customer)).toEqual({ ok: true });
    expect(customer!.webContents.sent.at(-1)?.payload).toMatchObject({ type: 'snapshot', state: { customerDisplay: true } });
    expect(kiosk!.webContents.sent).toEqual(customer!.webContents.sent);
  });

  it('still opens the customer window, in an ordinary one, without a second display', async () => {
    writeConfig(counter);
    const fakes = await launch();
    expect(fakes.FakeBrowserWindow.created).toHaveLength(2);
    expect(fakes.FakeBrowserWindow.created[1]!.options).toMatchObject({ width: 800, height: 600, fullscreen: false });
    expect(logged().some((entry) => entry.event === 'customer-display-missing')).toBe(true);
  });

  it('quits when the kiosk window is closed, the customer window being no use alone', async () => {
    writeConfig(counter);
    const fakes = await launch();
    fakes.FakeBrowserWindow.created[0]!.close();
    expect(fakes.app.quit).toHaveBeenCalled();
  });

  it('opens no customer window on a lobby terminal, whatever the flag says', async () => {
    writeConfig({ profile: 'lobby', cardSource: 'virtual', customerDisplay: true });
    const fakes = await launch();
    expect(fakes.FakeBrowserWindow.created).toHaveLength(1);
  });
});
