import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { formatJapanDate } from '../format/dates';
import { HelpLines, PrintedOn, SlipReference, slipClassName, type SlipProps } from './HandOffSlip';
import './slips.css';

/**
 * The slip a resident takes home after a renewal (docs/experience.md, "What
 * a resident is told after renewal"): the new expiry dates, what must be
 * registered again, that some services need a few hours, and the help lines.
 */
export function CompletionSlip({ session, language, today, preview = false }: SlipProps) {
  const { t } = useTranslation(undefined, { lng: language });
  const titleId = useId();
  const renewed = session.renewed;

  return (
    <article className={slipClassName(preview)} lang={language} aria-labelledby={titleId} data-slip="completion">
      <h2 id={titleId} className="slip__title">
        {t('slips.completion.title')}
      </h2>
      {renewed && (
        <section className="slip__section">
          <h3>{t('slips.completion.newExpiryHeading')}</h3>
          <dl className="slip__expiry">
            <dt>{t('slips.completion.authentication')}</dt>
            <dd>{formatJapanDate(renewed.authenticationExpires, language)}</dd>
            {renewed.signatureExpires && (
              <>
                <dt>{t('slips.completion.signature')}</dt>
                <dd>{formatJapanDate(renewed.signatureExpires, language)}</dd>
              </>
            )}
          </dl>
        </section>
      )}
      <section className="slip__section">
        <h3>{t('slips.completion.reRegisterHeading')}</h3>
        <p>{t('slips.completion.reRegister')}</p>
      </section>
      <section className="slip__section">
        <h3>{t('slips.completion.delayHeading')}</h3>
        <p>{t('slips.completion.delay')}</p>
      </section>
      <SlipReference t={t} reference={session.reference} />
      <HelpLines t={t} />
      <p className="slip__note">{t('slips.completion.keep')}</p>
      <PrintedOn t={t} language={language} today={today} />
    </article>
  );
}
