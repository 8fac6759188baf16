/**
 * Electron shell: binds the bridge contract to ipcMain. One channel in, one
 * channel out; every command is checked for its sender and then validated by
 * the kiosk against the contract.
 */
import type { BrowserWindow, IpcMain } from 'electron';
import { IPC_COMMAND_CHANNEL, IPC_EVENT_CHANNEL, type CommandResult } from '../preload/contract';
import type { Kiosk } from './kiosk';
import type { Logger } from './log';
import { isTrustedSender } from './window';

export function bindKioskIpc(ipcMain: IpcMain, kiosk: Kiosk, window: BrowserWindow, log: Logger): () => void {
  ipcMain.handle(IPC_COMMAND_CHANNEL, (event, input: unknown): CommandResult => {
    if (!isTrustedSender(event.sender, event.senderFrame, window)) {
      log.warn('command-refused', { transport: 'ipc', reason: 'forbidden-sender' });
      return { ok: false, error: 'forbidden-sender' };
    }
    return kiosk.receive(input, 'ipc');
  });
  const unsubscribe = kiosk.subscribe((event) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, event);
  });
  return () => {
    ipcMain.removeHandler(IPC_COMMAND_CHANNEL);
    unsubscribe();
  };
}
