import type { KioskBridge } from '../../preload/contract';

declare global {
  interface Window {
    /** Present inside Electron (exposed by the preload); absent in a plain browser. */
    kiosk?: KioskBridge;
  }
}

export {};
