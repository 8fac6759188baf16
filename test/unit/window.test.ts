import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fakes/electron'));

import { createFakeSession, FakeBrowserWindow, FakeWebContents, FakeWebFrame, screen } from './fakes/electron';
import { createLogger, silentLogger } from '../../main/base/log';
import {
  ATTRACT_URL,
  createCustomerWindow,
  createKioskWindow,
  CUSTOMER_DISPLAY_URL,
  hardenSession,
  isTrustedSender,
  lockDownWebContents,
} from '../../main/shell/window';

const windowFor = (overrides: Partial<Parameters<typeof createKioskWindow>[0]> = {}) =>
  createKioskWindow({
    profile: 'lobby',
    isDevelopment: false,
    preloadPath: '/app/out/preload/index.cjs',
    log: silentLogger,
    onRendererLost: () => {},
    ...overrides,
  }) as unknown as FakeBrowserWindow;

const customerWindowFor = (overrides: Partial<Parameters<typeof createCustomerWindow>[0]> = {}) =>
  createCustomerWindow({
    isDevelopment: false,
    preloadPath: '/app/out/preload/index.cjs',
    log: silentLogger,
    ...overrides,
  }) as unknown as FakeBrowserWindow;

const PRIMARY = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } };
const SECOND = { id: 2, bounds: { x: 1920, y: 0, width: 1280, height: 1024 } };

beforeEach(() => {
  FakeBrowserWindow.created = [];
  screen.displays = [PRIMARY];
  screen.primaryId = PRIMARY.id;
});

describe('the kiosk window', () => {
  it('is built with the hardened webPreferences', () => {
    const prefs = windowFor().options.webPreferences;
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.nodeIntegrationInWorker).toBe(false);
    expect(prefs.nodeIntegrationInSubFrames).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.allowRunningInsecureContent).toBe(false);
    expect(prefs.webviewTag).toBe(false);
    expect(prefs.preload).toBe('/app/out/preload/index.cjs');
  });

  it('loads the renderer from the app:// protocol, never file://', () => {
    const window = windowFor();
    expect(window.webContents.loadedUrls).toEqual([ATTRACT_URL]);
    expect(ATTRACT_URL).toBe('app://kiosk/index.html');
  });

  it('has devtools off outside development, and closes any that open', () => {
    const window = windowFor({ isDevelopment: false });
    expect(window.options.webPreferences.devTools).toBe(false);
    window.webContents.emit('devtools-opened');
    expect(window.webContents.closeDevTools).toHaveBeenCalled();
  });

  it('allows devtools only in development', () => {
    const window = windowFor({ isDevelopment: true });
    expect(window.options.webPreferences.devTools).toBe(true);
    window.webContents.emit('devtools-opened');
    expect(window.webContents.closeDevTools).not.toHaveBeenCalled();
  });

  it.each(['lobby', 'counter'] as const)('owns the screen (kiosk + fullscreen) on the %s profile', (profile) => {
    const window = windowFor({ profile });
    expect(window.options.kiosk).toBe(true);
    expect(window.options.fullscreen).toBe(true);
  });

  it('runs in an ordinary window on the demo profile', () => {
    const window = windowFor({ profile: 'demo' });
    expect(window.options.kiosk).toBe(false);
    expect(window.options.fullscreen).toBe(false);
  });

  it('reloads a crashed renderer to the attract screen and tells the kiosk', () => {
    const lost = vi.fn();
    const window = windowFor({ onRendererLost: lost });
    window.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    expect(lost).toHaveBeenCalledWith('render-process-gone:crashed');
    expect(window.webContents.loadedUrls).toEqual([ATTRACT_URL, ATTRACT_URL]);
  });

  describe('a hung renderer', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('is crashed after the hang timeout, which then reloads it', () => {
      const window = windowFor({ hangTimeoutMs: 5000 });
      window.emit('unresponsive');
      vi.advanceTimersByTime(4999);
      expect(window.webContents.forcefullyCrashRenderer).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(window.webContents.forcefullyCrashRenderer).toHaveBeenCalledTimes(1);
    });

    it('is left alone when it recovers in time', () => {
      const window = windowFor({ hangTimeoutMs: 5000 });
      window.emit('unresponsive');
      vi.advanceTimersByTime(3000);
      window.emit('responsive');
      vi.advanceTimersByTime(10_000);
      expect(window.webContents.forcefullyCrashRenderer).not.toHaveBeenCalled();
    });
  });
});

