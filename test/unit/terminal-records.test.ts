import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KioskDatabaseError } from '../../main/store/database';
import { openTerminalRecords, type TerminalRecords } from '../../main/store/terminal-records';
import { scratchForTest } from '../support/scratch';

// A terminal's records opened together: a counter PC's database that outlives the kiosk,
// or a trainer's practice database that leaves nothing behind.

const SESSION = '3f0c2a9e-8d1b-4c5e-9a7f-1b2c3d4e5f60';
const opened: TerminalRecords[] = [];
afterEach(() => {
  for (const records of opened.splice(0)) records.close();
});

describe('a terminal database', () => {
  it('is the file asked for, and closing the records leaves it for the next start', () => {
    const path = join(scratchForTest('myna-kiosk-records-'), 'kiosk.sqlite');
    const records = openTerminalRecords({ terminalId: 'counter-01', dbPath: path });
    expect(records.path).toBe(path);
    records.audit.append({ event: 'session-started', sessionId: SESSION, detail: { profile: 'counter' } });
    records.signInLimits.write('clerk', { failures: 2, refusedUntil: 0, locked: false });
    records.close();
    expect(existsSync(path)).toBe(true);

    const reopened = openTerminalRecords({ terminalId: 'counter-01', dbPath: path });
    opened.push(reopened);
    expect(reopened.audit.verify()).toMatchObject({ ok: true, rows: 1 });
    expect(reopened.signInLimits.read('clerk')).toEqual({ failures: 2, refusedUntil: 0, locked: false });
  });

  it('that cannot be opened is refused', () => {
    const notADatabase = scratchForTest('myna-kiosk-records-');
    expect(() => openTerminalRecords({ terminalId: 'counter-01', dbPath: notADatabase })).toThrow(KioskDatabaseError);
  });

  it('rows are stamped with the clock given', () => {
    const records = openTerminalRecords({ terminalId: 'counter-01', now: () => new Date('2025-06-02T01:00:00.000Z') });
    opened.push(records);
    const row = records.audit.append({ event: 'session-started', sessionId: SESSION, detail: { profile: 'counter' } });
    expect(row.at).toBe('2025-06-02T01:00:00.000Z');
  });
});

describe('a practice database', () => {
  it('lives in a folder of its own, gone when the records close', () => {
    const records = openTerminalRecords({ terminalId: 'lobby-01' });
    expect(basename(records.path)).toBe('kiosk.sqlite');
    expect(basename(dirname(records.path))).toMatch(/^myna-kiosk-practice-/);
    records.audit.append({ event: 'session-started', sessionId: SESSION, detail: { profile: 'lobby' } });
    expect(existsSync(records.path)).toBe(true);
    records.close();
    expect(existsSync(dirname(records.path))).toBe(false);
  });

  it('closes even when its folder was cleaned away first', () => {
    const records = openTerminalRecords({ terminalId: 'lobby-01' });
    rmSync(dirname(records.path), { recursive: true, force: true });
    expect(() => records.close()).not.toThrow();
  });

  it('that cannot be opened leaves no folder behind', () => {
    // SQLite refuses a path longer than 512 characters; the folder can still be made.
    const tmp = join(scratchForTest('myna-kiosk-records-'), ...Array.from({ length: 3 }, () => 'x'.repeat(200)));
    mkdirSync(tmp, { recursive: true });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      expect(() => openTerminalRecords({ terminalId: 'lobby-01' })).toThrow(KioskDatabaseError);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(readdirSync(tmp)).toEqual([]);
  });
});
