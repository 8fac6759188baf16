/**
 * A stand-in for the 'electron' module (the binary cannot be downloaded on
 * these machines). It records what main does to the real objects — the
 * options a BrowserWindow is built with, the handlers registered on a
 * session or WebContents — so the tests can assert them and fire them.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

export class FakeWebFrame {
  constructor(
    public url: string,
    public parent: FakeWebFrame | null = null,
  ) {}
}

export class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  loadedUrls: string[] = [];
  sent: Array<{ channel: string; payload: unknown }> = [];
  mainFrame = new FakeWebFrame('app://kiosk/index.html');
  closeDevTools = vi.fn();
  forcefullyCrashRenderer = vi.fn();
  /** What the next print() reports to its callback, as Electron does once the job is spooled or refused. */
  printOutcome = { success: true, failureReason: '' };
  print = vi.fn((_options: Record<string, unknown>, callback?: (success: boolean, failureReason: string) => void) => {
    const { success, failureReason } = this.printOutcome;
    setImmediate(() => callback?.(success, failureReason));
  });
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  async loadURL(url: string) {
    this.loadedUrls.push(url);
  }
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  /** Fires an event the way Electron does, with an event object whose preventDefault is recorded. */
  fire(name: string, ...args: unknown[]) {
    const event = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    this.emit(name, event, ...args);
    return event;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static created: FakeBrowserWindow[] = [];
  webContents = new FakeWebContents();
  destroyed = false;
  constructor(public options: Record<string, any>) {
    super();
    FakeBrowserWindow.created.push(this);
  }
  isDestroyed() {
    return this.destroyed;
  }
  show = vi.fn();
  close = vi.fn(() => {
    this.destroyed = true;
    this.emit('closed');
  });
  focus = vi.fn();
  restore = vi.fn();
  isMinimized = () => false;
}

export function createFakeSession() {
  return {
    permissionRequestHandler: undefined as undefined | ((...args: any[]) => void),
    permissionCheckHandler: undefined as undefined | ((...args: any[]) => boolean),
    devicePermissionHandler: undefined as undefined | ((...args: any[]) => boolean),
    beforeRequest: undefined as undefined | ((details: { url: string }, callback: (response: { cancel: boolean }) => void) => void),
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    setPermissionRequestHandler(handler: (...args: any[]) => void) {
      this.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: (...args: any[]) => boolean) {
      this.permissionCheckHandler = handler;
    },
    setDevicePermissionHandler(handler: (...args: any[]) => boolean) {
      this.devicePermissionHandler = handler;
    },
    get webRequest() {
      return {
        onBeforeRequest: (handler: NonNullable<ReturnType<typeof createFakeSession>['beforeRequest']>) => {
          this.beforeRequest = handler;
        },
      };
    },
    get protocol() {
      return {
        handle: (scheme: string, handler: (request: Request) => Promise<Response>) => {
          this.protocolHandlers.set(scheme, handler);
        },
      };
    },
  };
}
export type FakeSession = ReturnType<typeof createFakeSession>;

class FakeApp extends EventEmitter {
  isPackaged = true;
  singleInstance = true;
  ready = Promise.resolve();
  requestSingleInstanceLock = vi.fn(() => this.singleInstance);
  enableSandbox = vi.fn();
  quit = vi.fn();
  exit = vi.fn();
  whenReady = vi.fn(() => this.ready);
  getPath = vi.fn(() => '/nonexistent/myna-kiosk-user-data');
}

class FakeIpcMain {
  handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) {
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
}

export interface FakeDisplay {
  id: number;
  bounds: { x: number; y: number; width: number; height: number };
}

/** The displays attached: the first is the primary one unless `primaryId` says otherwise. */
class FakeScreen {
  displays: FakeDisplay[] = [{ id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } }];
  primaryId = 1;
  getAllDisplays = vi.fn(() => this.displays);
  getPrimaryDisplay = vi.fn(() => this.displays.find((display) => display.id === this.primaryId) ?? this.displays[0]!);
}

export const app = new FakeApp();
export const ipcMain = new FakeIpcMain();
export const session = { defaultSession: createFakeSession() };
export const protocol = { registerSchemesAsPrivileged: vi.fn() };
export const Menu = { setApplicationMenu: vi.fn() };
export const BrowserWindow = FakeBrowserWindow;
export const screen = new FakeScreen();

export default { app, ipcMain, session, protocol, Menu, BrowserWindow, screen };
