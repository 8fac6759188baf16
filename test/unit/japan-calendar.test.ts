import { afterEach, describe, expect, it } from 'vitest';
import {
  CalendarError,
  DEFAULT_SERVICE_HOURS,
  addDays,
  addMonths,
  addYears,
  ageOn,
  birthdayIn,
  compareDates,
  dayAfter,
  dayBefore,
  dayOfWeek,
  earlierDate,
  eraDigit,
  daysBetween,
  isJapanDate,
  isLeapYear,
  isMaintenanceSunday,
  japanDateTime,
  japanInstant,
  japanTimestamp,
  laterDate,
  maintenanceSunday,
  nextWeekdayAt,
  nthBirthdayAfter,
  nthBirthdayOnOrAfter,
  serviceStatusAt,
  todayInJapan,
  type ServiceHours,
} from '../../main/domain/japan-calendar';

// Every expected value below was worked out by hand (weekday of the 1st of the
// month, days per month), never with the function under test.

describe('dates', () => {
  it.each([
    ['2024-02-29', true],
    ['2025-02-28', true],
    ['2000-02-29', true],
    ['2025-02-29', false],
    ['1900-02-29', false],
    ['2025-13-01', false],
    ['2025-00-10', false],
    ['2025-04-31', false],
    ['2025-1-01', false],
    ['25-01-01', false],
    ['2025-01-01T00:00', false],
    ['', false],
    [20250101, false],
  ])('isJapanDate(%j) is %s', (text, expected) => {
    expect(isJapanDate(text)).toBe(expected);
  });

  it.each([
    [2024, true],
    [2025, false],
    [2000, true],
    [2100, false],
  ])('isLeapYear(%i) is %s', (year, expected) => {
    expect(isLeapYear(year)).toBe(expected);
  });

  it.each([
    ['2024-02-28', 1, '2024-02-29'],
    ['2025-02-28', 1, '2025-03-01'],
    ['2025-12-31', 1, '2026-01-01'],
    ['2026-01-01', -1, '2025-12-31'],
    ['2026-01-10', 60, '2026-03-11'],
    ['2024-03-01', -1, '2024-02-29'],
    ['2026-01-13', 200, '2026-08-01'],
  ])('addDays(%s, %i) = %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it('dayAfter and dayBefore cross month, year and leap-day boundaries', () => {
    expect(dayAfter('2024-12-31')).toBe('2025-01-01');
    expect(dayAfter('2024-02-28')).toBe('2024-02-29');
    expect(dayBefore('2024-03-01')).toBe('2024-02-29');
    expect(dayBefore('2025-03-01')).toBe('2025-02-28');
  });

  it.each([
    // Month ends clamp to the last day of the target month (Civil Code art. 143(2)).
    ['2026-05-31', -3, '2026-02-28'],
    ['2024-05-31', -3, '2024-02-29'],
    ['2025-01-31', 1, '2025-02-28'],
    ['2024-01-31', 1, '2024-02-29'],
    ['2025-03-31', -1, '2025-02-28'],
    ['2026-08-31', 1, '2026-09-30'],
    ['2026-03-31', -3, '2025-12-31'],
    ['2025-12-15', 13, '2027-01-15'],
    ['2026-01-15', -25, '2023-12-15'],
    ['2026-04-10', -3, '2026-01-10'],
  ])('addMonths(%s, %i) = %s', (date, months, expected) => {
    expect(addMonths(date, months)).toBe(expected);
  });

  it('clamps once per call: (01-31 + 1m) + 1m is 03-28, 01-31 + 2m is 03-31', () => {
    expect(addMonths(addMonths('2025-01-31', 1), 1)).toBe('2025-03-28');
    expect(addMonths('2025-01-31', 2)).toBe('2025-03-31');
  });

  it.each([
    ['2024-02-29', 1, '2025-02-28'],
    ['2024-02-29', 4, '2028-02-29'],
    ['2024-02-29', -100, '1924-02-29'],
    ['2000-02-29', 100, '2100-02-28'],
    ['2025-07-15', 5, '2030-07-15'],
  ])('addYears(%s, %i) = %s', (date, years, expected) => {
    expect(addYears(date, years)).toBe(expected);
  });

  it('compares and counts days', () => {
    expect(compareDates('2025-01-01', '2025-01-02')).toBeLessThan(0);
    expect(compareDates('2025-01-02', '2025-01-02')).toBe(0);
    expect(compareDates('2026-01-01', '2025-12-31')).toBeGreaterThan(0);
    expect(daysBetween('2025-01-01', '2026-01-01')).toBe(365);
    expect(daysBetween('2024-01-01', '2025-01-01')).toBe(366);
    expect(daysBetween('2026-01-01', '2025-12-31')).toBe(-1);
  });

  it.each([
    ['2026-01-01', 4],
    ['2026-01-18', 0],
    ['2025-06-01', 0],
    ['2025-11-01', 6],
    ['2024-02-29', 4],
  ])('dayOfWeek(%s) = %i (0 = Sunday)', (date, expected) => {
    expect(dayOfWeek(date)).toBe(expected);
  });

  it('refuses what is not a date, and fractional steps', () => {
    expect(() => addDays('2025-02-29', 1)).toThrow(CalendarError);
    expect(() => addMonths('2025/01/01', 1)).toThrow(CalendarError);
    expect(() => addDays('2025-01-01', 1.5)).toThrow(CalendarError);
    expect(() => compareDates('2025-01-01', 'today')).toThrow(CalendarError);
  });
});

