/**
 * Electron shell: the kiosk window (and, at a counter, the customer-facing
 * one) and the locks on everything web content could otherwise do —
 * navigate away, open windows, ask for the camera, reach the network, or
 * open devtools on a public terminal.
 */
import {
  BrowserWindow,
  screen,
  type BrowserWindowConstructorOptions,
  type Display,
  type Session,
  type WebContents,
  type WebFrameMain,
  type WebPreferences,
} from 'electron';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, type Profile } from '../../preload/contract';
import type { Logger } from '../base/log';

export const ATTRACT_URL = `${APP_ORIGIN}/index.html`;

/** The same page in its customer-facing mode: the resident's keypad across the counter. */
export const CUSTOMER_DISPLAY_URL = `${ATTRACT_URL}#display=customer`;

/** How long a renderer may stay unresponsive before it is crashed and reloaded. */
export const HANG_TIMEOUT_MS = 10_000;

/** What every window of the app needs to know to build its page. */
export interface PageOptions {
  isDevelopment: boolean;
  preloadPath: string;
  log: Logger;
  hangTimeoutMs?: number;
}

export interface KioskWindowOptions extends PageOptions {
  profile: Profile;
  /** Called when the page is lost (crash or hang) before it is reloaded to the attract screen. */
  onRendererLost: (cause: string) => void;
}

export function createKioskWindow(options: KioskWindowOptions): BrowserWindow {
  // A demo runs in an ordinary window on a trainer's laptop; lobby and counter own the screen.
  const ownsScreen = options.profile !== 'demo';
  return openHardenedWindow(
    { width: 1280, height: 800, kiosk: ownsScreen, fullscreen: ownsScreen },
    { ...options, role: 'kiosk', url: ATTRACT_URL },
  );
}

/**
 * The counter's customer-facing window, where the resident types their PINs
 * out of the staff member's sight: fullscreen on the display that is not
 * the staff's. A counter PC without a second screen still works, with the
 * customer view in an ordinary window.
 */
export function createCustomerWindow(options: PageOptions): BrowserWindow {
  const display = customerFacingDisplay();
  if (!display) options.log.warn('customer-display-missing');
  const placement: BrowserWindowConstructorOptions = display
    ? { ...display.bounds, fullscreen: true }
    : { width: 800, height: 600, fullscreen: false };
  // Its loss needs no word to the kiosk: the session lives in main, and the reloaded page asks for the view again.
  return openHardenedWindow(placement, { ...options, role: 'customer', url: CUSTOMER_DISPLAY_URL, onRendererLost: () => {} });
}

/** Any display but the primary one, which is the staff's. */
function customerFacingDisplay(): Display | undefined {
  const primary = screen.getPrimaryDisplay();
  return screen.getAllDisplays().find((display) => display.id !== primary.id);
}

/** One set of preferences for every window: a second window must not be a weaker one. */
function hardenedWebPreferences(options: Pick<PageOptions, 'preloadPath' | 'isDevelopment'>): WebPreferences {
  return {
    preload: options.preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: options.isDevelopment,
    safeDialogs: true,
  };
}

interface HardenedPage extends PageOptions {
  /** Names the window in the log. */
  role: 'kiosk' | 'customer';
  /** What the window shows, and what it goes back to after a crash or a hang. */
  url: string;
  onRendererLost: (cause: string) => void;
}

function openHardenedWindow(placement: BrowserWindowConstructorOptions, page: HardenedPage): BrowserWindow {
  const window = new BrowserWindow({
    ...placement,
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: hardenedWebPreferences(page),
  });

  window.once('ready-to-show', () => window.show());

  if (!page.isDevelopment) {
    // devTools:false already refuses to open them; this also closes any opened by other means.
    window.webContents.on('devtools-opened', () => window.webContents.closeDevTools());
  }

  keepPageAlive(window, page);
  void window.webContents.loadURL(page.url);
  return window;
}

/** A crashed page is reloaded; a hung one is crashed after a while, which reloads it. */
function keepPageAlive(window: BrowserWindow, page: HardenedPage): void {
  const reload = (cause: string) => {
    if (window.isDestroyed()) return;
    page.log.warn('renderer-lost', { window: page.role, cause });
    page.onRendererLost(cause);
    void window.webContents.loadURL(page.url);
  };

  window.webContents.on('render-process-gone', (_event, details) => reload(`render-process-gone:${details.reason}`));

  let hangTimer: NodeJS.Timeout | undefined;
  window.on('unresponsive', () => {
    if (hangTimer) return;
    hangTimer = setTimeout(() => {
      hangTimer = undefined;
      // Crashing the hung renderer fires render-process-gone, which reloads it.
      if (!window.isDestroyed()) window.webContents.forcefullyCrashRenderer();
    }, page.hangTimeoutMs ?? HANG_TIMEOUT_MS);
  });
  window.on('responsive', () => {
    clearTimeout(hangTimer);
    hangTimer = undefined;
  });
  window.on('closed', () => clearTimeout(hangTimer));
}

/**
 * Applied to every WebContents the app creates (from app 'web-contents-created'),
 * so a window added later cannot forget it.
 */
export function lockDownWebContents(contents: WebContents, log: Logger): void {
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    log.warn('navigation-denied', { scheme: safeScheme(url) });
  });
  contents.on('will-redirect', (event, url) => {
    event.preventDefault();
    log.warn('redirect-denied', { scheme: safeScheme(url) });
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    log.warn('window-open-denied', { scheme: safeScheme(url) });
    return { action: 'deny' };
  });
}

/** Every permission (camera, microphone, notifications, HID, serial…) is refused. */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  // Offline by design: the page may load only its own files.
  session.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAppUrl(details.url) && !details.url.startsWith('data:') });
  });
}

/** Only the main frame of one of our own windows, showing our own page, may send commands. */
export function isTrustedSender(sender: WebContents, frame: WebFrameMain | null, windows: readonly BrowserWindow[]): boolean {
  if (!windows.some((window) => !window.isDestroyed() && sender === window.webContents)) return false;
  if (!frame || frame.parent !== null) return false;
  return isAppUrl(frame.url);
}

function isAppUrl(raw: string): boolean {
  try {
    // new URL('app://kiosk/…').origin is "null" (not a special scheme): compare the parts.
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

function safeScheme(raw: string): string {
  try {
    return new URL(raw).protocol;
  } catch {
    return 'unparseable';
  }
}
