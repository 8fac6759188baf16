import { JAPAN_UTC_OFFSET_HOURS, japanDate } from '../../preload/vocabulary';

/**
 * Calendar arithmetic on Japan dates: pure functions over `YYYY-MM-DD`
 * strings that name a calendar day in Japan (Asia/Tokyo, UTC+9 all year, no
 * daylight saving). Nothing here reads the clock or depends on the machine's
 * time zone: dates are computed with `Date.UTC` and the `getUTC*` methods
 * only, and instants are turned into Japan dates and times with the fixed
 * +9 h offset (`JAPAN_UTC_OFFSET_HOURS`, in preload/vocabulary.ts so that the
 * renderer counts from it too). docs/domain.md: "All dates are calendar
 * dates in Japan time (Asia/Tokyo), whatever the operating system's time
 * zone is."
 *
 * The domain rules that use these (the renewal window, validity, the
 * signature rule) live in `eligibility.ts`; the persona catalogue
 * (`main/simulation/personas.ts`) uses the same functions for its relative
 * dates, so there is one implementation of each.
 */

/** A calendar day in Japan, `YYYY-MM-DD`. */
export type JapanDate = string;

/** A time of day in Japan, `HH:MM` (00:00–23:59). */
export type JapanTime = string;

/** A Japan date and time of day: what a screen shows ("2026-01-19 08:30"), with no time-zone conversion left to do. */
export interface JapanDateTime {
  date: JapanDate;
  time: JapanTime;
}

/** A date or time that is not one (bad format, 2025-02-30, 24:00): a programming error upstream. */
export class CalendarError extends RangeError {
  override readonly name = 'CalendarError';
}

interface Ymd {
  y: number;
  m: number;
  d: number;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Japan's fixed offset from UTC (preload/vocabulary.ts, shared with the renderer). */
const JST_OFFSET_MS = JAPAN_UTC_OFFSET_HOURS * 60 * 60 * 1000;
/** The offset as ISO 8601 writes it after a Japan local time. */
export const JAPAN_ISO_OFFSET = `+${String(JAPAN_UTC_OFFSET_HOURS).padStart(2, '0')}:00`;

function parse(text: string): Ymd | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  return { y, m, d };
}

function ymd(date: JapanDate, what = 'date'): Ymd {
  const day = parse(date);
  if (!day) throw new CalendarError(`${what} is not a YYYY-MM-DD calendar date: ${JSON.stringify(date)}`);
  return day;
}

function format({ y, m, d }: Ymd): JapanDate {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function fromUtc(ms: number): Ymd {
  const date = new Date(ms);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}

function requireInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) throw new CalendarError(`${what} must be an integer, not ${value}`);
}

/** Whether `text` is a real calendar date written `YYYY-MM-DD` (2025-02-29 is not; 2024-02-29 is). */
export function isJapanDate(text: unknown): text is JapanDate {
  return typeof text === 'string' && parse(text) !== undefined;
}

/** Gregorian leap year: divisible by 4, except centuries not divisible by 400. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in a month (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Negative, zero or positive as `a` is before, the same day as, or after `b`. */
export function compareDates(a: JapanDate, b: JapanDate): number {
  const [x, y] = [ymd(a), ymd(b)];
  return x.y - y.y || x.m - y.m || x.d - y.d;
}

// The two in date order. A day is written one way only, so of two on the same day either is the answer:
// sorting leaves no boundary to get wrong (a `<= 0` against `< 0` that could not differ).

/** The earlier of two dates. */
export function earlierDate(a: JapanDate, b: JapanDate): JapanDate {
  return [a, b].sort(compareDates)[0]!;
}

/** The later of two dates. */
export function laterDate(a: JapanDate, b: JapanDate): JapanDate {
  return [a, b].sort(compareDates)[1]!;
}

/** `date` moved by a whole number of days (negative: back). */
export function addDays(date: JapanDate, days: number): JapanDate {
  requireInteger(days, 'days');
  const { y, m, d } = ymd(date);
  return format(fromUtc(Date.UTC(y, m - 1, d) + days * DAY_MS));
}