describe('birthdays and age', () => {
  it.each([
    ['1988-02-29', 2025, '2025-02-28'],
    ['1988-02-29', 2028, '2028-02-29'],
    ['1988-02-29', 2100, '2100-02-28'],
    ['1980-07-15', 2030, '2030-07-15'],
  ])('birthdayIn(%s, %i) = %s (29 February on 28 February in common years)', (dateOfBirth, year, expected) => {
    expect(birthdayIn(dateOfBirth, year)).toBe(expected);
  });

  it.each([
    // docs/domain.md worked examples.
    ['1980-07-15', '2025-09-01', 5, '2030-07-15'],
    ['1980-07-15', '2025-05-01', 6, '2030-07-15'],
    // A birthday on the date itself does not count.
    ['1980-07-15', '2025-07-15', 1, '2026-07-15'],
    ['1980-07-15', '2025-07-14', 1, '2025-07-15'],
    // 29 February.
    ['1988-02-29', '2024-02-28', 1, '2024-02-29'],
    ['1988-02-29', '2024-02-29', 1, '2025-02-28'],
    ['1988-02-29', '2025-02-28', 1, '2026-02-28'],
    ['1988-02-29', '2025-02-27', 1, '2025-02-28'],
    ['1988-02-29', '2023-03-01', 5, '2028-02-29'],
    ['1988-02-29', '2024-03-01', 5, '2029-02-28'],
  ])('nthBirthdayAfter(%s, %s, %i) = %s', (dateOfBirth, after, n, expected) => {
    expect(nthBirthdayAfter(dateOfBirth, after, n)).toBe(expected);
  });

  it.each([
    ['1980-07-15', '2025-07-15', 6, '2030-07-15'],
    ['1980-07-15', '2025-07-16', 6, '2031-07-15'],
    ['1988-02-29', '2025-02-28', 6, '2030-02-28'],
    ['1988-02-29', '2028-02-29', 1, '2028-02-29'],
  ])('nthBirthdayOnOrAfter(%s, %s, %i) = %s', (dateOfBirth, from, n, expected) => {
    expect(nthBirthdayOnOrAfter(dateOfBirth, from, n)).toBe(expected);
  });

  it('counts birthdays from 1', () => {
    expect(() => nthBirthdayAfter('1980-07-15', '2025-01-01', 0)).toThrow(CalendarError);
  });

  it.each([
    ['2010-09-01', '2025-08-31', 14],
    ['2010-09-01', '2025-09-01', 15],
    ['2008-02-29', '2008-02-29', 0],
    // Act on Age Calculation + Civil Code art. 143(2): in a common year a
    // 29 February holder's year ends with 28 February, so the new age holds
    // from 1 March.
    ['2008-02-29', '2023-02-28', 14],
    ['2008-02-29', '2023-03-01', 15],
    ['2008-02-29', '2024-02-28', 15],
    ['2008-02-29', '2024-02-29', 16],
  ])('ageOn(%s, %s) = %i', (dateOfBirth, on, expected) => {
    expect(ageOn(dateOfBirth, on)).toBe(expected);
  });
});

