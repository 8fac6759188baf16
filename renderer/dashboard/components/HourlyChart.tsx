import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { count } from '../format';
import { dashboardLanguage } from '../i18n';

interface HourlyChartProps {
  /** Renewals per Japan hour, 24 each. */
  today: readonly number[];
  lastWeek: readonly number[];
  todayDate: string;
  lastWeekDate: string;
}

// The drawing's own units (the SVG scales to its box).
const WIDTH = 720;
const HEIGHT = 260;
const LEFT = 44;
const RIGHT = 10;
const TOP = 12;
const BOTTOM = 36;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;
const SLOT = PLOT_WIDTH / 24;
const BAR = 10;
const HOURS = Array.from({ length: 24 }, (_, hour) => hour);

/** A round step for the vertical scale: 1, 2 or 5 times a power of ten, about four steps to the top. */
export function scaleStep(max: number): number {
  const raw = Math.max(max, 1) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((factor) => factor * magnitude).find((step) => step >= raw) ?? 10 * magnitude;
}

/**
 * Renewals hour by hour, today against the same weekday a week before: two
 * bars an hour, today solid and last week hatched and outlined, so the series
 * differ without colour. The SVG is one image to assistive technology, named
 * by the section's heading and described by a sentence of totals; the same
 * numbers are in a table below it.
 */
export function HourlyChart({ today, lastWeek, todayDate, lastWeekDate }: HourlyChartProps) {
  const { t, i18n } = useTranslation();
  const language = dashboardLanguage(i18n);
  const headingId = useId();
  const summaryId = useId();
  // An id fit for url(#…) whatever useId's form.
  const hatchId = `hatch-${useId().replace(/[^A-Za-z0-9_-]/g, '')}`;
  const hatch = `url(#${hatchId})`;

  const max = Math.max(4, ...today, ...lastWeek);
  const step = scaleStep(max);
  const top = Math.ceil(max / step) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, index) => index * step);
  const y = (value: number) => TOP + PLOT_HEIGHT - (value / top) * PLOT_HEIGHT;
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  const todayLabel = t('chart.today', { date: todayDate });
  const lastWeekLabel = t('chart.lastWeek', { date: lastWeekDate });

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('chart.heading')}</h2>
      <ul className="chart-legend">
        <li>
          <svg className="chart-legend__swatch" viewBox="0 0 24 16" width="24" height="16" aria-hidden="true" focusable="false">
            <rect className="chart__bar--today" x="1" y="1" width="22" height="14" />
          </svg>
          {todayLabel}
        </li>
        <li>
          <svg className="chart-legend__swatch" viewBox="0 0 24 16" width="24" height="16" aria-hidden="true" focusable="false">
            <rect className="chart__bar--last-week" x="1" y="1" width="22" height="14" fill={hatch} strokeWidth="2" />
          </svg>
          {lastWeekLabel}
        </li>
      </ul>
      <svg
        className="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={headingId}
        aria-describedby={summaryId}
        focusable="false"
      >
        <defs>
          <pattern id={hatchId} patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
            <rect className="chart__hatch-ground" width="6" height="6" />
            <line className="chart__hatch-line" x1="0" y1="0" x2="0" y2="6" strokeWidth="3" />
          </pattern>
        </defs>
        {ticks.map((tick) => (
          <g key={tick}>
            <line className="chart__grid" x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} strokeWidth="1" />
            <text className="chart__label" x={LEFT - 8} y={y(tick)} dy="0.35em" textAnchor="end" fontSize="13">
              {count(tick, language)}
            </text>
          </g>
        ))}
        {HOURS.map((hour) => {
          const x = LEFT + hour * SLOT + (SLOT - 2 * BAR - 2) / 2;
          const todayValue = today[hour] ?? 0;
          const lastWeekValue = lastWeek[hour] ?? 0;
          return (
            <g key={hour}>
              {todayValue > 0 && <rect className="chart__bar--today" x={x} y={y(todayValue)} width={BAR} height={y(0) - y(todayValue)} />}
              {lastWeekValue > 0 && (
                <rect
                  className="chart__bar--last-week"
                  x={x + BAR + 2}
                  y={y(lastWeekValue)}
                  width={BAR}
                  height={y(0) - y(lastWeekValue)}
                  fill={hatch}
                  strokeWidth="1.5"
                />
              )}
              {hour % 3 === 0 && (
                <text className="chart__label" x={LEFT + (hour + 0.5) * SLOT} y={HEIGHT - BOTTOM + 20} textAnchor="middle" fontSize="13">
                  {hour}
                </text>
              )}
            </g>
          );
        })}
        <line className="chart__axis" x1={LEFT} x2={WIDTH - RIGHT} y1={y(0)} y2={y(0)} strokeWidth="2" />
        <text className="chart__label" x={WIDTH - RIGHT} y={HEIGHT - 2} textAnchor="end" fontSize="13">
          {t('chart.axis')}
        </text>
      </svg>
      <p id={summaryId} className="panel__note">
        {t('chart.summary', {
          today: todayDate,
          lastWeek: lastWeekDate,
          todayTotal: count(sum(today), language),
          lastWeekTotal: count(sum(lastWeek), language),
        })}
      </p>
      <details className="chart-table">
        <summary>{t('chart.showTable')}</summary>
        <table className="data-table">
          <caption>{t('chart.tableCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('chart.hour')}</th>
              <th scope="col">{todayLabel}</th>
              <th scope="col">{lastWeekLabel}</th>
            </tr>
          </thead>
          <tbody>
            {HOURS.map((hour) => (
              <tr key={hour}>
                <th scope="row">{t('chart.hourValue', { hour })}</th>
                <td>{count(today[hour] ?? 0, language)}</td>
                <td>{count(lastWeek[hour] ?? 0, language)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
