import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditRowSchema, continueChain, GENESIS_HASH, type AuditRow } from '../../main/domain/audit-record';
import { openKioskDatabase, schemaFindings } from '../../main/store/database';
import { TerminalFile } from '../support/fleet-fakes';

let file: TerminalFile;

beforeEach(() => {
  file = new TerminalFile();
});
afterEach(() => file.close());

const rows = (after: number, n: number): AuditRow[] => file.chain.rowsAfter(after, n);
const held = (list: AuditRow[]) => {
  const map = new Map(list.map((row) => [row.seq, row.hash]));
  return (seq: number) => map.get(seq);
};

describe('continueChain: what the service takes from a delivery', () => {
  it('takes rows that continue the chain, and counts a repeated delivery without taking it twice', () => {
    file.append(5);
    const first = continueChain({ seq: 0, hash: GENESIS_HASH }, () => undefined, rows(0, 3));
    expect(first.fresh.map((row) => row.seq)).toEqual([1, 2, 3]);
    expect(first.broken).toBeUndefined();
    const head = { seq: 3, hash: rows(2, 1)[0]!.hash };
    const again = continueChain(head, held(rows(0, 3)), rows(0, 5));
    expect(again.repeats).toBe(3);
    expect(again.fresh.map((row) => row.seq)).toEqual([4, 5]);
    expect(again.broken).toBeUndefined();
  });

  it('names the first missing row of a gap', () => {
    file.append(6);
    const result = continueChain({ seq: 2, hash: rows(1, 1)[0]!.hash }, held(rows(0, 2)), rows(4, 2));
    expect(result.broken).toMatchObject({ kind: 'gap', firstBadSeq: 3 });
    expect(result.fresh).toEqual([]);
  });

  it('names a row that differs from the one held under its seq', () => {
    file.append(4);
    const original = rows(0, 4);
    file.rewrite(2, { midRenewal: true });
    const result = continueChain({ seq: 4, hash: original[3]!.hash }, held(original), rows(0, 4));
    expect(result.repeats).toBe(1);
    expect(result.broken).toMatchObject({ kind: 'rewritten', firstBadSeq: 2 });
  });

  it('names a new row that does not link to the last row held', () => {
    file.append(3);
    const original = rows(0, 3);
    file.rewrite(3, { midRenewal: true });
    file.append(1);
    const result = continueChain({ seq: 3, hash: original[2]!.hash }, held(original), rows(3, 1));
    expect(result.broken).toMatchObject({ kind: 'unlinked', firstBadSeq: 4 });
  });

  it('names a row whose content does not match its hash', () => {
    file.append(2);
    const [one, two] = rows(0, 2);
    const edited = { ...two!, detail: { midRenewal: true } };
    const result = continueChain({ seq: 0, hash: GENESIS_HASH }, () => undefined, [one!, edited]);
    expect(result.fresh.map((row) => row.seq)).toEqual([1]);
    expect(result.broken).toMatchObject({ kind: 'row-edited', firstBadSeq: 2 });
  });
});

describe("a shipped row is held to the terminal's vocabulary", () => {
  it('accepts a stored row and refuses unknown fields, free details and a My Number for a terminal id', () => {
    file.append(1);
    const [row] = rows(0, 1);
    expect(auditRowSchema.safeParse(row).success).toBe(true);
    expect(auditRowSchema.safeParse({ ...row, name: '山田太郎' }).success).toBe(false);
    expect(auditRowSchema.safeParse({ ...row, detail: { midRenewal: false, address: '東京都' } }).success).toBe(false);
    expect(auditRowSchema.safeParse({ ...row, terminalId: '123456789012' }).success).toBe(false);
    expect(auditRowSchema.safeParse({ ...row, event: 'pin-typed' }).success).toBe(false);
  });
});

describe('the audit outbox', () => {
  it('holds every row after the acknowledged one, and moves only to a row this chain has', () => {
    file.append(5);
    expect(file.outbox.backlog()).toBe(5);
    expect(file.outbox.next(2).map((row) => row.seq)).toEqual([1, 2]);
    const three = rows(2, 1)[0]!;
    expect(file.outbox.acknowledge({ seq: 3, hash: three.hash })).toBe(true);
    expect(file.outbox.backlog()).toBe(2);
    expect(file.outbox.next(10).map((row) => row.seq)).toEqual([4, 5]);
    // A head the service claims that this chain does not have: the cursor stays.
    expect(file.outbox.acknowledge({ seq: 4, hash: 'f'.repeat(64) })).toBe(false);
    expect(file.outbox.acknowledge({ seq: 9, hash: three.hash })).toBe(false);
    expect(file.outbox.acknowledged()).toEqual({ seq: 3, hash: three.hash });
  });

  it('survives a restart of the kiosk', () => {
    file.append(4);
    file.outbox.acknowledge({ seq: 2, hash: rows(1, 1)[0]!.hash });
    file.reopen();
    expect(file.outbox.acknowledged().seq).toBe(2);
    expect(file.outbox.backlog()).toBe(2);
  });

  it('knows when rows it delivered are gone or changed', () => {
    file.append(6);
    file.outbox.acknowledge({ seq: 5, hash: rows(4, 1)[0]!.hash });
    expect(file.outbox.holdsAcknowledged()).toBe(true);
    file.cutAfter(3);
    expect(file.outbox.holdsAcknowledged()).toBe(false);
    expect(file.outbox.backlog()).toBe(0);
  });
});

describe('the guards of the audit log, checked at every open', () => {
  it('refuses to open a file whose triggers were dropped, naming them', () => {
    file.append(2);
    file.db.close();
    file.dropGuards();
    expect(() => openKioskDatabase(file.path)).toThrow(/guards have been tampered with — the trigger audit_log_no_update has been dropped/);
    const inspected = openKioskDatabase(file.path, { inspect: true });
    expect(schemaFindings(inspected)).toHaveLength(5);
    inspected.close();
  });

  it('refuses a changed trigger and an added one', () => {
    file.db.close();
    const raw = new Database(file.path);
    raw.exec(`DROP TRIGGER audit_log_no_delete;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN 0 BEGIN SELECT RAISE(ABORT, 'no'); END;
      CREATE TRIGGER audit_log_shadow AFTER INSERT ON audit_log BEGIN SELECT 1; END;`);
    raw.close();
    const inspected = openKioskDatabase(file.path, { inspect: true });
    expect(schemaFindings(inspected)).toEqual([
      'the trigger audit_log_no_delete has been changed from the one the kiosk made',
      'a trigger audit_log_shadow that the kiosk never made has been added',
    ]);
    inspected.close();
    expect(() => openKioskDatabase(file.path)).toThrow(/audit_log_no_delete has been changed/);
  });

  it('brings a version-1 file to the outbox schema with nothing acknowledged', () => {
    file.append(3);
    file.db.close();
    const raw = new Database(file.path);
    raw.exec('DROP TABLE audit_shipping; DROP TABLE staff_sign_in_limits; UPDATE kiosk_schema SET version = 1');
    raw.close();
    file.reopen();
    expect(file.outbox.acknowledged()).toEqual({ seq: 0, hash: GENESIS_HASH });
    expect(file.outbox.backlog()).toBe(3);
  });
});
