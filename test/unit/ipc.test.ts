import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fakes/electron'));

import { FakeBrowserWindow, FakeWebContents, FakeWebFrame, ipcMain } from './fakes/electron';
import { IPC_COMMAND_CHANNEL, IPC_EVENT_CHANNEL } from '../../preload/contract';
import { parseTerminalConfig } from '../../main/kiosk/config';
import { bindKioskIpc } from '../../main/shell/ipc';
import { Kiosk } from '../../main/kiosk/kiosk';
import { createLogger } from '../../main/base/log';
import { VirtualReader } from '../../main/card/virtual-reader';

function setup(options: { withCustomerWindow?: boolean } = {}) {
  const lines: string[] = [];
  const log = createLogger((line) => lines.push(line), 'debug');
  const reader = new VirtualReader();
  const kiosk = new Kiosk(parseTerminalConfig({ profile: 'lobby', cardSource: 'virtual' }), reader, log);
  kiosk.start();
  const window = new FakeBrowserWindow({});
  const customerWindow = new FakeBrowserWindow({});
  const windows = options.withCustomerWindow ? [window, customerWindow] : [window];
  const unbind = bindKioskIpc(
    ipcMain as never,
    kiosk,
    () => windows as never,
    log,
    () => (options.withCustomerWindow ? (customerWindow as never) : undefined),
  );
  const handler = ipcMain.handlers.get(IPC_COMMAND_CHANNEL)!;
  const from = (sender: FakeBrowserWindow | FakeWebContents, input: unknown) =>
    handler(
      {
        sender: sender instanceof FakeBrowserWindow ? sender.webContents : sender,
        senderFrame: new FakeWebFrame('app://kiosk/index.html'),
      },
      input,
    );
  const fromPage = (input: unknown) => from(window, input);
  return { window, customerWindow, handler, from, fromPage, lines, unbind, reader };
}

beforeEach(() => ipcMain.handlers.clear());

