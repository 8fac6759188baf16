import { useEffect, useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { speak } from '../keypad/key-feedback';
import { usePreferences } from '../preferences';

/**
 * The frame of every screen: one main landmark named by its one heading,
 * spoken aloud when audio guidance is on. `busy` screens announce that card
 * or service work is under way.
 */
export function Screen({ title, name, busy = false, children }: { title: string; name: string; busy?: boolean; children?: ReactNode }) {
  const headingId = useId();
  const { i18n } = useTranslation();
  const audio = usePreferences((preferences) => preferences.audio);
  useEffect(() => {
    if (audio) speak(title, i18n.language);
  }, [audio, title, i18n.language]);
  return (
    <main className={`screen screen--${name}`} aria-labelledby={headingId} aria-busy={busy} data-screen={name}>
      <h1 id={headingId}>{title}</h1>
      {children}
    </main>
  );
}

/** A row of the screen's actions; the first is the way on. */
export function Actions({ children }: { children: ReactNode }) {
  return <div className="actions">{children}</div>;
}