describe('instants in Japan time', () => {
  it.each([
    ['2026-01-10T10:59:30Z', '2026-01-10', '19:59'],
    ['2026-01-10T11:00:00Z', '2026-01-10', '20:00'],
    ['2026-01-10T15:00:00Z', '2026-01-11', '00:00'],
    ['2025-12-31T14:59:59Z', '2025-12-31', '23:59'],
    ['2026-01-10T19:59:00+09:00', '2026-01-10', '19:59'],
  ])('%s is %s %s in Japan', (iso, date, time) => {
    expect(japanDateTime(new Date(iso))).toEqual({ date, time });
  });

  it('turns a Japan date and time into the instant', () => {
    expect(japanInstant('2026-01-10', '20:00').toISOString()).toBe('2026-01-10T11:00:00.000Z');
    expect(japanInstant('2026-01-01', '08:30').toISOString()).toBe('2025-12-31T23:30:00.000Z');
    expect(() => japanInstant('2026-01-01', '24:00')).toThrow(CalendarError);
  });
});

describe('the maintenance Sunday: the Sunday after the third Saturday', () => {
  it.each([
    // docs/domain.md examples, then more worked by hand from the weekday of the 1st.
    [2025, 6, '2025-06-22'], // 1 June 2025 is a Sunday: the third Sunday (15th) is not it
    [2025, 11, '2025-11-16'], // 1 November 2025 is a Saturday
    [2026, 1, '2026-01-18'], // 1 January 2026 is a Thursday: third Saturday the 17th
    [2026, 2, '2026-02-22'], // 1 February 2026 is a Sunday
    [2026, 3, '2026-03-22'], // 1 March 2026 is a Sunday
    [2026, 4, '2026-04-19'], // 1 April 2026 is a Wednesday: Saturdays 4, 11, 18
    [2026, 5, '2026-05-17'], // 1 May 2026 is a Friday: Saturdays 2, 9, 16
    [2025, 3, '2025-03-16'], // 1 March 2025 is a Saturday: Saturdays 1, 8, 15
    [2025, 12, '2025-12-21'], // 1 December 2025 is a Monday: Saturdays 6, 13, 20
  ])('%i-%i: %s', (year, month, expected) => {
    expect(maintenanceSunday(year, month)).toBe(expected);
    expect(isMaintenanceSunday(expected)).toBe(true);
  });

  it('is no other day', () => {
    expect(isMaintenanceSunday('2026-02-15')).toBe(false); // the third Sunday of February 2026
    expect(isMaintenanceSunday('2026-01-11')).toBe(false);
    expect(isMaintenanceSunday('2026-01-25')).toBe(false);
    expect(isMaintenanceSunday('2026-01-17')).toBe(false);
    expect(() => maintenanceSunday(2026, 13)).toThrow(CalendarError);
  });
});

