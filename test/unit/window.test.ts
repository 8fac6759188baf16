import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fakes/electron'));

import { createFakeSession, FakeBrowserWindow, FakeWebContents, FakeWebFrame } from './fakes/electron';
import { silentLogger } from '../../main/log';
import {
  ATTRACT_URL,
  createKioskWindow,
  hardenSession,
  isTrustedSender,
  lockDownWebContents,
} from '../../main/window';

const windowFor = (overrides: Partial<Parameters<typeof createKioskWindow>[0]> = {}) =>
  createKioskWindow({
    profile: 'lobby',
    isDevelopment: false,
    preloadPath: '/app/out/preload/index.cjs',
    log: silentLogger,
    onRendererLost: () => {},
    ...overrides,
  }) as unknown as FakeBrowserWindow;

beforeEach(() => {
  FakeBrowserWindow.created = [];
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
  const setup = () => {
    const window = windowFor();
    return { window, contents: window.webContents };
  };

  it('trusts the main frame of our window on our page', () => {
    const { window, contents } = setup();
    expect(isTrustedSender(contents as never, new FakeWebFrame('app://kiosk/index.html') as never, window as never)).toBe(true);
  });

  it('refuses a sub-frame', () => {
    const { window, contents } = setup();
    const frame = new FakeWebFrame('app://kiosk/index.html', new FakeWebFrame('app://kiosk/index.html'));
    expect(isTrustedSender(contents as never, frame as never, window as never)).toBe(false);
  });

  it('refuses another origin, file:// and a missing frame', () => {
    const { window, contents } = setup();
    for (const url of ['https://example.com/', 'file:///app/index.html', 'app://other/index.html']) {
      expect(isTrustedSender(contents as never, new FakeWebFrame(url) as never, window as never)).toBe(false);
    }
    expect(isTrustedSender(contents as never, null, window as never)).toBe(false);
  });

  it('refuses another WebContents and a destroyed window', () => {
    const { window } = setup();
    expect(isTrustedSender(new FakeWebContents() as never, new FakeWebFrame('app://kiosk/index.html') as never, window as never)).toBe(false);
    window.destroyed = true;
    expect(isTrustedSender(window.webContents as never, new FakeWebFrame('app://kiosk/index.html') as never, window as never)).toBe(false);
  });
});
