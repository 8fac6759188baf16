import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAuditExport, runAuditVerify } from '../../main/cli/audit';
import { UsageError } from '../../main/cli/usage-error';
import { AuditChain } from '../../main/store/audit';
import { openKioskDatabase } from '../../main/store/database';

let dir: string;
let path: string;
let output: string[];

const io = () => ({ env: {}, write: (text: string) => void output.push(text) });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-audit-cli-'));
  path = join(dir, 'kiosk.sqlite');
  output = [];
  const db = openKioskDatabase(path);
  const times = ['2025-06-01T01:00:00.000Z', '2025-06-01T02:00:00.000Z', '2025-06-02T01:00:00.000Z'];
  let clock = new Date(0);
  const chain = new AuditChain(db, { terminalId: 'counter-02', now: () => clock });
  for (const time of times) {
    clock = new Date(time);
    chain.append({ event: 'hand-off', detail: { reason: 'pin-forgotten', slip: true } });
  }
  db.close();
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function rowCount(): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('audit verify', () => {
  it('exits 0 on an intact chain', async () => {
    expect(await runAuditVerify(['--db', path], io())).toBe(0);
    expect(output.join('')).toMatch(/^audit chain intact: 3 rows, head [0-9a-f]{64} \(.*kiosk\.sqlite\)\n$/);
  });

  it('exits 1 naming the first broken row', async () => {
    const raw = new Database(path);
    raw.exec(`DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = '{"reason":"pin-blocked","slip":true}' WHERE seq = 2;`);
    raw.close();
    expect(await runAuditVerify(['--db', path], io())).toBe(1);
    // Both what was done to the guards and what was done to the rows.
    expect(output.join('')).toMatch(/^audit schema TAMPERED: the trigger audit_log_no_update has been dropped/);
    expect(output.join('')).toMatch(/\naudit chain BROKEN at row 2 \(row-edited\): row 2 has been edited/);
  });

  it('reports dropped or changed guards even when every row is intact', async () => {
    const raw = new Database(path);
    raw.exec(`DROP TRIGGER audit_log_no_delete;
      DROP TRIGGER audit_head_moves_forward;
      CREATE TRIGGER audit_head_moves_forward BEFORE UPDATE ON audit_head BEGIN SELECT 1; END;`);
    raw.close();
    expect(await runAuditVerify(['--db', path], io())).toBe(1);
    const text = output.join('');
    expect(text).toContain('audit schema TAMPERED: the trigger audit_log_no_delete has been dropped');
    expect(text).toContain('audit schema TAMPERED: the trigger audit_head_moves_forward has been changed');
    expect(text).toMatch(/audit chain intact: \d+ rows/);
  });

  it('finds the database through $MYNA_KIOSK_DB and $MYNA_KIOSK_DATA_DIR', async () => {
    expect(await runAuditVerify([], { ...io(), env: { MYNA_KIOSK_DB: path } })).toBe(0);
    expect(await runAuditVerify([], { ...io(), env: { MYNA_KIOSK_DATA_DIR: dir } })).toBe(0);
    expect(output).toHaveLength(2);
  });

  it('never creates a database: a wrong path is an error, not an empty "intact" log', async () => {
    const missing = join(dir, 'nope', 'kiosk.sqlite');
    await expect(runAuditVerify(['--db', missing], io())).rejects.toThrow(/no kiosk database at/);
    expect(existsSync(missing)).toBe(false);
  });

  it('refuses an unknown option', async () => {
    await expect(runAuditVerify(['--fix'], io())).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
  });
});

describe('audit export', () => {
  it('writes CSV to standard output and records the export', async () => {
    expect(await runAuditExport(['--from', '2025-06-01', '--to', '2025-06-01', '--format', 'csv', '--db', path], io())).toBe(0);
    const lines = output.join('').split('\r\n');
    expect(lines[0]).toMatch(/^seq,at,at_japan,event,/);
    expect(lines.slice(1, -1).map((line) => line.split(',')[0])).toEqual(['1', '2']);
    expect(rowCount()).toBe(4);
    output = [];
    expect(await runAuditVerify(['--db', path], io())).toBe(0);
    expect(output.join('')).toContain('4 rows');
  });

  it('writes JSON Lines to a new owner-only file', async () => {
    const out = join(dir, 'june.jsonl');
    expect(
      await runAuditExport(['--from', '2025-06-01', '--to', '2025-06-30', '--format', 'jsonl', '--db', path, '--out', out], io()),
    ).toBe(0);
    expect(output.join('')).toBe(`exported 3 rows (Japan dates 2025-06-01 to 2025-06-30, jsonl) to ${out}\n`);
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; terminal_id: string });
    expect(records.map((record) => record.seq)).toEqual([1, 2, 3]);
    expect(records[0]?.terminal_id).toBe('counter-02');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('never overwrites an earlier export, and records nothing then', async () => {
    const out = join(dir, 'taken.csv');
    writeFileSync(out, 'earlier export');
    await expect(
      runAuditExport(['--from', '2025-06-01', '--to', '2025-06-30', '--format', 'csv', '--db', path, '--out', out], io()),
    ).rejects.toThrow(/already exists/);
    expect(readFileSync(out, 'utf8')).toBe('earlier export');
    expect(rowCount()).toBe(3);
  });

  it.each([
    [['--to', '2025-06-30', '--format', 'csv'], /--from is required: a Japan date as YYYY-MM-DD/],
    [['--from', '2025-06-01', '--format', 'csv'], /--to is required/],
    [['--from', '2025-06-31', '--to', '2025-07-01', '--format', 'csv'], /--from must be a real date as YYYY-MM-DD \(got "2025-06-31"\)/],
    [['--from', '1 June', '--to', '2025-07-01', '--format', 'csv'], /--from must be a real date/],
    [['--from', '2025-06-01', '--to', '20250630', '--format', 'csv'], /--to must be a real date/],
    [['--from', '2025-07-01', '--to', '2025-06-01', '--format', 'csv'], /--from \(2025-07-01\) is after --to \(2025-06-01\)/],
    [['--from', '2025-06-01', '--to', '2025-06-30'], /--format is required: csv or jsonl/],
    [['--from', '2025-06-01', '--to', '2025-06-30', '--format', 'xlsx'], /--format must be csv or jsonl \(got "xlsx"\)/],
  ])('%j is a usage error', async (argv, message) => {
    const promise = runAuditExport([...argv, '--db', path], io());
    await expect(promise).rejects.toThrow(UsageError);
    await expect(promise).rejects.toThrow(message);
    expect(rowCount()).toBe(3);
  });
});