describe('the customer-facing window', () => {
  it('is hardened exactly like the kiosk window', () => {
    const kiosk = windowFor({ profile: 'counter' });
    const customer = customerWindowFor();
    expect(customer.options.webPreferences).toEqual(kiosk.options.webPreferences);
    expect(customer.options.webPreferences.sandbox).toBe(true);
    expect(customer.options.webPreferences.devTools).toBe(false);
  });

  it('shows the page in its customer mode, over app://', () => {
    expect(customerWindowFor().webContents.loadedUrls).toEqual([CUSTOMER_DISPLAY_URL]);
    expect(CUSTOMER_DISPLAY_URL).toBe('app://kiosk/index.html#display=customer');
  });

  it('fills the display that is not the primary one', () => {
    screen.displays = [PRIMARY, SECOND];
    const window = customerWindowFor();
    expect(window.options).toMatchObject({ ...SECOND.bounds, fullscreen: true });
  });

  it('finds the second display wherever the primary one is listed', () => {
    screen.displays = [SECOND, PRIMARY];
    expect(customerWindowFor().options).toMatchObject({ ...SECOND.bounds, fullscreen: true });
    screen.primaryId = SECOND.id;
    expect(customerWindowFor().options).toMatchObject({ ...PRIMARY.bounds, fullscreen: true });
  });

  it('falls back to an ordinary window, and says so, without a second display', () => {
    const lines: string[] = [];
    const window = customerWindowFor({ log: createLogger((line) => lines.push(line)) });
    expect(window.options).toMatchObject({ width: 800, height: 600, fullscreen: false });
    expect(window.options.x).toBeUndefined();
    expect(lines.some((line) => line.includes('"customer-display-missing"'))).toBe(true);
  });

  it('reloads its own page after a crash', () => {
    const window = customerWindowFor();
    window.webContents.emit('render-process-gone', {}, { reason: 'oom', exitCode: 1 });
    expect(window.webContents.loadedUrls).toEqual([CUSTOMER_DISPLAY_URL, CUSTOMER_DISPLAY_URL]);
  });

  it('crashes a hung page after the hang timeout, which then reloads it', () => {
    vi.useFakeTimers();
    try {
      const window = customerWindowFor({ hangTimeoutMs: 2000 });
      window.emit('unresponsive');
      vi.advanceTimersByTime(2000);
      expect(window.webContents.forcefullyCrashRenderer).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('every WebContents is locked down', () => {
  const locked = () => {
    const contents = new FakeWebContents();
    lockDownWebContents(contents as never, silentLogger);
    return contents;
  };

  it('denies navigation', () => {
    expect(locked().fire('will-navigate', 'https://example.com/').defaultPrevented).toBe(true);
  });

  it('denies navigation even to its own pages (a link cannot replace the app)', () => {
    expect(locked().fire('will-navigate', 'app://kiosk/other.html').defaultPrevented).toBe(true);
  });

  it('denies redirects', () => {
    expect(locked().fire('will-redirect', 'https://example.com/').defaultPrevented).toBe(true);
  });

  it('denies new windows', () => {
    const contents = locked();
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'app://kiosk/index.html' })).toEqual({ action: 'deny' });
  });

  it('denies webviews', () => {
    expect(locked().fire('will-attach-webview', {}, {}).defaultPrevented).toBe(true);
  });
});

describe('the session', () => {
  const hardened = () => {
    const session = createFakeSession();
    hardenSession(session as never);
    return session;
  };

  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'hid', 'serial', 'usb', 'fullscreen'])(
    'refuses the %s permission request',
    (permission) => {
      const callback = vi.fn();
      hardened().permissionRequestHandler?.({}, permission, callback, {});
      expect(callback).toHaveBeenCalledWith(false);
    },
  );

  it('answers every permission check and device request with no', () => {
    const session = hardened();
    expect(session.permissionCheckHandler?.({}, 'media', 'app://kiosk', {})).toBe(false);
    expect(session.devicePermissionHandler?.({ deviceType: 'usb' })).toBe(false);
  });

  it.each([
    ['https://fonts.example.com/font.woff2', true],
    ['http://127.0.0.1:8080/', true],
    ['file:///etc/passwd', true],
    ['ws://127.0.0.1:9000/bridge', true],
    ['app://kiosk/assets/index.js', false],
    ['app://elsewhere/index.js', true],
  ])('blocks %s: %s', (url, cancelled) => {
    const callback = vi.fn();
    hardened().beforeRequest?.({ url }, callback);
    expect(callback).toHaveBeenCalledWith({ cancel: cancelled });
  });
});

describe('sender check', () => {
  const page = () => new FakeWebFrame('app://kiosk/index.html');
  const setup = () => {
    const window = windowFor();
    return { window, contents: window.webContents, windows: [window] as never };
  };

  it('trusts the main frame of our window on our page', () => {
    const { contents, windows } = setup();
    expect(isTrustedSender(contents as never, page() as never, windows)).toBe(true);
  });

  it('trusts every one of our windows, and no other', () => {
    const kiosk = windowFor();
    const customer = customerWindowFor();
    const windows = [kiosk, customer] as never;
    expect(isTrustedSender(customer.webContents as never, new FakeWebFrame(CUSTOMER_DISPLAY_URL) as never, windows)).toBe(true);
    expect(isTrustedSender(kiosk.webContents as never, page() as never, windows)).toBe(true);
    expect(isTrustedSender(new FakeWebContents() as never, page() as never, windows)).toBe(false);
    expect(isTrustedSender(customer.webContents as never, page() as never, [kiosk] as never)).toBe(false);
  });

  it('refuses a sub-frame', () => {
    const { contents, windows } = setup();
    const frame = new FakeWebFrame('app://kiosk/index.html', page());
    expect(isTrustedSender(contents as never, frame as never, windows)).toBe(false);
  });

  it('refuses another origin, file:// and a missing frame', () => {
    const { contents, windows } = setup();
    for (const url of ['https://example.com/', 'file:///app/index.html', 'app://other/index.html']) {
      expect(isTrustedSender(contents as never, new FakeWebFrame(url) as never, windows)).toBe(false);
    }
    expect(isTrustedSender(contents as never, null, windows)).toBe(false);
  });

  it('refuses another WebContents and a destroyed window', () => {
    const { window, windows } = setup();
    expect(isTrustedSender(new FakeWebContents() as never, page() as never, windows)).toBe(false);
    window.destroyed = true;
    expect(isTrustedSender(window.webContents as never, page() as never, windows)).toBe(false);
  });
});
