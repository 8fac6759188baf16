import type { Language } from '../../../preload/contract';
import { japanDate } from '../../../preload/vocabulary';

/**
 * The Intl locale each kiosk language formats dates with. Where a tag names
 * a language spoken in several countries, the locale is the one most of
 * Japan's residents reading it come from (Portuguese: Brazil). Thai uses the
 * Gregorian calendar: Thai residents in Japan deal in AD dates, and the
 * Buddhist-era year would not match anything on their card or notice.
 */
const INTL_LOCALES: Record<Language, string> = {
  ja: 'ja-JP',
  'ja-x-easy': 'ja-JP',
  en: 'en-US',
  'zh-Hans': 'zh-CN',
  'zh-Hant': 'zh-TW',
  ko: 'ko-KR',
  es: 'es',
  pt: 'pt-BR',
  vi: 'vi-VN',
  tl: 'fil',
  id: 'id-ID',
  th: 'th-TH-u-ca-gregory',
  ne: 'ne-NP',
};

/** Japanese notices give the year in the era too (令和), so Japanese readers get both. */
const JAPANESE_ERA_LOCALE = 'ja-JP-u-ca-japanese';

const ISO_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export function intlLocale(language: Language): string {
  return INTL_LOCALES[language];
}

/**
 * A calendar date ('YYYY-MM-DD', as the session view carries it) in the
 * reader's convention; in Japanese with the era year alongside, e.g.
 * "2031年4月10日（令和13年）". The date is built and formatted at UTC so the
 * terminal's own time zone can never move it by a day.
 */
export function formatJapanDate(isoDate: string, language: Language): string {
  const date = parseIsoDate(isoDate);
  const formatted = new Intl.DateTimeFormat(intlLocale(language), { dateStyle: 'long', timeZone: 'UTC' }).format(date);
  if (language !== 'ja' && language !== 'ja-x-easy') return formatted;
  const eraYear = new Intl.DateTimeFormat(JAPANESE_ERA_LOCALE, { era: 'long', year: 'numeric', timeZone: 'UTC' }).format(date);
  return `${formatted}（${eraYear}）`;
}

/** Today's date in Japan ('YYYY-MM-DD'), whatever time zone the machine is set to: slips are dated as the municipality dates them. */
export function todayInJapan(now: Date = new Date()): string {
  return japanDate(now);
}

function parseIsoDate(isoDate: string): Date {
  const match = ISO_DATE_PATTERN.exec(isoDate);
  if (!match) throw new RangeError(`Not a YYYY-MM-DD date: ${JSON.stringify(isoDate)}`);
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 2031-02-30 over to March; a date that does not exist is malformed, not another day.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new RangeError(`No such date: ${isoDate}`);
  }
  return date;
}
