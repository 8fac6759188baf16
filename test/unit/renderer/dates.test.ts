import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../../preload/contract';
import { formatJapanDate, intlLocale, todayInJapan } from '../../../renderer/src/format/dates';

describe('formatJapanDate', () => {
  it('gives Japanese readers the date with the era year alongside', () => {
    const formatted = formatJapanDate('2031-04-10', 'ja');
    expect(formatted).toContain('2031');
    expect(formatted).toContain('令和13年');
    expect(formatted).toBe('2031年4月10日（令和13年）');
  });

  it('gives plain Japanese the same', () => {
    expect(formatJapanDate('2031-04-10', 'ja-x-easy')).toBe(formatJapanDate('2031-04-10', 'ja'));
  });

  it('names the era of the day itself, first year as 元年', () => {
    expect(formatJapanDate('2019-04-30', 'ja')).toBe('2019年4月30日（平成31年）');
    expect(formatJapanDate('2019-05-01', 'ja')).toBe('2019年5月1日（令和元年）');
  });

  it('writes English as "April 10, 2031"', () => {
    expect(formatJapanDate('2031-04-10', 'en')).toBe('April 10, 2031');
  });

  it.each([
    ['2030-12-31', 'December 31, 2030', '2030年12月31日'],
    ['2031-01-01', 'January 1, 2031', '2031年1月1日'],
    ['2028-02-29', 'February 29, 2028', '2028年2月29日'],
    ['2031-04-10', 'April 10, 2031', '2031年4月10日'],
    ['2026-03-31', 'March 31, 2026', '2026年3月31日'],
  ])('never moves %s by a day', (isoDate, english, japanese) => {
    expect(formatJapanDate(isoDate, 'en')).toBe(english);
    expect(formatJapanDate(isoDate, 'ja').startsWith(japanese)).toBe(true);
  });

  it('keeps Thai dates in the Gregorian calendar', () => {
    const thai = formatJapanDate('2031-04-10', 'th');
    expect(thai).toContain('2031');
    expect(thai).not.toContain('2574');
  });

  it.each(LANGUAGES)('formats in %s', (language) => {
    expect(formatJapanDate('2031-04-10', language).trim()).not.toBe('');
  });

  it.each(['2031-4-10', '2031-02-30', '2031-13-01', '2031-00-10', '', '2031-04-10T00:00:00Z', '10/04/2031', ' 2031-04-10'])(
    'rejects %j with a RangeError',
    (input) => {
      expect(() => formatJapanDate(input, 'en')).toThrow(RangeError);
    },
  );
});

describe('intlLocale', () => {
  it.each([
    ['zh-Hans', 'zh-CN'],
    ['zh-Hant', 'zh-TW'],
    ['tl', 'fil'],
    ['th', 'th-TH-u-ca-gregory'],
    ['ne', 'ne-NP'],
    ['pt', 'pt-BR'],
    ['es', 'es'],
  ] as const)('maps %s to %s', (language, locale) => {
    expect(intlLocale(language)).toBe(locale);
  });

  it.each(LANGUAGES)('gives %s a locale Intl supports', (language) => {
    expect(Intl.DateTimeFormat.supportedLocalesOf([intlLocale(language)])).toHaveLength(1);
  });
});

describe('todayInJapan', () => {
  it('counts days as Japan does, whatever the machine’s time zone', () => {
    expect(todayInJapan(new Date('2031-04-09T14:59:59Z'))).toBe('2031-04-09');
    expect(todayInJapan(new Date('2031-04-09T15:00:00Z'))).toBe('2031-04-10');
    expect(todayInJapan(new Date('2030-12-31T15:00:00Z'))).toBe('2031-01-01');
  });
});
