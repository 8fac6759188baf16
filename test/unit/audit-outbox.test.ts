import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditChain } from '../../main/store/audit';
import { AuditOutbox } from '../../main/store/audit-outbox';
import { openKioskDatabase, type KioskDatabase } from '../../main/store/database';
import { scratchForTest } from '../support/scratch';

// The audit outbox (docs/fleet.md): what is still to be delivered to the issuing service, and a cursor that
// moves only to a row this terminal's chain holds with the hash the service says it has.

const ZERO_HASH = '0'.repeat(64);
let db: KioskDatabase;
let chain: AuditChain;
let outbox: AuditOutbox;

beforeEach(() => {
  db = openKioskDatabase(join(scratchForTest('myna-kiosk-outbox-'), 'kiosk.sqlite'));
  chain = new AuditChain(db, { terminalId: 'lobby-01', now: () => new Date('2025-06-02T01:00:00.000Z') });
  outbox = new AuditOutbox(db, chain);
});

afterEach(() => {
  if (db.open) db.close();
});

/** Appends `count` rows; returns each row's seq and hash. */
function appendRows(count: number) {
  return Array.from({ length: count }, () => {
    const row = chain.append({ event: 'session-started', sessionId: '3f0c2a9e-8d1b-4c5e-9a7f-1b2c3d4e5f60', detail: { profile: 'lobby' } });
    return { seq: row.seq, hash: row.hash };
  });
}

describe('a new database', () => {
  it('has a chain id of 32 hex digits, nothing acknowledged and nothing to deliver', () => {
    expect(outbox.chainId()).toMatch(/^[0-9a-f]{32}$/);
    expect(outbox.acknowledged()).toEqual({ seq: 0, hash: ZERO_HASH });
    expect(outbox.holdsAcknowledged()).toBe(true);
    expect(outbox.backlog()).toBe(0);
    expect(outbox.next(10)).toEqual([]);
  });

  it('each database file names a chain of its own', () => {
    const other = openKioskDatabase(join(scratchForTest('myna-kiosk-outbox-'), 'kiosk.sqlite'));
    try {
      expect(new AuditOutbox(other, new AuditChain(other, { terminalId: 'lobby-01' })).chainId()).not.toBe(outbox.chainId());
    } finally {
      other.close();
    }
  });
});

describe('delivery', () => {
  it('every appended row is queued, and the cursor moves to the row the service holds', () => {
    const rows = appendRows(5);
    expect(outbox.backlog()).toBe(5);
    expect(outbox.next(2).map((row) => row.seq)).toEqual([1, 2]);

    expect(outbox.acknowledge(rows[2]!)).toBe(true);
    expect(outbox.acknowledged()).toEqual(rows[2]);
    expect(outbox.backlog()).toBe(2);
    expect(outbox.next(10).map((row) => row.seq)).toEqual([4, 5]);
    // The reporter may re-ship from an earlier row after a conflict.
    expect(outbox.next(2, 1).map((row) => row.seq)).toEqual([2, 3]);
    expect(outbox.holdsAcknowledged()).toBe(true);
  });

  it('the cursor survives a restart', () => {
    const rows = appendRows(3);
    outbox.acknowledge(rows[1]!);
    const path = db.name;
    db.close();
    db = openKioskDatabase(path);
    const reopened = new AuditOutbox(db, new AuditChain(db, { terminalId: 'lobby-01' }));
    expect(reopened.acknowledged()).toEqual(rows[1]);
    expect(reopened.backlog()).toBe(1);
  });

  it('a service that holds nothing of this chain takes the cursor back to the start', () => {
    const rows = appendRows(3);
    outbox.acknowledge(rows[2]!);
    expect(outbox.acknowledge({ seq: 0, hash: 'anything' })).toBe(true);
    expect(outbox.acknowledged()).toEqual({ seq: 0, hash: ZERO_HASH });
    expect(outbox.backlog()).toBe(3);
  });
});

describe('a service whose copy does not match the chain never moves the cursor', () => {
  it.each([
    ['a row past the end of the local chain', (rows: { seq: number; hash: string }[]) => ({ seq: rows.length + 1, hash: rows[0]!.hash })],
    ['a row the chain has, with another hash', (rows: { seq: number; hash: string }[]) => ({ seq: 2, hash: rows[0]!.hash })],
  ])('%s', (_name, claim) => {
    const rows = appendRows(3);
    outbox.acknowledge(rows[0]!);
    expect(outbox.acknowledge(claim(rows))).toBe(false);
    expect(outbox.acknowledged()).toEqual(rows[0]);
    expect(outbox.backlog()).toBe(2);
  });
});

describe('a chain cut or rewritten after a row was delivered', () => {
  it('no longer holds the acknowledged row, and says so', () => {
    const rows = appendRows(3);
    outbox.acknowledge(rows[1]!);
    db.prepare('UPDATE audit_shipping SET acknowledged_hash = ? WHERE id = 1').run(rows[0]!.hash);
    expect(outbox.holdsAcknowledged()).toBe(false);
  });

  it('a cursor past the head: not held, and no negative backlog', () => {
    const rows = appendRows(2);
    db.prepare('UPDATE audit_shipping SET acknowledged_seq = 3, acknowledged_hash = ? WHERE id = 1').run(rows[1]!.hash);
    expect(outbox.holdsAcknowledged()).toBe(false);
    expect(outbox.backlog()).toBe(0);
  });

  it('a cursor on the right row number with the right hash at another row: not held', () => {
    const rows = appendRows(2);
    // The hash of row 2 recorded against row 1: the seq matches a row, the hash does not.
    db.prepare('UPDATE audit_shipping SET acknowledged_seq = 1, acknowledged_hash = ? WHERE id = 1').run(rows[1]!.hash);
    expect(outbox.holdsAcknowledged()).toBe(false);
  });
});
