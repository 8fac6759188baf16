import { useTranslation } from 'react-i18next';
import { usePreferences } from '../preferences';

/** Text size, contrast and spoken guidance, on every screen (docs/experience.md, "Accessibility"). */
export function DisplayBar({ showShuffle }: { showShuffle: boolean }) {
  const { t } = useTranslation();
  const preferences = usePreferences();
  return (
    <div className="display-bar" role="group" aria-label={t('display.group')}>
      {([0, 1, 2] as const).map((size) => (
        <button key={size} type="button" aria-pressed={preferences.textSize === size} onClick={() => preferences.setTextSize(size)}>
          {t(`display.textSize${size}`)}
        </button>
      ))}
      <button type="button" aria-pressed={preferences.highContrast} onClick={preferences.toggleHighContrast}>
        {t('display.highContrast')}
      </button>
      <button type="button" aria-pressed={preferences.audio} onClick={preferences.toggleAudio}>
        {t('display.audio')}
      </button>
      {showShuffle && !preferences.audio && (
        <button type="button" aria-pressed={preferences.shuffleKeypad} onClick={preferences.toggleShuffleKeypad}>
          {t('display.shuffle')}
        </button>
      )}
    </div>
  );
}