describe('service hours', () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it('opens at 08:30 and ends at 20:00 Japan time by default', () => {
    expect(DEFAULT_SERVICE_HOURS).toMatchObject({ opensAt: '08:30', closesAt: '20:00', cutoffMarginMinutes: 0, closedDays: [] });
  });

  it.each([
    // [instant, expected]
    ['2026-01-10T10:59:00Z', { available: true, until: { date: '2026-01-10', time: '20:00' } }], // Sat 19:59
    ['2026-01-10T10:59:59.999Z', { available: true, until: { date: '2026-01-10', time: '20:00' } }], // Sat 19:59:59.999
    ['2026-01-10T11:00:00Z', { available: false, reason: 'after-hours', nextOpening: { date: '2026-01-11', time: '08:30' } }], // Sat 20:00
    ['2026-01-10T20:00:00+09:00', { available: false, reason: 'after-hours', nextOpening: { date: '2026-01-11', time: '08:30' } }],
    // Third Saturday 20:00: Sunday is maintenance; then that Sunday at noon and at 07:00; Monday 08:29.
    ['2026-01-17T11:00:00Z', { available: false, reason: 'after-hours', nextOpening: { date: '2026-01-19', time: '08:30' } }],
    ['2026-01-18T03:00:00Z', { available: false, reason: 'maintenance-sunday', nextOpening: { date: '2026-01-19', time: '08:30' } }],
    ['2026-01-17T22:00:00Z', { available: false, reason: 'maintenance-sunday', nextOpening: { date: '2026-01-19', time: '08:30' } }],
    ['2026-01-18T23:29:00Z', { available: false, reason: 'before-hours', nextOpening: { date: '2026-01-19', time: '08:30' } }],
    ['2026-01-18T23:30:00Z', { available: true, until: { date: '2026-01-19', time: '20:00' } }], // Monday 08:30
    ['2026-01-11T03:00:00Z', { available: true, until: { date: '2026-01-11', time: '20:00' } }], // an ordinary Sunday
    ['2026-01-10T14:59:00Z', { available: false, reason: 'after-hours', nextOpening: { date: '2026-01-11', time: '08:30' } }], // Sat 23:59
    ['2026-01-10T15:00:00Z', { available: false, reason: 'before-hours', nextOpening: { date: '2026-01-11', time: '08:30' } }], // Sun 00:00
  ])('at %s', (iso, expected) => {
    expect(serviceStatusAt(new Date(iso))).toEqual(expected);
  });

  it('gives the same answer whatever the machine time zone', () => {
    process.env.TZ = 'America/New_York';
    // 05:59 in New York in January (UTC−5) is 10:59Z, 19:59 in Japan.
    const justBefore = new Date(2026, 0, 10, 5, 59);
    const cutOff = new Date(2026, 0, 10, 6, 0);
    expect(justBefore.toISOString()).toBe('2026-01-10T10:59:00.000Z'); // the zone change took effect
    expect(serviceStatusAt(justBefore).available).toBe(true);
    expect(serviceStatusAt(cutOff)).toMatchObject({ available: false, reason: 'after-hours' });
    process.env.TZ = 'Pacific/Kiritimati'; // UTC+14: already the next day there
    expect(japanDateTime(new Date('2026-01-10T10:59:00Z'))).toEqual({ date: '2026-01-10', time: '19:59' });
    expect(serviceStatusAt(new Date('2026-01-10T11:00:00Z'))).toMatchObject({ available: false, reason: 'after-hours' });
  });

  it('takes other hours, a cut-off margin and announced outage days from configuration', () => {
    const hours: ServiceHours = { opensAt: '09:00', closesAt: '17:00', cutoffMarginMinutes: 15, closedDays: ['2026-01-19'] };
    expect(serviceStatusAt(new Date('2026-01-13T07:44:00Z'), hours)).toEqual({
      available: true,
      until: { date: '2026-01-13', time: '16:45' },
    }); // 16:44
    expect(serviceStatusAt(new Date('2026-01-13T07:45:00Z'), hours)).toEqual({
      available: false,
      reason: 'too-close-to-cutoff',
      nextOpening: { date: '2026-01-14', time: '09:00' },
    });
    expect(serviceStatusAt(new Date('2026-01-13T08:00:00Z'), hours)).toMatchObject({ reason: 'after-hours' });
    expect(serviceStatusAt(new Date('2026-01-12T23:59:00Z'), hours)).toMatchObject({
      reason: 'before-hours',
      nextOpening: { date: '2026-01-13', time: '09:00' },
    }); // 08:59
    // Saturday 17:00 → Sunday 18th maintenance → Monday 19th announced → Tuesday 20th.
    expect(serviceStatusAt(new Date('2026-01-17T08:00:00Z'), hours)).toMatchObject({
      reason: 'after-hours',
      nextOpening: { date: '2026-01-20', time: '09:00' },
    });
    expect(serviceStatusAt(new Date('2026-01-19T01:00:00Z'), hours)).toMatchObject({
      reason: 'announced-outage',
      nextOpening: { date: '2026-01-20', time: '09:00' },
    });
  });

  it('refuses hours that leave no time to issue', () => {
    const at = new Date('2026-01-13T03:00:00Z');
    expect(() => serviceStatusAt(at, { ...DEFAULT_SERVICE_HOURS, opensAt: '8:30' })).toThrow(CalendarError);
    expect(() => serviceStatusAt(at, { ...DEFAULT_SERVICE_HOURS, opensAt: '20:00' })).toThrow(CalendarError);
    expect(() => serviceStatusAt(at, { ...DEFAULT_SERVICE_HOURS, cutoffMarginMinutes: 12 * 60 })).toThrow(CalendarError);
    expect(() => serviceStatusAt(new Date(Number.NaN))).toThrow(CalendarError);
  });
});

