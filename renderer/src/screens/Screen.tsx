import { useEffect, useId, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { speak } from '../keypad/key-feedback';
import { phrased } from '../phrasing';
import { usePreferences } from '../preferences';

/**
 * The frame of every screen: one main landmark named by its one heading,
 * spoken aloud when audio guidance is on. `busy` screens announce that card
 * or service work is under way. `layout` names a screen's own arrangement
 * (styles.css): `pin` puts the text, the keypad and the actions where every
 * PIN screen has them.
 */
export function Screen({
  title,
  name,
  busy = false,
  layout,
  children,
}: {
  title: string;
  name: string;
  busy?: boolean;
  layout?: 'pin';
  children?: ReactNode;
}) {
  const headingId = useId();
  const { i18n } = useTranslation();
  const audio = usePreferences((preferences) => preferences.audio);
  useEffect(() => {
    if (audio) speak(title, i18n.language);
  }, [audio, title, i18n.language]);
  return (
    <main
      className={`screen screen--${name}${layout ? ` screen--${layout}` : ''}`}
      aria-labelledby={headingId}
      aria-busy={busy}
      data-screen={name}
    >
      <h1 id={headingId}>{phrased(title, i18n.language)}</h1>
      {children}
    </main>
  );
}

/** A row of the screen's actions: the way on (class `primary`) sits bottom right on every screen, going back or stopping bottom left. */
export function Actions({ children }: { children: ReactNode }) {
  return <div className="actions">{children}</div>;
}
