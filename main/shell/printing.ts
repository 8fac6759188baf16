/**
 * Electron shell: prints the slip on the kiosk's own printer without a
 * dialog. The renderer's print stylesheet shows only the slip, so printing
 * the window that shows it prints the slip and nothing else.
 */
import type { BrowserWindow, WebContentsPrintOptions } from 'electron';
import type { Logger } from '../base/log';

/** No dialog on a touch terminal; the slip brings its own layout and margins. */
export const SLIP_PRINT_OPTIONS: WebContentsPrintOptions = { silent: true, printBackground: false, margins: { marginType: 'none' } };

export class SlipPrintError extends Error {
  override readonly name = 'SlipPrintError';
}

/**
 * `getWindow` is asked at each print, so a window reloaded or replaced
 * meanwhile is the one printed. Only the failure reason is logged — the
 * page holds a resident's slip.
 */
export function createSlipPrinter(getWindow: () => BrowserWindow | undefined, log: Logger): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      const fail = (reason: string) => {
        log.error('print-failed', { reason });
        reject(new SlipPrintError(reason));
      };
      const window = getWindow();
      if (!window || window.isDestroyed()) {
        fail('no-window');
        return;
      }
      window.webContents.print(SLIP_PRINT_OPTIONS, (success, failureReason) => {
        if (success) resolve();
        else fail(failureReason);
      });
    });
}