// Cases mutation testing found no test for (issue 14); dates worked out by hand as above.
describe('what the calendar refuses', () => {
  const hours = (change: Partial<ServiceHours>): ServiceHours => ({ ...DEFAULT_SERVICE_HOURS, ...change });
  /** `count` consecutive days from `first` (a YYYY-MM-DD), as closedDays lists them. */
  const daysFrom = (first: string, count: number) => Array.from({ length: count }, (_, i) => addDays(first, i));

  it('an outage list that closes the next 400 days is a configuration error, named, not an endless search', () => {
    // Saturday 2026-01-10 at 20:00: the next opening would be from Sunday the 11th on.
    const after = new Date('2026-01-10T11:00:00Z');
    expect(() => serviceStatusAt(after, hours({ closedDays: daysFrom('2026-01-11', 401) }))).toThrow(
      new CalendarError('no service day within 400 days of 2026-01-10: check closedDays'),
    );
    // 300 days closed (2026-01-11 … 2026-11-06): the 7th of November 2026 is a Saturday, not a maintenance Sunday.
    expect(serviceStatusAt(after, hours({ closedDays: daysFrom('2026-01-11', 300) }))).toMatchObject({
      reason: 'after-hours',
      nextOpening: { date: '2026-11-07', time: '08:30' },
    });
  });

  it('a negative cut-off margin, or one that leaves no time to issue, is refused', () => {
    const at = new Date('2026-01-13T03:00:00Z');
    expect(() => serviceStatusAt(at, hours({ cutoffMarginMinutes: -1 }))).toThrow(
      new CalendarError('service hours 08:30–20:00 less -1 minutes leave no time to issue'),
    );
    // 08:30 to 20:00 is 690 minutes: a margin of 690 leaves none, 689 leaves one.
    expect(() => serviceStatusAt(at, hours({ cutoffMarginMinutes: 690 }))).toThrow(CalendarError);
    expect(serviceStatusAt(new Date('2026-01-12T23:30:00Z'), hours({ cutoffMarginMinutes: 689 }))).toEqual({
      available: true,
      until: { date: '2026-01-13', time: '08:31' },
    });
    expect(() => serviceStatusAt(at, hours({ cutoffMarginMinutes: 1.5 }))).toThrow(
      new CalendarError('cutoffMarginMinutes must be an integer, not 1.5'),
    );
  });

  it.each(['8:30', '08:30 ', ' 08:30', 'x08:30', '08:30x', '24:00', '07:60', '0830', ''])('opening at %j is refused', (time) => {
    expect(() => serviceStatusAt(new Date('2026-01-13T03:00:00Z'), hours({ opensAt: time }))).toThrow(
      new CalendarError(`opensAt is not an HH:MM time of day: ${JSON.stringify(time)}`),
    );
  });

  it('accepts the whole day: 00:00 and 23:59', () => {
    expect(serviceStatusAt(new Date('2026-01-12T15:00:00Z'), hours({ opensAt: '00:00', closesAt: '23:59' }))).toEqual({
      available: true,
      until: { date: '2026-01-13', time: '23:59' },
    });
  });

  it.each([
    '2025-01-00',
    '2025-00-10',
    '2025-13-01',
    '2025-01-32',
    '2025-02-29',
    'x2025-01-01',
    '2025-01-01x',
    '2025-1-01',
    '25-01-01',
    ' 2025-01-01',
  ])('%j is not a date', (text) => {
    expect(isJapanDate(text)).toBe(false);
    expect(() => serviceStatusAt(new Date('2026-01-13T03:00:00Z'), hours({ closedDays: [text] }))).toThrow(
      new CalendarError(`closedDays is not a YYYY-MM-DD calendar date: ${JSON.stringify(text)}`),
    );
  });

  it('the first and last days of months and leap days are dates', () => {
    for (const text of ['2025-01-01', '2025-01-31', '2025-12-31', '2024-02-29', '2000-02-29', '2025-04-30'])
      expect(isJapanDate(text), text).toBe(true);
    for (const text of ['2025-04-31', '1900-02-29']) expect(isJapanDate(text), text).toBe(false);
    expect(isJapanDate(20250101)).toBe(false);
  });
});

