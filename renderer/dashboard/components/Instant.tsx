import { useTranslation } from 'react-i18next';
import { japanTime } from '../format';

/** An instant in Japan time, machine-readable too; or "unknown" (a dash to the eye) when there is none. */
export function Instant({ value }: { value: string | null }) {
  if (value === null) return <Unknown />;
  return <time dateTime={value}>{japanTime(value)}</time>;
}

/** A value the terminal has not reported: a dash to the eye, a word to a screen reader. */
export function Unknown() {
  const { t } = useTranslation();
  return (
    <>
      <span aria-hidden="true">—</span>
      <span className="visually-hidden">{t('common.unknown')}</span>
    </>
  );
}
