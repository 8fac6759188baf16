import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { formatJapanDate } from '../format/dates';
import { HelpLines, PrintedOn, slipClassName, type SlipProps } from './HandOffSlip';
import './slips.css';

/**
 * The slip for a resident who cannot renew yet, or whose card itself must be
 * renewed: the dates that matter and what to do, to take home. Dates and
 * fixed words only; nothing personal.
 */
export function EligibilitySlip({ session, language, today, preview = false }: SlipProps) {
  const { t } = useTranslation(undefined, { lng: language });
  const titleId = useId();
  const date = (isoDate: string) => formatJapanDate(isoDate, language);
  const cardRenewal = session.eligibility?.outcome === 'card-renewal-needed';
  const expires = session.card?.authenticationExpires;
  const opensOn = session.eligibility?.opensOn;
  const cardExpires = session.eligibility?.cardExpires;

  return (
    <article className={slipClassName(preview)} lang={language} aria-labelledby={titleId} data-slip="eligibility">
      <h2 id={titleId} className="slip__title">
        {t(cardRenewal ? 'cardRenewal.title' : 'notYet.title')}
      </h2>
      <section className="slip__section">
        {cardRenewal ? (
          <>
            {cardExpires && <p>{t('cardRenewal.cardExpires', { date: date(cardExpires) })}</p>}
            <p>{t('cardRenewal.lead')}</p>
            <p>{t('cardRenewal.how')}</p>
          </>
        ) : (
          <>
            {expires && <p>{t('notYet.expires', { date: date(expires) })}</p>}
            {opensOn && <p>{t('notYet.opensOn', { date: date(opensOn) })}</p>}
            <p>{t('notYet.nothingLost')}</p>
          </>
        )}
      </section>
      <HelpLines t={t} />
      <PrintedOn t={t} language={language} today={today} />
    </article>
  );
}
