import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES } from '../../preload/vocabulary';
import type { Command, Language } from '../../preload/contract';
import { Dialog } from './components/Dialog';
import { LANGUAGE_NAMES } from './i18n';

type LanguageProps = { current: Language; send: (command: Command) => void };

function LanguageChoices({ current, send, onChosen }: LanguageProps & { onChosen?: () => void }) {
  return (
    <>
      {LANGUAGES.map((language) => (
        <button
          key={language}
          type="button"
          lang={language}
          aria-pressed={language === current}
          onClick={() => {
            send({ type: 'SET_LANGUAGE', language });
            onChosen?.();
          }}
        >
          {LANGUAGE_NAMES[language]}
        </button>
      ))}
    </>
  );
}

/** Every language as a button: where a resident starts. The choice goes to main, which owns the session's language. */
export function LanguageBar({ current, send }: LanguageProps) {
  const { t } = useTranslation();
  return (
    <nav className="language-bar" aria-label={t('language.choose')}>
      <LanguageChoices current={current} send={send} />
    </nav>
  );
}

/**
 * During a session: one button, named in the current language and in
 * English so a resident who cannot read the screen still finds it, that
 * opens the same choice. Changing language never loses the session.
 */
export function LanguageButton({ current, send }: LanguageProps) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <nav className="language-bar language-bar--compact" aria-label={t('language.choose')}>
      <button type="button" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        <GlobeIcon />
        {current === 'en' ? 'Language' : `${t('language.button')} / Language`}
      </button>
      {open && (
        <Dialog title={t('language.choose')} onClose={() => setOpen(false)} closeLabel={t('common.close')}>
          <div className="language-choices">
            <LanguageChoices current={current} send={send} onChosen={() => setOpen(false)} />
          </div>
        </Dialog>
      )}
    </nav>
  );
}

/** A globe, drawn here: the terminal may have no emoji font. */
function GlobeIcon() {
  return (
    <svg className="language-button__icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <g fill="none" stroke="currentColor" strokeWidth="2">
        <circle cx="12" cy="12" r="10" />
        <ellipse cx="12" cy="12" rx="4.5" ry="10" />
        <path d="M2 12h20M4 6.5h16M4 17.5h16" />
      </g>
    </svg>
  );
}
