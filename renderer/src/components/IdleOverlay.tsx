import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useSend } from '../send';

/** "Need more time?": main counts down; one tap on the button (or anywhere) keeps the session. */
export function IdleOverlay({ secondsLeft }: { secondsLeft: number }) {
  const { t } = useTranslation();
  const send = useSend();
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => button.current?.focus(), []);
  return (
    <div className="overlay" role="alertdialog" aria-modal="true" aria-labelledby="idle-title" aria-describedby="idle-countdown">
      <div className="overlay__box">
        <h2 id="idle-title">{t('idle.title')}</h2>
        <p id="idle-countdown" aria-live="polite">
          {t('idle.countdown', { count: secondsLeft })}
        </p>
        <button ref={button} type="button" className="primary" onClick={() => void send({ type: 'STILL_HERE' })}>
          {t('idle.more')}
        </button>
      </div>
    </div>
  );
}