// The rest of the calendar's surface, on its own tests (issue 14: until now only other modules' tests reached it).
describe('the earlier and later of two dates', () => {
  it.each([
    ['2026-01-10', '2026-01-11', '2026-01-10', '2026-01-11'],
    ['2026-01-11', '2026-01-10', '2026-01-10', '2026-01-11'],
    ['2025-12-31', '2026-01-01', '2025-12-31', '2026-01-01'],
    ['2026-01-10', '2026-01-10', '2026-01-10', '2026-01-10'],
  ])('of %s and %s: %s and %s', (a, b, earlier, later) => {
    expect(earlierDate(a, b)).toBe(earlier);
    expect(laterDate(a, b)).toBe(later);
  });

  it('of a date that is not one: a CalendarError', () => {
    expect(() => earlierDate('2026-02-30', '2026-01-01')).toThrow(CalendarError);
    expect(() => laterDate('2026-01-01', '2026-1-2')).toThrow(CalendarError);
  });
});

describe('the era digit of a date of birth (JPKI certificates)', () => {
  // Each era from its first day: 明治 1868-10-23, 大正 1912-07-30, 昭和 1926-12-25, 平成 1989-01-08, 令和 2019-05-01.
  it.each([
    ['1868-10-22', '0'],
    ['1868-10-23', '1'],
    ['1912-07-29', '1'],
    ['1912-07-30', '2'],
    ['1926-12-24', '2'],
    ['1926-12-25', '3'],
    ['1989-01-07', '3'],
    ['1989-01-08', '4'],
    ['2019-04-30', '4'],
    ['2019-05-01', '5'],
    ['2026-12-07', '5'],
  ])('%s is era %s', (date, digit) => {
    expect(eraDigit(date)).toBe(digit);
  });
});

