import type { DashboardLanguage } from '../../preload/dashboard-contract';
import { INTL_LOCALES } from './i18n';

/**
 * How the dashboard writes instants, durations and sizes. Instants are always
 * Japan time (the municipality's clock), whatever zone the staff member's
 * computer is set to, and in one form in both languages: 2026-12-07 09:05:03.
 */

const JAPAN_TIME = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** An ISO instant as Japan time, 'YYYY-MM-DD HH:MM:SS'. */
export function japanTime(instant: string | Date): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  if (Number.isNaN(date.getTime())) return String(instant);
  const part = Object.fromEntries(JAPAN_TIME.formatToParts(date).map(({ type, value }) => [type, value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`;
}

/** How long before `now` the instant was, e.g. "12秒前" / "12 sec. ago"; both instants from the server, so the page's clock never matters. */
export function timeAgo(instant: string, now: string, language: DashboardLanguage): string {
  const seconds = Math.max(0, Math.round((Date.parse(now) - Date.parse(instant)) / 1000));
  const format = new Intl.RelativeTimeFormat(INTL_LOCALES[language], { numeric: 'always', style: 'short' });
  if (seconds < 120) return format.format(-seconds, 'second');
  if (seconds < 120 * 60) return format.format(-Math.floor(seconds / 60), 'minute');
  if (seconds < 48 * 3600) return format.format(-Math.floor(seconds / 3600), 'hour');
  return format.format(-Math.floor(seconds / 86_400), 'day');
}

const SIZE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Bytes in decimal units, e.g. "12.3 GB". */
export function bytes(count: number, language: DashboardLanguage): string {
  let value = count;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(INTL_LOCALES[language], {
    style: 'unit',
    unit: SIZE_UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

/** A clock offset in seconds with its sign, e.g. "+1.2 s" / "+1.2 秒". */
export function clockOffset(milliseconds: number, language: DashboardLanguage): string {
  return new Intl.NumberFormat(INTL_LOCALES[language], {
    style: 'unit',
    unit: 'second',
    unitDisplay: 'short',
    signDisplay: 'exceptZero',
    maximumFractionDigits: 1,
  }).format(milliseconds / 1000);
}

export function count(value: number, language: DashboardLanguage): string {
  return new Intl.NumberFormat(INTL_LOCALES[language]).format(value);
}