describe('the IPC transport', () => {
  it('accepts a valid command from the page and sends the snapshot back', () => {
    const { window, fromPage } = setup();
    expect(fromPage({ type: 'VIEW_READY' })).toEqual({ ok: true });
    const snapshot = window.webContents.sent.at(-1);
    expect(snapshot?.channel).toBe(IPC_EVENT_CHANNEL);
    expect(snapshot?.payload).toMatchObject({ type: 'snapshot', state: { profile: 'lobby', screen: 'attract' } });
  });

  it('refuses unknown commands', () => {
    expect(setup().fromPage({ type: 'OPEN_SHELL', path: '/bin/sh' })).toEqual({ ok: false, error: 'unknown-command' });
  });

  it('refuses a known command with a bad or extra field', () => {
    const { fromPage } = setup();
    expect(fromPage({ type: 'SET_LANGUAGE', language: 'xx' })).toEqual({ ok: false, error: 'invalid-command' });
    expect(fromPage({ type: 'VIEW_READY', extra: 1 })).toEqual({ ok: false, error: 'invalid-command' });
    expect(fromPage('VIEW_READY')).toEqual({ ok: false, error: 'unknown-command' });
  });

  it('refuses a command from a sub-frame or another WebContents, before looking at it', () => {
    const { window, handler } = setup();
    const subFrame = new FakeWebFrame('app://kiosk/index.html', new FakeWebFrame('app://kiosk/index.html'));
    expect(handler({ sender: window.webContents, senderFrame: subFrame }, { type: 'VIEW_READY' })).toEqual({
      ok: false,
      error: 'forbidden-sender',
    });
    expect(
      handler({ sender: new FakeWebContents(), senderFrame: new FakeWebFrame('app://kiosk/index.html') }, { type: 'VIEW_READY' }),
    ).toEqual({
      ok: false,
      error: 'forbidden-sender',
    });
    expect(window.webContents.sent).toEqual([]);
  });

  it('logs a refusal without the payload', () => {
    const { fromPage, lines } = setup();
    fromPage({ type: 'SUBMIT_PIN', pin: '4096' });
    fromPage({ type: 'SET_LANGUAGE', language: '7391' });
    const refusals = lines.filter((line) => line.includes('command-refused'));
    expect(refusals).toHaveLength(2);
    expect(lines.join('\n')).not.toMatch(/4096|7391|SUBMIT_PIN/);
  });

  it('forwards reader changes to the page', () => {
    const { window, reader } = setup();
    reader.unplug();
    expect(window.webContents.sent).toContainEqual({
      channel: IPC_EVENT_CHANNEL,
      payload: { type: 'reader', status: { state: 'no_reader' } },
    });
    reader.plugIn();
    expect(window.webContents.sent.at(-2)).toEqual({
      channel: IPC_EVENT_CHANNEL,
      payload: { type: 'reader', status: { state: 'waiting_for_card', readers: ['myna-kiosk virtual reader'] } },
    });
  });

  it('accepts commands from the customer-facing window, and still refuses any other', () => {
    const { customerWindow, from, lines } = setup({ withCustomerWindow: true });
    expect(from(customerWindow, { type: 'VIEW_READY' })).toEqual({ ok: true });
    expect(from(new FakeWebContents(), { type: 'VIEW_READY' })).toEqual({ ok: false, error: 'forbidden-sender' });
    expect(from(new FakeBrowserWindow({}), { type: 'VIEW_READY' })).toEqual({ ok: false, error: 'forbidden-sender' });
    expect(lines.filter((line) => line.includes('forbidden-sender'))).toHaveLength(2);
  });

  it('refuses the customer-facing window when it is not one of the app windows', () => {
    const { customerWindow, from } = setup();
    expect(from(customerWindow, { type: 'VIEW_READY' })).toEqual({ ok: false, error: 'forbidden-sender' });
  });

  it('delivers every event to both windows on the one event channel', () => {
    const { window, customerWindow, from, reader } = setup({ withCustomerWindow: true });
    from(customerWindow, { type: 'VIEW_READY' });
    reader.unplug();
    expect(customerWindow.webContents.sent).toEqual(window.webContents.sent);
    expect(window.webContents.sent.length).toBeGreaterThanOrEqual(3);
    expect(new Set(window.webContents.sent.map((message) => message.channel))).toEqual(new Set([IPC_EVENT_CHANNEL]));
  });

  it('skips a window that has been destroyed', () => {
    const { window, customerWindow, fromPage } = setup({ withCustomerWindow: true });
    customerWindow.destroyed = true;
    fromPage({ type: 'VIEW_READY' });
    expect(window.webContents.sent).toHaveLength(1);
    expect(customerWindow.webContents.sent).toEqual([]);
  });

  it('unbinds cleanly', () => {
    const { unbind } = setup();
    unbind();
    expect(ipcMain.handlers.has(IPC_COMMAND_CHANNEL)).toBe(false);
  });

  it("lets the customer-facing window send only the resident's commands", () => {
    const { customerWindow, window, from, lines } = setup({ withCustomerWindow: true });
    expect(from(customerWindow, { type: 'SET_LANGUAGE', language: 'en' })).toEqual({ ok: true });
    expect(from(customerWindow, { type: 'STILL_HERE' })).toEqual({ ok: true });
    // No session runs here: the PIN intent passes the window check and is then refused for the moment (no PIN is asked).
    expect(from(customerWindow, { type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: '1234' } })).toEqual({
      ok: false,
      error: 'not-now',
    });
    for (const command of [
      { type: 'STAFF_SIGN_OUT' },
      { type: 'DEMO_RESET' },
      { type: 'PRINT_SLIP' },
      { type: 'SESSION', intent: { type: 'CHOOSE_ROUTE', route: 'voluntary-proxy' } },
      { type: 'SESSION', intent: { type: 'CONFIRM_RENEWAL' } },
    ]) {
      expect(from(customerWindow, command)).toEqual({ ok: false, error: 'forbidden-sender' });
    }
    expect(from(window, { type: 'STAFF_SIGN_OUT' })).toEqual({ ok: false, error: 'not-now' });
    expect(lines.filter((line) => line.includes('not-for-the-customer-display'))).toHaveLength(5);
    expect(lines.join('\n')).not.toContain('1234');
  });
});
