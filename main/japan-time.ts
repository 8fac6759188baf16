/**
 * Japan Standard Time is UTC+9 all year (no daylight saving), so Japan's
 * calendar date is a fixed offset away — whatever zone the machine is set to.
 */
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** The calendar date in Japan at this instant, as YYYY-MM-DD. */
export function japanDate(instant: Date): string {
  return new Date(instant.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

export function todayInJapan(now: Date = new Date()): string {
  return japanDate(now);
}
