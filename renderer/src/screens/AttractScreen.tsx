import { useTranslation } from 'react-i18next';
import type { ReaderStatus } from '../../../preload/contract';
import { CardInsertion } from '../components/CardInsertion';
import { phrased } from '../phrasing';

/** The first thing a resident sees: what this terminal does, and what the reader is waiting for. */
export function AttractScreen({ reader, takeCard }: { reader: ReaderStatus; takeCard: boolean }) {
  const { t, i18n } = useTranslation();
  const text = (key: string) => phrased(t(key), i18n.language);
  return (
    <main className="attract" aria-labelledby="attract-title" data-screen="attract">
      <h1 id="attract-title">{text('attract.title')}</h1>
      <p className="lead">{text('attract.lead')}</p>
      {!takeCard && reader.state === 'waiting_for_card' && <CardInsertion />}
      {takeCard ? (
        <p className="reader-status take-card" role="status" aria-live="polite" data-reader-state="take-card">
          <span className="reader-status__icon" aria-hidden="true">
            ⬆
          </span>
          {text('attract.takeCard')}
        </p>
      ) : (
        <p className={`reader-status reader-status--${reader.state}`} role="status" aria-live="polite" data-reader-state={reader.state}>
          <span className="reader-status__icon" aria-hidden="true">
            {READER_ICONS[reader.state]}
          </span>
          {text(`reader.${reader.state}`)}
        </p>
      )}
      <p className="note">{text('attract.help')}</p>
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
