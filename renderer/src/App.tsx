import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Command } from '../../preload/contract';
import { openBridge } from './bridge';
import { i18next } from './i18n';
import { LanguageBar } from './LanguageBar';
import { AttractScreen } from './screens/AttractScreen';
import { useKioskStore } from './store';

export function App() {
  const { t } = useTranslation();
  const view = useKioskStore((store) => store.view);
  const connection = useKioskStore((store) => store.connection);
  const bridge = useMemo(() => openBridge((state) => useKioskStore.getState().setConnection(state)), []);

  useEffect(() => {
    if (!bridge) {
      useKioskStore.getState().setConnection('no-bridge');
      return;
    }
    return bridge.subscribe((event) => useKioskStore.getState().applyEvent(event));
  }, [bridge]);

  // Ask for a fresh snapshot whenever the bridge (re)opens.
  useEffect(() => {
    if (bridge && connection === 'open') void bridge.send({ type: 'VIEW_READY' });
  }, [bridge, connection]);

  const language = view?.language;
  useEffect(() => {
    if (!language) return;
    void i18next.changeLanguage(language);
    document.documentElement.lang = language;
  }, [language]);

  const send = (command: Command) => void bridge?.send(command);

  if (connection === 'no-bridge') return <p role="alert">{t('app.noBridge')}</p>;
  if (!view) return <p role="status">{t('app.starting')}</p>;

  return (
    <div className="kiosk">
      {view.profile === 'demo' && (
        <div className="demo-banner" role="note">
          {t('demo.banner')}
        </div>
      )}
      {connection === 'closed' && (
        <p className="connection-lost" role="alert">
          {t('app.connectionLost')}
        </p>
      )}
      <LanguageBar current={view.language} send={send} />
      {view.screen === 'attract' && <AttractScreen reader={view.reader} />}
    </div>
  );
}
