import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./fakes/electron'));

import { FakeBrowserWindow } from './fakes/electron';
import { createLogger } from '../../main/base/log';
import { createSlipPrinter, SLIP_PRINT_OPTIONS } from '../../main/shell/printing';

function setup(window: FakeBrowserWindow | undefined = new FakeBrowserWindow({})) {
  const lines: string[] = [];
  const print = createSlipPrinter(
    () => window as never,
    createLogger((line) => lines.push(line), 'debug'),
  );
  return { window, print, lines };
}

describe('the slip printer', () => {
  it('prints the kiosk window silently, with no background and no margins', async () => {
    const { window, print } = setup();
    await expect(print()).resolves.toBeUndefined();
    expect(window!.webContents.print).toHaveBeenCalledTimes(1);
    expect(window!.webContents.print.mock.calls[0]![0]).toEqual({ silent: true, printBackground: false, margins: { marginType: 'none' } });
    expect(SLIP_PRINT_OPTIONS.silent).toBe(true);
  });

  it('logs nothing when the job is spooled', async () => {
    const { print, lines } = setup();
    await print();
    expect(lines).toEqual([]);
  });

  it('rejects with the reason, and logs only print-failed with it', async () => {
    const { window, print, lines } = setup();
    window!.webContents.printOutcome = { success: false, failureReason: 'Print job failed' };
    await expect(print()).rejects.toMatchObject({ name: 'SlipPrintError', message: 'Print job failed' });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    const { time: _time, ...fields } = entry;
    expect(fields).toEqual({ level: 'error', event: 'print-failed', reason: 'Print job failed' });
  });

  it('rejects, without printing anything, when the window is gone', async () => {
    const closed = new FakeBrowserWindow({});
    closed.destroyed = true;
    const { print: printClosed, lines } = setup(closed);
    await expect(printClosed()).rejects.toMatchObject({ name: 'SlipPrintError', message: 'no-window' });
    expect(closed.webContents.print).not.toHaveBeenCalled();
    expect(lines.join('\n')).toContain('"print-failed"');

    const neverOpened = createSlipPrinter(
      () => undefined,
      createLogger(() => {}),
    );
    await expect(neverOpened()).rejects.toMatchObject({ name: 'SlipPrintError' });
  });

  it('asks for the window at each print, so a replaced window is the one printed', async () => {
    let current = new FakeBrowserWindow({});
    const print = createSlipPrinter(
      () => current as never,
      createLogger(() => {}),
    );
    await print();
    const replacement = new FakeBrowserWindow({});
    current = replacement;
    await print();
    expect(replacement.webContents.print).toHaveBeenCalledTimes(1);
  });
});
