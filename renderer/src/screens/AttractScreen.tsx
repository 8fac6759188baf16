import { useTranslation } from 'react-i18next';
import type { ReaderStatus } from '../../../preload/contract';

/** The first thing a resident sees: what this terminal does, and what the reader is waiting for. */
export function AttractScreen({ reader }: { reader: ReaderStatus }) {
  const { t } = useTranslation();
  return (
    <main className="attract" aria-labelledby="attract-title">
      <h1 id="attract-title">{t('attract.title')}</h1>
      <p className="lead">{t('attract.lead')}</p>
      <p className={`reader-status reader-status--${reader.state}`} role="status" aria-live="polite" data-reader-state={reader.state}>
        <span className="reader-status__icon" aria-hidden="true">
          {READER_ICONS[reader.state]}
        </span>
        {t(`reader.${reader.state}`)}
      </p>
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
