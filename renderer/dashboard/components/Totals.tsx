import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { DayFigures } from '../../../preload/dashboard-contract';
import { count } from '../format';
import { dashboardLanguage } from '../i18n';

/** The sum of a day's hand-offs over every reason. */
export const handOffTotal = (figures: DayFigures) => Object.values(figures.handOffs).reduce((sum, value) => sum + value, 0);

/** Today's figures over every terminal, and the hand-offs by reason (codes the page does not know are shown as they are). */
export function Totals({ totals, today }: { totals: DayFigures; today: string }) {
  const { t, i18n } = useTranslation();
  const language = dashboardLanguage(i18n);
  const headingId = useId();
  const reasons = Object.entries(totals.handOffs)
    .filter(([, value]) => value > 0)
    .sort(([codeA, a], [codeB, b]) => b - a || codeA.localeCompare(codeB));
  const figures = [
    ['renewals', totals.renewals],
    ['handOffs', handOffTotal(totals)],
    ['abandoned', totals.abandoned],
    ['sessions', totals.sessions],
  ] as const;
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('totals.heading')}</h2>
      <p className="panel__note">{t('totals.date', { date: today })}</p>
      <dl className="figures">
        {figures.map(([name, value]) => (
          <div key={name} className="figures__item" data-figure={name}>
            <dt>{t(`totals.${name}`)}</dt>
            <dd>{count(value, language)}</dd>
          </div>
        ))}
      </dl>
      <h3>{t('totals.byReason')}</h3>
      {reasons.length === 0 ? (
        <p>{t('totals.noHandOffs')}</p>
      ) : (
        <dl className="reasons">
          {reasons.map(([code, value]) => (
            <div key={code} data-reason={code}>
              <dt>{t(`handOffReason.${code}`, { defaultValue: code })}</dt>
              <dd>{count(value, language)}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
