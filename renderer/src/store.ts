import { create } from 'zustand';
import type { KioskEvent, ViewState } from '../../preload/contract';
import type { ConnectionState } from './bridge';

/**
 * The renderer's global store mirrors main's view-state and nothing more:
 * it is replaced by each snapshot, never edited by a screen. Secrets never
 * enter it (the keypad keeps its digits to itself).
 */
export interface KioskStore {
  view: ViewState | undefined;
  connection: ConnectionState | 'no-bridge';
  applyEvent(event: KioskEvent): void;
  setConnection(connection: KioskStore['connection']): void;
}

export const useKioskStore = create<KioskStore>()((set) => ({
  view: undefined,
  connection: 'connecting',
  applyEvent(event) {
    switch (event.type) {
      case 'snapshot':
        set({ view: event.state });
        break;
      case 'reader':
        set((store) => (store.view ? { view: { ...store.view, reader: event.status } } : {}));
        break;
    }
  },
  setConnection(connection) {
    set({ connection });
  },
}));
