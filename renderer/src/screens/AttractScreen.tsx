import { useTranslation } from 'react-i18next';
import type { ReaderStatus } from '../../../preload/contract';

/** The first thing a resident sees: what this terminal does, and what the reader is waiting for. */
export function AttractScreen({ reader, takeCard }: { reader: ReaderStatus; takeCard: boolean }) {
  const { t } = useTranslation();
  return (
    <main className="attract" aria-labelledby="attract-title" data-screen="attract">
      <h1 id="attract-title">{t('attract.title')}</h1>
      <p className="lead">{t('attract.lead')}</p>
      {takeCard ? (
        <p className="reader-status take-card" role="status" aria-live="polite" data-reader-state="take-card">
          <span className="reader-status__icon" aria-hidden="true">
            ⬆
          </span>
          {t('attract.takeCard')}
        </p>
      ) : (
        <p className={`reader-status reader-status--${reader.state}`} role="status" aria-live="polite" data-reader-state={reader.state}>
          <span className="reader-status__icon" aria-hidden="true">
            {READER_ICONS[reader.state]}
          </span>
          {t(`reader.${reader.state}`)}
        </p>
      )}
      <p className="note">{t('attract.help')}</p>
    </main>
  );
}

// Shape as well as words: nothing is told by colour alone.
const READER_ICONS: Record<ReaderStatus['state'], string> = {
  no_reader: '⏳',
  waiting_for_card: '⬇',
  card_present: '✔',
  unavailable: '⚠',
};
