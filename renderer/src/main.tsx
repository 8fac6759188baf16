import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './i18n';
import { usePreferences } from './preferences';
import { useKioskStore } from './store';
import './styles.css';

declare global {
  interface Window {
    /** Read-only copies of every global store's data, for the end-to-end check that no PIN is in any of them. */
    __mynaKioskStores?: () => unknown;
  }
}
window.__mynaKioskStores = () =>
  structuredClone({
    kiosk: { view: useKioskStore.getState().view, connection: useKioskStore.getState().connection },
    preferences: JSON.parse(JSON.stringify(usePreferences.getState())) as unknown,
  });

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
