import type { KioskBridge } from '../../../preload/contract';
import { createWebBridge, type ConnectionState } from './web-bridge';

export type { ConnectionState };

/**
 * Inside Electron the preload has put the bridge on `window.kiosk`; in a
 * browser the web bridge provides the same interface. The rest of the view
 * cannot tell which one it got.
 */
export function openBridge(onConnection: (state: ConnectionState) => void): KioskBridge | undefined {
  if (window.kiosk) {
    onConnection('open');
    return window.kiosk;
  }
  return createWebBridge(window.location, onConnection);
}