describe('instants as Japan time', () => {
  it('writes an instant as Japan local time with its +09:00 offset', () => {
    expect(japanTimestamp(new Date('2025-06-01T00:00:00.000Z'))).toBe('2025-06-01T09:00:00.000+09:00');
    expect(japanTimestamp(new Date('2025-12-31T15:30:00.250Z'))).toBe('2026-01-01T00:30:00.250+09:00');
  });

  it('takes today in Japan from the clock it is given', () => {
    expect(todayInJapan(new Date('2026-01-10T14:59:59.999Z'))).toBe('2026-01-10');
    expect(todayInJapan(new Date('2026-01-10T15:00:00Z'))).toBe('2026-01-11');
  });

  it('is midnight in Japan when no time of day is given', () => {
    expect(japanInstant('2026-01-11').toISOString()).toBe('2026-01-10T15:00:00.000Z');
  });

  it.each([
    // [now, the instant it is 08:30 on the first weekday from today in Japan]
    ['2026-01-09T03:00:00Z', '2026-01-08T23:30:00.000Z'], // Friday noon: today, even though 08:30 has passed
    ['2026-01-09T16:00:00Z', '2026-01-11T23:30:00.000Z'], // Saturday 01:00 in Japan (Friday in UTC): Monday
    ['2026-01-11T03:00:00Z', '2026-01-11T23:30:00.000Z'], // Sunday: Monday
    ['2026-01-11T23:00:00Z', '2026-01-11T23:30:00.000Z'], // Monday 08:00: today
  ])('from %s the next weekday at 08:30 is %s', (now, expected) => {
    expect(nextWeekdayAt('08:30', new Date(now)).toISOString()).toBe(expected);
  });
});

describe('what a refusal says', () => {
  it('is a CalendarError by name, and names the value and the argument at fault', () => {
    const error = (() => {
      try {
        addDays('2025-02-29', 1);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ name: 'CalendarError', message: 'date is not a YYYY-MM-DD calendar date: "2025-02-29"' });
    expect(() => addDays('2025-01-01', 1.5)).toThrow(new CalendarError('days must be an integer, not 1.5'));
    expect(() => addMonths('2025-01-01', 0.5)).toThrow(new CalendarError('months must be an integer, not 0.5'));
    expect(() => addYears('2025-01-01', 0.5)).toThrow(new CalendarError('years must be an integer, not 0.5'));
    expect(() => birthdayIn('2000-01-01', 2025.5)).toThrow(new CalendarError('year must be an integer, not 2025.5'));
    expect(() => birthdayIn('2000-02-30', 2025)).toThrow(new CalendarError('dateOfBirth is not a YYYY-MM-DD calendar date: "2000-02-30"'));
    expect(() => ageOn('2000-13-01', '2025-01-01')).toThrow(
      new CalendarError('dateOfBirth is not a YYYY-MM-DD calendar date: "2000-13-01"'),
    );
    expect(() => nthBirthdayAfter('2000-01-01', '2025-01-01', 1.5)).toThrow(new CalendarError('n must be an integer, not 1.5'));
    expect(() => nthBirthdayAfter('2000-01-01', '2025-01-01', 0)).toThrow(new CalendarError('n counts birthdays from 1, not 0'));
    expect(() => japanInstant('2026-01-01', '24:00')).toThrow(new CalendarError('time is not an HH:MM time of day: "24:00"'));
    expect(() => serviceStatusAt(new Date(Number.NaN))).toThrow(new CalendarError('the instant is not a valid Date'));
    expect(() => serviceStatusAt(new Date('2026-01-13T03:00:00Z'), { ...DEFAULT_SERVICE_HOURS, closesAt: '20:0' })).toThrow(
      new CalendarError('closesAt is not an HH:MM time of day: "20:0"'),
    );
  });

  it('a maintenance Sunday of a month that is not one, or of a year or month that is not a whole number', () => {
    expect(() => maintenanceSunday(2026, 0)).toThrow(new CalendarError('month is 1–12, not 0'));
    expect(() => maintenanceSunday(2026, 13)).toThrow(new CalendarError('month is 1–12, not 13'));
    expect(() => maintenanceSunday(2026.5, 1)).toThrow(new CalendarError('year must be an integer, not 2026.5'));
    expect(() => maintenanceSunday(2026, 1.5)).toThrow(new CalendarError('month must be an integer, not 1.5'));
  });

  it('only a string can be a date: an array holding one is not', () => {
    expect(isJapanDate(['2025-01-01'])).toBe(false);
    expect(isJapanDate(new String('2025-01-01'))).toBe(false);
  });

  it('writes a year before 1000 with its four digits', () => {
    expect(addDays('1000-01-01', -1)).toBe('0999-12-31');
  });
});
