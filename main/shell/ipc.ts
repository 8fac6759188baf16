/**
 * Electron shell: binds the bridge contract to ipcMain. One channel in, one
 * channel out, shared by every window of the app (the kiosk window and, at a
 * counter, the customer-facing one); every command is checked for its
 * sender and then validated by the kiosk against the contract.
 */
import type { BrowserWindow, IpcMain } from 'electron';
import { IPC_COMMAND_CHANNEL, IPC_EVENT_CHANNEL, type CommandResult } from '../../preload/contract';
import type { Kiosk } from '../kiosk/kiosk';
import type { Logger } from '../base/log';
import { isTrustedSender } from './window';

/**
 * `windows` is asked on every command and event, so a window that is
 * created, closed or replaced later is trusted and served exactly while it
 * is one of the app's windows.
 */
export function bindKioskIpc(
  ipcMain: IpcMain,
  kiosk: Kiosk,
  windows: () => readonly BrowserWindow[],
  log: Logger,
  /** The counter's customer-facing window, if any: the kiosk lets it send only what a resident does there. */
  customerWindow: () => BrowserWindow | undefined = () => undefined,
): () => void {
  ipcMain.handle(IPC_COMMAND_CHANNEL, (event, input: unknown): CommandResult | Promise<CommandResult> => {
    if (!isTrustedSender(event.sender, event.senderFrame, windows())) {
      log.warn('command-refused', { transport: 'ipc', reason: 'forbidden-sender' });
      return { ok: false, error: 'forbidden-sender' };
    }
    const customer = customerWindow();
    const display = customer && !customer.isDestroyed() && customer.webContents === event.sender ? 'customer' : 'main';
    return kiosk.receive(input, 'ipc', display);
  });
  const unsubscribe = kiosk.subscribe((event) => {
    for (const window of windows()) {
      if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, event);
    }
  });
  return () => {
    ipcMain.removeHandler(IPC_COMMAND_CHANNEL);
    unsubscribe();
  };
}
