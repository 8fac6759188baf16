/**
 * Electron shell entry: app lifecycle, single-instance lock, and wiring of
 * the kiosk (plain Node services) to the windows, the printer and IPC.
 */
import { app, ipcMain, Menu, session, type BrowserWindow } from 'electron';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { VirtualReader } from '../card/virtual-reader';
import { configFingerprint, loadTerminalConfig, readServiceConnection, type TerminalConfig } from '../kiosk/config';
import { startFleetReporter, type FleetReporter } from '../kiosk/fleet-reporter';
import { bindKioskIpc } from './ipc';
import { createKiosk, type DemoCards, type Kiosk, type SessionServices } from '../kiosk/kiosk';
import { localSpeechEngine } from '../kiosk/speech';
import { decideLaunch } from '../kiosk/launch-policy';
import { createLogger } from '../base/log';
import { createSlipPrinter } from './printing';
import { registerAppScheme, serveRenderer } from './protocol';
import { IssuingServiceClient, terminalIdOfCertificate } from '../issuance/service-client';
import { startEmbeddedServiceOver } from '../service/embedded-service';
import { openSimulatedWorld } from '../simulation/world';
import { openTerminalRecords, type TerminalRecords } from '../store/terminal-records';
import { resolveDatabasePath } from '../store/database';
import type { SignInLimitStore } from '../store/staff-sign-in-limits';
import { createCustomerWindow, createKioskWindow, hardenSession, lockDownWebContents } from './window';

const log = createLogger();
const here = fileURLToPath(new URL('.', import.meta.url));

let kioskWindow: BrowserWindow | undefined;
/** At a counter with `customerDisplay`: the resident's keypad on the second screen. */
let customerWindow: BrowserWindow | undefined;

const appWindows = (): BrowserWindow[] => [kioskWindow, customerWindow].filter((window): window is BrowserWindow => window !== undefined);

// Before anything else: a packaged kiosk will not run with a debugging switch, nor on files the environment names.
const launch = decideLaunch({ isPackaged: app.isPackaged, argv: process.argv, env: process.env, platform: process.platform });
if (launch.refused) {
  log.error('kiosk-launch-refused', { reasons: launch.reasons.join('; ') });
  app.exit(1);
} else {
  // Removed, not merely passed over: nothing read later (the records' or the simulation's folder) can see them.
  for (const name of launch.ignoredEnvironment) delete process.env[name];
  if (launch.ignoredEnvironment.length > 0) log.warn('environment-ignored', { names: launch.ignoredEnvironment.join(' ') });
  startApp(launch.configPath, launch.devTools);
}

function startApp(configPath: string | undefined, devTools: boolean): void {
  // Both must happen before 'ready'.
  registerAppScheme();
  app.enableSandbox();
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
    app.whenReady().then(
      () => startKiosk(configPath ?? join(app.getPath('userData'), 'terminal.json'), devTools),
      (error: unknown) => fail(error),
    );
  }
}

