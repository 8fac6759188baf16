import { useTranslation } from 'react-i18next';
import { LANGUAGES } from '../../preload/vocabulary';
import type { Command, Language } from '../../preload/contract';
import { LANGUAGE_NAMES } from './i18n';

/** Language buttons on every screen; the choice goes to main, which owns the session's language. */
export function LanguageBar({ current, send }: { current: Language; send: (command: Command) => void }) {
  const { t } = useTranslation();
  return (
    <nav className="language-bar" aria-label={t('language.choose')}>
      {LANGUAGES.map((language) => (
        <button
          key={language}
          type="button"
          lang={language}
          aria-pressed={language === current}
          onClick={() => send({ type: 'SET_LANGUAGE', language })}
        >
          {LANGUAGE_NAMES[language]}
        </button>
      ))}
    </nav>
  );
}
