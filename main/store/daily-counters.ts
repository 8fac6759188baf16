import { HAND_OFF_REASONS, japanDayRange } from './audit';
import { dayAfter, JAPAN_UTC_OFFSET_HOURS } from '../domain/japan-calendar';
import type { KioskDatabase } from './database';

/**
 * The staff screen's figures for a day, counted from the audit chain itself
 * with one query: there is no second tally that could drift from the record.
 * Days are Japan dates.
 */

export type HandOffReason = (typeof HAND_OFF_REASONS)[number];

export interface DailyCounts {
  /** Japan date, YYYY-MM-DD. */
  date: string;
  sessions: number;
  renewalsDone: number;
  renewalsAbandoned: number;
  handOffs: Record<HandOffReason, number>;
  /** All hand-offs, including any reason this version does not name. */
  handOffsTotal: number;
}

export function dailyCounts(db: KioskDatabase, date: string): DailyCounts {
  return dailyCountsBetween(db, date, date)[0] as DailyCounts;
}

/** One entry per Japan date from..to inclusive, days without events included (all zero). */
export function dailyCountsBetween(db: KioskDatabase, from: string, to: string): DailyCounts[] {
  const { start, end } = japanDayRange(from, to);
  const days = new Map<string, DailyCounts>();
  for (let day = from; day <= to; day = dayAfter(day)) days.set(day, emptyCounts(day));

  const rows = db
    .prepare(
      `SELECT date(at, ?) AS day, event, CASE WHEN event = 'hand-off' THEN json_extract(detail, '$.reason') END AS reason, count(*) AS n
       FROM audit_log
       WHERE at >= ? AND at < ? AND event IN ('session-started', 'renewal-done', 'renewal-abandoned', 'hand-off')
       GROUP BY day, event, reason`,
    )
    .all(`+${JAPAN_UTC_OFFSET_HOURS} hours`, start, end) as { day: string; event: string; reason: string | null; n: number }[];

  for (const row of rows) {
    const counts = days.get(row.day);
    // A row whose `at` was edited into something SQLite reads no date from has no day: `audit verify` names it.
    if (!counts) continue;
    switch (row.event) {
      case 'session-started':
        counts.sessions += row.n;
        break;
      case 'renewal-done':
        counts.renewalsDone += row.n;
        break;
      case 'renewal-abandoned':
        counts.renewalsAbandoned += row.n;
        break;
      case 'hand-off':
        counts.handOffsTotal += row.n;
        if (isNamedReason(row.reason)) counts.handOffs[row.reason] += row.n;
        break;
    }
  }
  return [...days.values()];
}

/**
 * A reason this version names: not a newer version's, nor none. A list lookup, not `in`, which would take
 * an object's own properties ("constructor") for reasons.
 */
function isNamedReason(reason: string | null): reason is HandOffReason {
  return (HAND_OFF_REASONS as readonly (string | null)[]).includes(reason);
}

function emptyCounts(date: string): DailyCounts {
  return {
    date,
    sessions: 0,
    renewalsDone: 0,
    renewalsAbandoned: 0,
    handOffs: Object.fromEntries(HAND_OFF_REASONS.map((reason) => [reason, 0])) as Record<HandOffReason, number>,
    handOffsTotal: 0,
  };
}
