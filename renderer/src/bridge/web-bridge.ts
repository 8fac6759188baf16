import { WEB_BRIDGE_DISPLAY_PARAM, WEB_BRIDGE_PATH, WEB_BRIDGE_TOKEN_PARAM } from '../../../preload/vocabulary';
import type { Command, CommandResult, KioskBridge, KioskEvent, WebResponse } from '../../../preload/contract';

export type ConnectionState = 'connecting' | 'open' | 'closed';

/**
 * The browser side of the web bridge: the same `KioskBridge` the preload
 * exposes in Electron, carried over a WebSocket to the local web host. The
 * token comes from the page address's fragment, which the host printed.
 */
export function createWebBridge(
  location: Pick<Location, 'host' | 'hash'>,
  onConnection: (state: ConnectionState) => void,
): KioskBridge | undefined {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = fragment.get(WEB_BRIDGE_TOKEN_PARAM);
  if (!token) return undefined;
  // The customer-facing window says so: main takes the resident's PINs from it alone.
  const display = fragment.get(WEB_BRIDGE_DISPLAY_PARAM) === 'customer' ? `&${WEB_BRIDGE_DISPLAY_PARAM}=customer` : '';
  const address = `ws://${location.host}${WEB_BRIDGE_PATH}?${WEB_BRIDGE_TOKEN_PARAM}=${encodeURIComponent(token)}${display}`;

  const listeners = new Set<(event: KioskEvent) => void>();
  const pending = new Map<number, (result: CommandResult) => void>();
  let nextId = 1;
  let socket: WebSocket;
  const opened: Array<() => void> = [];

  const connect = () => {
    onConnection('connecting');
    socket = new WebSocket(address);
    socket.addEventListener('open', () => {
      onConnection('open');
      opened.splice(0).forEach((send) => send());
    });
    socket.addEventListener('message', (message) => {
      const data = JSON.parse(String(message.data)) as WebResponse;
      if (data.kind === 'event') {
        listeners.forEach((listener) => listener(data.event));
        return;
      }
      pending.get(data.id)?.(data.result);
      pending.delete(data.id);
    });
    socket.addEventListener('close', () => {
      onConnection('closed');
      // Commands in flight are lost with the socket; answer them rather than hang the view.
      pending.forEach((resolve) => resolve({ ok: false, error: 'internal-error' }));
      pending.clear();
      setTimeout(connect, 1000);
    });
  };
  connect();

  return {
    send(command: Command): Promise<CommandResult> {
      return new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        const transmit = () => socket.send(JSON.stringify({ id, command }));
        if (socket.readyState === WebSocket.OPEN) transmit();
        else opened.push(transmit);
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
