/**
 * Electron shell: the kiosk window and the locks on everything web content
 * could otherwise do — navigate away, open windows, ask for the camera,
 * reach the network, or open devtools on a public terminal.
 */
import { BrowserWindow, type Session, type WebContents, type WebFrameMain } from 'electron';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, type Profile } from '../preload/contract';
import type { Logger } from './log';

export const ATTRACT_URL = `${APP_ORIGIN}/index.html`;

/** How long a renderer may stay unresponsive before it is crashed and reloaded. */
export const HANG_TIMEOUT_MS = 10_000;

export interface KioskWindowOptions {
  profile: Profile;
  isDevelopment: boolean;
  preloadPath: string;
  log: Logger;
  /** Called when the page is lost (crash or hang) before it is reloaded to the attract screen. */
  onRendererLost: (cause: string) => void;
  hangTimeoutMs?: number;
}

export function createKioskWindow(options: KioskWindowOptions): BrowserWindow {
  // A demo runs in an ordinary window on a trainer's laptop; lobby and counter own the screen.
  const ownsScreen = options.profile !== 'demo';
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    show: false,
    kiosk: ownsScreen,
    fullscreen: ownsScreen,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: {
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
    },
  });

  window.once('ready-to-show', () => window.show());

  if (!options.isDevelopment) {
    // devTools:false already refuses to open them; this also closes any opened by other means.
    window.webContents.on('devtools-opened', () => window.webContents.closeDevTools());
  }

  const reloadToAttract = (cause: string) => {
    if (window.isDestroyed()) return;
    options.log.warn('renderer-lost', { cause });
    options.onRendererLost(cause);
    void window.webContents.loadURL(ATTRACT_URL);
  };

  window.webContents.on('render-process-gone', (_event, details) => reloadToAttract(`render-process-gone:${details.reason}`));

  let hangTimer: NodeJS.Timeout | undefined;
  window.on('unresponsive', () => {
    if (hangTimer) return;
    hangTimer = setTimeout(() => {
      hangTimer = undefined;
      // Crashing the hung renderer fires render-process-gone, which reloads it.
      if (!window.isDestroyed()) window.webContents.forcefullyCrashRenderer();
    }, options.hangTimeoutMs ?? HANG_TIMEOUT_MS);
  });
  window.on('responsive', () => {
    clearTimeout(hangTimer);
    hangTimer = undefined;
  });
  window.on('closed', () => clearTimeout(hangTimer));

  void window.webContents.loadURL(ATTRACT_URL);
  return window;
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

/** Only the main frame of our own window, showing our own page, may send commands. */
export function isTrustedSender(sender: WebContents, frame: WebFrameMain | null, window: BrowserWindow): boolean {
  if (window.isDestroyed() || sender !== window.webContents) return false;
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
