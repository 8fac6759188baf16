/**
 * Electron shell entry: app lifecycle, single-instance lock, and wiring of
 * the kiosk (plain Node services) to the window and IPC.
 */
import { app, ipcMain, Menu, session, type BrowserWindow } from 'electron';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadTerminalConfig } from './config';
import { bindKioskIpc } from './ipc';
import { createKiosk } from './kiosk';
import { createLogger } from './log';
import { registerAppScheme, serveRenderer } from './protocol';
import { createKioskWindow, hardenSession, lockDownWebContents } from './window';

const log = createLogger();
const here = fileURLToPath(new URL('.', import.meta.url));

// Both must happen before 'ready'.
registerAppScheme();
app.enableSandbox();

let kioskWindow: BrowserWindow | undefined;

if (!app.requestSingleInstanceLock()) {
  // A second copy on the same terminal would fight over the card reader.
  log.warn('second-instance-refused');
  app.quit();
} else {
  app.on('second-instance', () => {
    if (kioskWindow && !kioskWindow.isDestroyed()) {
      if (kioskWindow.isMinimized()) kioskWindow.restore();
      kioskWindow.focus();
    }
  });
  app.on('web-contents-created', (_event, contents) => lockDownWebContents(contents, log));
  app.on('window-all-closed', () => app.quit());
  app.whenReady().then(startKiosk, (error: unknown) => fail(error));
}

async function startKiosk(): Promise<void> {
  try {
    // Devtools only for a developer running from source who asked for them.
    const isDevelopment = !app.isPackaged && process.env.MYNA_KIOSK_DEV === '1';
    const configPath = process.env.MYNA_KIOSK_CONFIG ?? join(app.getPath('userData'), 'terminal.json');
    const config = loadTerminalConfig(configPath);

    Menu.setApplicationMenu(null);
    hardenSession(session.defaultSession);
    serveRenderer(session.defaultSession, join(here, '../renderer'));

    const kiosk = createKiosk(config, log);
    kiosk.start();
    kioskWindow = createKioskWindow({
      profile: config.profile,
      isDevelopment,
      preloadPath: join(here, '../preload/index.cjs'),
      log,
      onRendererLost: (cause) => kiosk.returnToAttract(cause),
    });
    bindKioskIpc(ipcMain, kiosk, kioskWindow, log);
    app.once('before-quit', () => void kiosk.stop());
    log.info('kiosk-started', { profile: config.profile, cardSource: config.cardSource });
  } catch (error) {
    fail(error);
  }
}

function fail(error: unknown): void {
  log.error('kiosk-start-failed', { message: (error as Error).message });
  app.exit(1);
}
