/**
 * The preload: the only code that runs with Electron's IPC in the renderer's
 * process. It exposes exactly one object, `window.kiosk`, with two functions;
 * no `ipcRenderer`, no generic channel passthrough. Whatever the renderer
 * sends, main validates again — this file is a pipe, not a guard.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { Command, CommandResult, KioskBridge, KioskEvent } from './contract';
import { IPC_COMMAND_CHANNEL, IPC_EVENT_CHANNEL } from './channels';

const bridge: KioskBridge = {
  send(command: Command): Promise<CommandResult> {
    return ipcRenderer.invoke(IPC_COMMAND_CHANNEL, command) as Promise<CommandResult>;
  },
  subscribe(listener: (event: KioskEvent) => void): () => void {
    // Hand the renderer only the payload, never the IpcRendererEvent (it carries `sender`).
    const forward = (_event: IpcRendererEvent, payload: KioskEvent) => listener(payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('kiosk', bridge);
