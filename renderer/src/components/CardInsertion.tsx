import { useTranslation } from 'react-i18next';

/**
 * Which way the card goes in: face up, IC chip first, into the reader's
 * slot. Drawn inline (no file to fetch), animated by the stylesheet; with
 * reduced motion the card stays half-way in, which shows the same thing.
 * The picture is named in words for anyone who cannot see it.
 */
export function CardInsertion() {
  const { t } = useTranslation();
  return (
    <figure className="card-insertion">
      <svg viewBox="0 0 240 200" role="img" aria-label={t('cardInsertion.label')} className="card-insertion__picture">
        {/* The card: face up, the chip at its leading edge. */}
        <g className="card-insertion__card">
          <rect x="65" y="14" width="110" height="150" rx="10" className="card-insertion__card-body" />
          <rect x="78" y="120" width="30" height="24" rx="4" className="card-insertion__chip" />
          <path d="M78 132h30M93 120v24" className="card-insertion__chip-lines" />
          <circle cx="150" cy="42" r="14" className="card-insertion__face" />
          <path d="M132 72h30M132 82h24M85 40h30M85 50h22" className="card-insertion__lines" />
        </g>
        {/* The reader, in front of the card's lower part: the card disappears into its slot. */}
        <rect x="30" y="150" width="180" height="44" rx="8" className="card-insertion__reader" />
        <rect x="58" y="146" width="124" height="8" rx="3" className="card-insertion__slot" />
        <path d="M210 40v70m-14-16 14 16 14-16" className="card-insertion__arrow" />
      </svg>
      <figcaption className="card-insertion__caption">{t('cardInsertion.caption')}</figcaption>
    </figure>
  );
}
