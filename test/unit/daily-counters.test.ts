import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rowHash, STORED_AUDIT_COLUMNS, storedAuditRow, type AuditRow } from '../../main/domain/audit-record';
import { AuditChain } from '../../main/store/audit';
import { dailyCounts } from '../../main/store/daily-counters';
import { openKioskDatabase, type KioskDatabase } from '../../main/store/database';
import { scratchForTest } from '../support/scratch';

// The staff screen's figures for a day, from rows this version of the kiosk did not write itself:
// a newer version's hand-off reasons, and a row whose time was edited in the file.

let db: KioskDatabase;
let chain: AuditChain;
let clock: Date;

beforeEach(() => {
  db = openKioskDatabase(join(scratchForTest('myna-kiosk-counters-'), 'kiosk.sqlite'));
  clock = new Date('2025-06-01T01:00:00.000Z'); // 10:00 on 1 June in Japan
  chain = new AuditChain(db, { terminalId: 'lobby-01', now: () => clock });
});

afterEach(() => {
  if (db.open) db.close();
});

/** Appends a row as another version of the kiosk would (its own events and details), at the head of the chain. */
function appendForeign(row: Pick<AuditRow, 'at' | 'detail'> & { event: string }): void {
  const head = chain.head();
  const unhashed = { ...row, event: row.event as AuditRow['event'], seq: head.seq + 1, terminalId: 'lobby-01', prevHash: head.hash };
  const stored = storedAuditRow({ ...unhashed, hash: rowHash(unhashed) });
  db.prepare(`INSERT INTO audit_log (${STORED_AUDIT_COLUMNS.join(', ')}) VALUES (${STORED_AUDIT_COLUMNS.map(() => '?').join(', ')})`).run(
    ...STORED_AUDIT_COLUMNS.map((column) => stored[column]),
  );
  db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(stored.seq, stored.hash);
}

describe('hand-offs', () => {
  it('a reason this version does not name counts in the total only', () => {
    chain.append({ event: 'hand-off', detail: { reason: 'pin-blocked', slip: true } });
    appendForeign({ at: '2025-06-01T02:00:00.000Z', event: 'hand-off', detail: { reason: 'queue-full', slip: false } });
    appendForeign({ at: '2025-06-01T02:10:00.000Z', event: 'hand-off', detail: { reason: 'constructor', slip: false } });
    appendForeign({ at: '2025-06-01T02:20:00.000Z', event: 'hand-off', detail: { slip: false } });

    const june1 = dailyCounts(db, '2025-06-01');
    expect(june1.handOffsTotal).toBe(4);
    // Every reason this version names (docs/domain.md), and no other.
    expect(june1.handOffs).toEqual({
      'pin-forgotten': 0,
      'pin-blocked': 1,
      'face-authentication-card': 0,
      'period-of-stay': 0,
      'new-card-route': 0,
      'service-closed': 0,
      'gateway-failure': 0,
      'card-error': 0,
      'unfinished-renewal': 0,
      proxy: 0,
      'legal-representative': 0,
      'substitute-characters': 0,
      'help-requested': 0,
    });
  });
});

describe('a row whose time was edited', () => {
  it('is left out of the figures instead of failing the staff screen', () => {
    chain.append({ event: 'session-started', detail: { profile: 'lobby' } });
    // In the day's range as text, but not a time SQLite can read a date from (`audit verify` names the row).
    appendForeign({ at: '2025-06-01T03:00:00.000Z (edited)', event: 'session-started', detail: { profile: 'lobby' } });
    expect(dailyCounts(db, '2025-06-01')).toMatchObject({ date: '2025-06-01', sessions: 1 });
  });
});