/** The next calendar day. */
export function dayAfter(date: JapanDate): JapanDate {
  return addDays(date, 1);
}

/** The previous calendar day. */
export function dayBefore(date: JapanDate): JapanDate {
  return addDays(date, -1);
}

/** Days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: JapanDate, to: JapanDate): number {
  const [a, b] = [ymd(from), ymd(to)];
  return Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / DAY_MS);
}

/**
 * `date` moved by whole months. A day the target month does not have is
 * clamped to that month's last day, as in Japanese civil-law period counting
 * (Civil Code art. 143(2): "if there is no corresponding day in the last
 * month, the period ends on the last day of that month"):
 * 2026-05-31 − 3 months = 2026-02-28; 2024-01-31 + 1 month = 2024-02-29.
 * Each call clamps once: (01-31 + 1m) + 1m = 03-28, but 01-31 + 2m = 03-31.
 */
export function addMonths(date: JapanDate, months: number): JapanDate {
  requireInteger(months, 'months');
  const { y, m, d } = ymd(date);
  const total = y * 12 + (m - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  return format({ y: year, m: month, d: Math.min(d, daysInMonth(year, month)) });
}

/** `date` moved by whole years, clamped like `addMonths`: 2024-02-29 + 1 year = 2025-02-28. */
export function addYears(date: JapanDate, years: number): JapanDate {
  requireInteger(years, 'years');
  return addMonths(date, 12 * years);
}

/** Day of the week, 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: JapanDate): number {
  const { y, m, d } = ymd(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

// ---------------------------------------------------------------------------
// Birthdays and age.

/**
 * The holder's birthday in `year`, as certificate validity counts it. A
 * 29 February birthday falls on 28 February in common years.
 *
 * Our reading (docs/domain.md, "29 February"): the public texts only say a
 * certificate is valid "until the 5th birthday"; municipal practice dates the
 * expiry of a 29 February holder to 28 February in a common year, which is
 * also what month-end clamping (Civil Code art. 143(2)) gives. Unit tests pin
 * it, so a correction changes the tests and the page together.
 */
export function birthdayIn(dateOfBirth: JapanDate, year: number): JapanDate {
  requireInteger(year, 'year');
  const birth = ymd(dateOfBirth, 'dateOfBirth');
  return format({ y: year, m: birth.m, d: Math.min(birth.d, daysInMonth(year, birth.m)) });
}

/**
 * The n-th birthday (n ≥ 1) strictly after `after`: a birthday on `after`
 * itself does not count (docs/domain.md, "Counting birthdays"). Birthdays
 * are those of `birthdayIn` (29 February → 28 February in common years).
 */
export function nthBirthdayAfter(dateOfBirth: JapanDate, after: JapanDate, n: number): JapanDate {
  requireInteger(n, 'n');
  if (n < 1) throw new CalendarError(`n counts birthdays from 1, not ${n}`);
  const from = ymd(after);
  let first = birthdayIn(dateOfBirth, from.y);
  if (compareDates(first, after) <= 0) first = birthdayIn(dateOfBirth, from.y + 1);
  return birthdayIn(dateOfBirth, ymd(first).y + n - 1);
}

/** The n-th birthday on or after `from`: a birthday on `from` itself counts as the first. */
export function nthBirthdayOnOrAfter(dateOfBirth: JapanDate, from: JapanDate, n: number): JapanDate {
  return nthBirthdayAfter(dateOfBirth, dayBefore(from), n);
}

/**
 * Age in completed years throughout the day `on`.
 *
 * Act on Age Calculation (年齢計算ニ関スル法律, 1902) with Civil Code art.
 * 143: age counts from the day of birth, so a year of age is completed at
 * the end of the day before the birthday. The new age therefore holds for
 * the whole of the birthday, and not yet on the day before it (that day is
 * the day one "reaches" the age, 達する日, but one reaches it only at its
 * end). For a 29 February birth in a common year the year ends, by art.
 * 143(2), on the last day of February, so the new age holds from 1 March.
 *
 * Our reading: this is the legal age, used for "under 15" (the signature
 * rule). It differs on purpose from `birthdayIn`, the birthday certificate
 * validity counts, only for 29 February births on 28 February of common
 * years: such a holder is still 14 on 28 February of the year they turn 15,
 * so the rule errs on the side of not issuing a signature certificate for
 * one day.
 */
export function ageOn(dateOfBirth: JapanDate, on: JapanDate): number {
  const birth = ymd(dateOfBirth, 'dateOfBirth');
  const day = ymd(on);
  const beforeBirthday = day.m < birth.m || (day.m === birth.m && day.d < birth.d);
  return day.y - birth.y - (beforeBirthday ? 1 : 0);
}

/**
 * The era of a date as JPKI certificates number it before a date of birth:
 * 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和 (0 before 明治), each from its first day.
 */
export function eraDigit(date: JapanDate): string {
  if (date >= '2019-05-01') return '5';
  if (date >= '1989-01-08') return '4';
  if (date >= '1926-12-25') return '3';
  if (date >= '1912-07-30') return '2';
  if (date >= '1868-10-23') return '1';
  return '0';
}

// ---------------------------------------------------------------------------
// Instants and times of day in Japan.

export { JAPAN_UTC_OFFSET_HOURS, japanDate };

/** An instant as Japan local time: ISO 8601 with the +09:00 offset (2025-06-01T09:00:00.000+09:00). */
export function japanTimestamp(instant: Date): string {
  return new Date(instant.getTime() + JST_OFFSET_MS).toISOString().replace('Z', JAPAN_ISO_OFFSET);
}

/** Today in Japan, by the given clock (the machine's by default). */
export function todayInJapan(now: Date = new Date()): JapanDate {
  return japanDate(now);
}

function minutesOf(time: JapanTime, what: string): number {
  const match = TIME.exec(time);
  if (!match) throw new CalendarError(`${what} is not an HH:MM time of day: ${JSON.stringify(time)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function formatMinutes(minutes: number): JapanTime {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function requireInstant(at: Date): void {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new CalendarError('the instant is not a valid Date');
}

/** Milliseconds since midnight in Japan at this instant. */
function msIntoJapanDay(at: Date): number {
  return (((at.getTime() + JST_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
}

/** The Japan date and time of day (to the minute, truncated) at this instant. */
export function japanDateTime(at: Date): JapanDateTime {
  requireInstant(at);
  return { date: japanDate(at), time: formatMinutes(Math.floor(msIntoJapanDay(at) / 60_000)) };
}

/** The instant at which it is `time` on `date` in Japan. */
export function japanInstant(date: JapanDate, time: JapanTime = '00:00'): Date {
  const { y, m, d } = ymd(date);
  return new Date(Date.UTC(y, m - 1, d) + minutesOf(time, 'time') * 60_000 - JST_OFFSET_MS);
}

/**
 * `time` on the first weekday (Monday to Friday) from today in Japan: a
 * practice clock or a test that needs the national systems open starts
 * there, whatever the day it runs.
 */
export function nextWeekdayAt(time: JapanTime, now: Date = new Date()): Date {
  let day = japanDate(now);
  while (dayOfWeek(day) === 0 || dayOfWeek(day) === 6) day = dayAfter(day);
  return japanInstant(day, time);
}

// ---------------------------------------------------------------------------
// When the national systems can be reached.

/**
 * The J-LIS maintenance day of a month: the Sunday after the third Saturday
 * (docs/domain.md, "When the issuing service is available"). It is not
 * always the third Sunday: when the month begins on a Sunday the third
 * Saturday is the 21st and maintenance falls on the 22nd (2025-06-22).
 */
export function maintenanceSunday(year: number, month: number): JapanDate {
  requireInteger(year, 'year');
  requireInteger(month, 'month');
  if (month < 1 || month > 12) throw new CalendarError(`month is 1–12, not ${month}`);
  const first = format({ y: year, m: month, d: 1 });
  const firstSaturday = 1 + ((6 - dayOfWeek(first) + 7) % 7);
  return format({ y: year, m: month, d: firstSaturday + 14 + 1 });
}

/** Whether `date` is its month's maintenance Sunday. */
export function isMaintenanceSunday(date: JapanDate): boolean {
  const { y, m } = ymd(date);
  return maintenanceSunday(y, m) === date;
}

/** When the terminal may talk to the national systems. All of it is configuration. */
export interface ServiceHours {
  /**
   * First time of day, Japan time, at which issuing may begin. The public
   * texts give only the 20:00 cut-off; 08:30 is our assumption (the usual
   * opening of municipal offices and of J-LIS-backed services).
   */
  opensAt: JapanTime;
  /** Communication with the national systems ends at 20:00 Japan time (docs/domain.md). */
  closesAt: JapanTime;
  /** The issuing steps are not begun this many minutes or fewer before `closesAt` (docs/domain.md: "the margin is configuration"). */
  cutoffMarginMinutes: number;
  /** Extra announced outage days (Japan dates), on top of the monthly maintenance Sunday. */
  closedDays: readonly JapanDate[];
}

export const DEFAULT_SERVICE_HOURS: ServiceHours = Object.freeze({
  opensAt: '08:30',
  closesAt: '20:00',
  cutoffMarginMinutes: 0,
  closedDays: Object.freeze([]) as readonly JapanDate[],
});

/** Why the national systems cannot be used at an instant. */
export type ServiceClosure = 'maintenance-sunday' | 'announced-outage' | 'before-hours' | 'after-hours' | 'too-close-to-cutoff';

export type ServiceStatus =
  /** Issuing may begin now; `until` is the last time of today it may begin (the cut-off less the margin). */
  | { available: true; until: JapanDateTime }
  /** Closed now; `nextOpening` is the first time issuing may begin again. */
  | { available: false; reason: ServiceClosure; nextOpening: JapanDateTime };

/** How far ahead `serviceStatusAt` looks for an opening before it calls the configuration broken. */
const MAX_CLOSED_DAYS = 400;

/**
 * Whether the national systems can be used at instant `at`: not on the
 * maintenance Sunday (all day), not on an announced outage day, and from
 * `opensAt` up to but not including `closesAt − cutoffMarginMinutes`, Japan
 * time (docs/domain.md: communication "ends at 20:00"; 19:59 is open, 20:00
 * is closed). The machine's time zone plays no part.
 */
export function serviceStatusAt(at: Date, hours: ServiceHours = DEFAULT_SERVICE_HOURS): ServiceStatus {
  requireInstant(at);
  const opens = minutesOf(hours.opensAt, 'opensAt');
  const closes = minutesOf(hours.closesAt, 'closesAt');
  requireInteger(hours.cutoffMarginMinutes, 'cutoffMarginMinutes');
  const lastStart = closes - hours.cutoffMarginMinutes;
  if (hours.cutoffMarginMinutes < 0 || lastStart <= opens) {
    throw new CalendarError(
      `service hours ${hours.opensAt}–${hours.closesAt} less ${hours.cutoffMarginMinutes} minutes leave no time to issue`,
    );
  }
  for (const day of hours.closedDays) ymd(day, 'closedDays');

  const today = japanDate(at);
  const minute = msIntoJapanDay(at) / 60_000;
  const closedAllDay = (date: JapanDate): ServiceClosure | undefined =>
    isMaintenanceSunday(date) ? 'maintenance-sunday' : hours.closedDays.includes(date) ? 'announced-outage' : undefined;

  const todayClosed = closedAllDay(today);
  const reason: ServiceClosure | undefined =
    todayClosed ??
    (minute < opens ? 'before-hours' : minute >= closes ? 'after-hours' : minute >= lastStart ? 'too-close-to-cutoff' : undefined);
  if (reason === undefined) return { available: true, until: { date: today, time: formatMinutes(lastStart) } };

  let next = reason === 'before-hours' ? today : dayAfter(today);
  for (let tries = 0; closedAllDay(next) !== undefined; tries++) {
    if (tries >= MAX_CLOSED_DAYS) throw new CalendarError(`no service day within ${MAX_CLOSED_DAYS} days of ${today}: check closedDays`);
    next = dayAfter(next);
  }
  return { available: false, reason, nextOpening: { date: next, time: hours.opensAt } };
}
