import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { Command } from '../../preload/contract';
import { openBridge } from './bridge';
import { DisplayBar } from './components/DisplayBar';
import { IdleOverlay } from './components/IdleOverlay';
import { TrainerPanel } from './components/TrainerPanel';
import { applyLanguage } from './i18n';
import { setTerminalVoice } from './keypad/key-feedback';
import { LanguageBar, LanguageButton } from './LanguageBar';
import { StepIndicator } from './components/StepIndicator';
import { useFitToScreen } from './layout/fit-to-screen';
import { usePreferences } from './preferences';
import { AttractScreen } from './screens/AttractScreen';
import { CustomerDisplay } from './screens/CustomerDisplay';
import { SessionScreen } from './screens/SessionScreen';
import { StaffSignIn } from './screens/StaffSignIn';
import { SendContext, type Send } from './send';
import { useKioskStore } from './store';

/** Which window this page is: the kiosk's own, or the counter's customer-facing keypad window. */
export function displayRole(hash: string): 'main' | 'customer' {
  return new URLSearchParams(hash.replace(/^#/, '')).get('display') === 'customer' ? 'customer' : 'main';
}

/** A touch tells main someone is there at most this often (the idle clock counts in seconds). */
const STILL_HERE_INTERVAL_MS = 5000;

export function App() {
  const { t } = useTranslation();
  const view = useKioskStore((store) => store.view);
  const connection = useKioskStore((store) => store.connection);
  const bridge = useMemo(() => openBridge((state) => useKioskStore.getState().setConnection(state)), []);
  const role = useMemo(() => displayRole(window.location.hash), []);
  const preferences = usePreferences();
  const lastTouch = useRef(0);

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
    if (language) void applyLanguage(language);
  }, [language]);

  // Back on the attract screen with nothing pending: the next resident starts from the same screen.
  const atRest = view?.screen === 'attract';
  useEffect(() => {
    if (atRest) usePreferences.getState().reset();
  }, [atRest]);

  // The text size is set on the root element: every size on every screen is in rem, so all of it scales.
  useLayoutEffect(() => {
    document.documentElement.dataset.textSize = String(preferences.textSize);
  }, [preferences.textSize]);
  // ...as far as the window has room: no screen is ever taller than the window.
  useFitToScreen(preferences.textSize);

  // A lobby terminal is touch only: a keyboard plugged into it types nothing, anywhere.
  const profile = view?.profile;
  useEffect(() => {
    if (profile !== 'lobby') return;
    const swallow = (event: KeyboardEvent) => {
      event.preventDefault();
      event.stopPropagation();
    };
    window.addEventListener('keydown', swallow, true);
    window.addEventListener('keypress', swallow, true);
    return () => {
      window.removeEventListener('keydown', swallow, true);
      window.removeEventListener('keypress', swallow, true);
    };
  }, [profile]);

  const send: Send = useMemo(
    () => (command: Command) => bridge?.send(command) ?? Promise.resolve({ ok: false, error: 'internal-error' }),
    [bridge],
  );

  // Spoken guidance in the terminal's own voice (main/kiosk/speech.ts), heard where the browser has none.
  useEffect(() => {
    setTerminalVoice(async (text) => {
      const result = await send({ type: 'SPEAK', text });
      return result.ok && 'audio' in result ? result.audio : undefined;
    });
    return () => setTerminalVoice(undefined);
  }, [send]);

  if (connection === 'no-bridge') return <p role="alert">{t('app.noBridge')}</p>;
  if (!view) return <p role="status">{t('app.starting')}</p>;

  const inSession = view.screen === 'session' && view.session !== undefined;
  const stillHere = () => {
    const now = Date.now();
    if (!inSession || now - lastTouch.current < STILL_HERE_INTERVAL_MS) return;
    lastTouch.current = now;
    void send({ type: 'STILL_HERE' });
  };
  const staffGate = role === 'main' && view.staff && view.staff.state !== 'signed-in';

  const trainer = role === 'main' && view.demo !== undefined;
  // The full row of languages where a resident starts; elsewhere one button opens it, so a screen keeps its room.
  const languagesInFull = !inSession && !staffGate && role === 'main';
  const classes = ['kiosk', preferences.highContrast ? 'high-contrast' : '', trainer ? 'kiosk--with-trainer' : ''].filter(Boolean);

  return (
    <SendContext.Provider value={send}>
      <div className={classes.join(' ')} data-profile={view.profile} data-display={role} onPointerDownCapture={stillHere}>
        {/* The banner landmark holds the frame: its bar of settings, and where the resident is in the renewal. */}
        <header className="kiosk__top">
          <div className="kiosk__header">
            {view.demo && (
              <div className="demo-banner" role="note">
                {t('demo.banner')}
              </div>
            )}
            {connection === 'closed' && (
              <p className="connection-lost" role="alert">
                {t('app.connectionLost')}
              </p>
            )}
            {languagesInFull ? <LanguageBar current={view.language} send={send} /> : <LanguageButton current={view.language} send={send} />}
            <div className="kiosk__bars">
              <DisplayBar showShuffle={view.profile !== 'counter'} />
              {role === 'main' && view.staff?.state === 'signed-in' && (
                <div className="staff-bar">
                  <span>{t('staff.signedInAs', { id: view.staff.staffId })}</span>
                  <button type="button" onClick={() => void send({ type: 'STAFF_SIGN_OUT' })}>
                    {t('staff.signOut')}
                  </button>
                  {/* A supervisor sees the accounts locked after too many wrong passcodes, and clears them. */}
                  {view.staff.lockedAccounts?.map((staffId) => (
                    <button key={staffId} type="button" onClick={() => void send({ type: 'STAFF_CLEAR_LOCKOUT', staffId })}>
                      {t('staff.clearLockout', { id: staffId })}
                    </button>
                  ))}
                </div>
              )}
            </div>
          </div>
          {inSession && !staffGate && <StepIndicator session={view.session!} />}
        </header>
        {/* The stage is the screen's room: screens size themselves by its width (a container), not the window's. */}
        <div className="kiosk__stage">
          {role === 'customer' ? (
            <CustomerDisplay view={view} />
          ) : staffGate ? (
            <StaffSignIn staff={view.staff!} />
          ) : inSession ? (
            <SessionScreen view={view} session={view.session!} />
          ) : (
            <AttractScreen reader={view.reader} takeCard={view.takeCard} />
          )}
        </div>
        {trainer && <TrainerPanel demo={view.demo!} language={view.language} />}
        {view.idle && <IdleOverlay secondsLeft={view.idle.secondsLeft} />}
      </div>
    </SendContext.Provider>
  );
}
