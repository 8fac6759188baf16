import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type * as FakeElectron from './fakes/electron';

type Fakes = typeof FakeElectron;

/** Loads main/index.ts afresh (it runs on import, as Electron runs it) against fresh fakes. */
async function launch(setup: (fakes: Fakes) => void = () => {}): Promise<Fakes> {
  vi.resetModules();
  // A fresh set of fakes per launch: main/index.ts registers its handlers on import.
  const fakes = await import('./fakes/electron');
  vi.doMock('electron', () => fakes);
  fakes.FakeBrowserWindow.created = [];
  setup(fakes);
  await import('../../main/index');
  await fakes.app.ready;
  // Let startKiosk's continuation run.
  await new Promise((resolve) => setImmediate(resolve));
  return fakes;
}

let configDir: string;
beforeEach(() => {
  configDir = mkdtempSync(join(tmpdir(), 'myna-kiosk-config-'));
  const configPath = join(configDir, 'terminal.json');
  // The demo profile uses the virtual reader, so no PC/SC stack is needed here.
  writeFileSync(configPath, JSON.stringify({ profile: 'demo' }));
  vi.stubEnv('MYNA_KIOSK_CONFIG', configPath);
  vi.stubEnv('MYNA_KIOSK_DEV', '');
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

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
    const fakes = await launch(({ app }) => {
      app.isPackaged = true;
    });
    expect(fakes.FakeBrowserWindow.created[0]!.options.webPreferences.devTools).toBe(false);
  });

  it('focuses the existing window when a second instance starts', async () => {
    const fakes = await launch();
    fakes.app.emit('second-instance');
    expect(fakes.FakeBrowserWindow.created[0]!.focus).toHaveBeenCalled();
  });

  it('exits with an error, and opens no window, when the terminal config is invalid', async () => {
    writeFileSync(join(configDir, 'terminal.json'), JSON.stringify({ profile: 'casino' }));
    const fakes = await launch();
    expect(fakes.app.exit).toHaveBeenCalledWith(1);
    expect(fakes.FakeBrowserWindow.created).toHaveLength(0);
  });
});
