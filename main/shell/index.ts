/**
 * Electron shell entry: app lifecycle, single-instance lock, and wiring of
 * the kiosk (plain Node services) to the windows, the printer and IPC.
 */
import { app, ipcMain, Menu, session, type BrowserWindow } from 'electron';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { VirtualReader } from '../card/virtual-reader';
import { loadTerminalConfig } from '../kiosk/config';
import { bindKioskIpc } from './ipc';
import { createKiosk, type Kiosk } from '../kiosk/kiosk';
import { createLogger } from '../base/log';
import { createSlipPrinter } from './printing';
import { registerAppScheme, serveRenderer } from './protocol';
import { openSimulatedWorld, type SimulatedWorld } from '../simulation/world';
import { resolveDatabasePath } from '../store/database';
import { createCustomerWindow, createKioskWindow, hardenSession, lockDownWebContents } from './window';

const log = createLogger();
const here = fileURLToPath(new URL('.', import.meta.url));

// Both must happen before 'ready'.
registerAppScheme();
app.enableSandbox();

let kioskWindow: BrowserWindow | undefined;
/** At a counter with `customerDisplay`: the resident's keypad on the second screen. */
let customerWindow: BrowserWindow | undefined;

const appWindows = (): BrowserWindow[] => [kioskWindow, customerWindow].filter((window): window is BrowserWindow => window !== undefined);

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
  let world: SimulatedWorld | undefined;
  try {
    // Devtools only for a developer running from source who asked for them.
    const isDevelopment = !app.isPackaged && process.env.MYNA_KIOSK_DEV === '1';
    const configPath = process.env.MYNA_KIOSK_CONFIG ?? join(app.getPath('userData'), 'terminal.json');
    const config = loadTerminalConfig(configPath);

    // A virtual reader gets the trainer's tools (its cards are never a resident's); a real reader gets none,
    // and createKiosk opens the PC/SC stack for it.
    const virtualReader = config.cardSource === 'virtual' ? new VirtualReader() : undefined;
    // The simulated J-LIS is the issuing service until a real gateway exists (docs/architecture.md,
    // "Issuing service"); the records are the terminal's own. A database that cannot open stops the kiosk here.
    world = await openSimulatedWorld({ reader: virtualReader, dbPath: resolveDatabasePath(), terminalId: hostname() });

    Menu.setApplicationMenu(null);
    hardenSession(session.defaultSession);
    serveRenderer(session.defaultSession, join(here, '../renderer'));

    const kiosk = createKiosk(config, log, {
      reader: virtualReader,
      sessions: world.sessions,
      demo: world.demo,
      // The slip is on the kiosk window: the staff's screen at a counter, the only one elsewhere.
      printSlip: createSlipPrinter(() => kioskWindow, log),
    });
    kiosk.start();

    const pageOptions = { isDevelopment, preloadPath: join(here, '../preload/index.cjs'), log };
    kioskWindow = createKioskWindow({ ...pageOptions, profile: config.profile, onRendererLost: (cause) => kiosk.returnToAttract(cause) });
    // The customer's window is no use without the kiosk window: closing that one ends the app.
    kioskWindow.once('closed', () => app.quit());
    if (config.profile === 'counter' && config.customerDisplay) customerWindow = createCustomerWindow(pageOptions);

    bindKioskIpc(ipcMain, kiosk, appWindows, log, () => customerWindow);
    const records = world;
    app.once('before-quit', () => void shutDown(kiosk, records));
    log.info('kiosk-started', { profile: config.profile, cardSource: config.cardSource, customerDisplay: customerWindow !== undefined });
  } catch (error) {
    world?.close();
    fail(error);
  }
}

/**
 * The reader first (the card is unpowered, the session abandoned), then the
 * records. Electron does not wait for this; that is safe, since every
 * committed transaction is already on disk (WAL, synchronous=FULL).
 */
async function shutDown(kiosk: Kiosk, world: SimulatedWorld): Promise<void> {
  await kiosk.stop().catch((error: unknown) => log.error('kiosk-stop-failed', { error: (error as Error).name }));
  world.close();
}

function fail(error: unknown): void {
  log.error('kiosk-start-failed', { message: (error as Error).message });
  app.exit(1);
}