/** `isDevelopment`: devtools, only for a developer running from source who asked for them (launch-policy.ts). */
async function startKiosk(configPath: string, isDevelopment: boolean): Promise<void> {
  let issuing: IssuingSide | undefined;
  try {
    const config = loadTerminalConfig(configPath);

    // A virtual reader gets the trainer's tools (its cards are never a resident's); a real reader gets none,
    // and createKiosk opens the PC/SC stack for it.
    const virtualReader = config.cardSource === 'virtual' ? new VirtualReader() : undefined;
    // A database that cannot open, or service files that cannot be read, stop the kiosk here.
    issuing = await openIssuingSide(config, virtualReader);

    Menu.setApplicationMenu(null);
    hardenSession(session.defaultSession);
    serveRenderer(session.defaultSession, join(here, '../renderer'));

    const kiosk = createKiosk(config, log, {
      reader: virtualReader,
      sessions: issuing.sessions,
      signInLimits: issuing.signInLimits,
      demo: issuing.demo,
      // The slip is on the kiosk window: the staff's screen at a counter, the only one elsewhere.
      printSlip: createSlipPrinter(() => kioskWindow, log),
      speech: localSpeechEngine(),
    });
    kiosk.start();
    // A terminal of the municipality's service reports its audit rows and its health to it (docs/fleet.md).
    const reporter = issuing.fleet
      ? startFleetReporter({
          kiosk,
          ...issuing.fleet,
          configFingerprint: configFingerprint(config),
          dataDir: dirname(resolveDatabasePath()),
          log,
        })
      : undefined;

    const pageOptions = { isDevelopment, preloadPath: join(here, '../preload/index.cjs'), log };
    kioskWindow = createKioskWindow({ ...pageOptions, profile: config.profile, onRendererLost: (cause) => kiosk.rendererLost(cause) });
    // The customer's window is no use without the kiosk window: closing that one ends the app.
    kioskWindow.once('closed', () => app.quit());
    if (config.profile === 'counter' && config.customerDisplay) customerWindow = createCustomerWindow(pageOptions);

    bindKioskIpc(ipcMain, kiosk, appWindows, log, () => customerWindow);
    const opened = issuing;
    app.once('before-quit', () => void shutDown(kiosk, opened, reporter));
    log.info('kiosk-started', {
      profile: config.profile,
      cardSource: config.cardSource,
      customerDisplay: customerWindow !== undefined,
      service: config.service ? 'municipal' : 'embedded',
    });
  } catch (error) {
    await issuing?.close();
    fail(error);
  }
}

/** The issuing service the sessions use, the terminal's records, and, on virtual cards, the trainer's tools. */
interface IssuingSide {
  sessions: SessionServices;
  signInLimits: SignInLimitStore;
  demo?: DemoCards;
  /** What the fleet reporter needs: only for the municipality's service (a trainer's practice records go nowhere). */
  fleet?: { channel: IssuingServiceClient; records: TerminalRecords; heartbeatSeconds: number };
  close(): Promise<void>;
}

/**
 * Real card readers talk to the municipality's issuing service named in the
 * config (the config refuses them without one). Virtual cards — a trainer's
 * terminal, the demo — get the simulated world behind an issuing service of
 * their own on loopback, the path a deployment takes (docs/issuing-service.md).
 */
async function openIssuingSide(config: TerminalConfig, reader: VirtualReader | undefined): Promise<IssuingSide> {
  if (config.service) {
    const connection = readServiceConnection(config.service);
    const client = new IssuingServiceClient(connection);
    // The records carry the id the service knows this terminal by (its certificate's), so both copies agree.
    const records = openTerminalRecords({ dbPath: resolveDatabasePath(), terminalId: terminalIdOfCertificate(connection.tls.certificate) });
    return {
      sessions: { gateway: client, journal: records.journal, audit: records.audit },
      signInLimits: records.signInLimits,
      fleet: { channel: client, records, heartbeatSeconds: config.service.heartbeatSeconds },
      async close() {
        client.close();
        records.close();
      },
    };
  }
  const world = await openSimulatedWorld({ reader, dbPath: resolveDatabasePath(), terminalId: hostname() });
  const service = await startEmbeddedServiceOver(world, {
    terminalId: 'kiosk',
    role: config.profile === 'counter' ? 'counter' : 'lobby',
    log,
  });
  return {
    sessions: { ...world.sessions, gateway: service.gateway },
    signInLimits: world.signInLimits,
    ...(world.demo ? { demo: world.demo } : {}),
    async close() {
      await service.close();
      await world.close();
    },
  };
}

/**
 * The reader first (the card is unpowered, the session abandoned), then the
 * records. Electron does not wait for this; that is safe, since every
 * committed transaction is already on disk (WAL, synchronous=FULL).
 */
async function shutDown(kiosk: Kiosk, issuing: IssuingSide, reporter: FleetReporter | undefined): Promise<void> {
  await reporter?.stop();
  await kiosk.stop().catch((error: unknown) => log.error('kiosk-stop-failed', { error: (error as Error).name }));
  await issuing.close();
}

function fail(error: unknown): void {
  log.error('kiosk-start-failed', { message: (error as Error).message });
  app.exit(1);
}
