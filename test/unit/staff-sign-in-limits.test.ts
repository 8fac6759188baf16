import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openKioskDatabase, type KioskDatabase } from '../../main/store/database';
import {
  MemorySignInLimits,
  StaffSignInLimits,
  TERMINAL_WIDE,
  type SignInCount,
  type SignInLimitStore,
} from '../../main/store/staff-sign-in-limits';
import { scratchForTest } from '../support/scratch';

// The counts behind the counter's sign-in limits: what the store gives back is what was written,
// a count read is the caller's own copy, and the locked accounts are the ones a supervisor must clear.

const CLEAR: SignInCount = { failures: 0, refusedUntil: 0, locked: false };
const REFUSED_UNTIL = Date.parse('2025-06-02T01:05:00.000Z');

const databases: KioskDatabase[] = [];
afterEach(() => {
  for (const db of databases.splice(0)) if (db.open) db.close();
});

function openDatabase(path = join(scratchForTest('myna-kiosk-sign-in-'), 'kiosk.sqlite')): KioskDatabase {
  const db = openKioskDatabase(path);
  databases.push(db);
  return db;
}

const stores: Array<[string, () => SignInLimitStore]> = [
  ['in memory', () => new MemorySignInLimits()],
  ['in the database', () => new StaffSignInLimits(openDatabase())],
];

describe.each(stores)('sign-in limits %s', (_name, makeStore) => {
  it('an account never written to is clear', () => {
    const store = makeStore();
    expect(store.read('clerk')).toEqual(CLEAR);
    expect(store.read(TERMINAL_WIDE)).toEqual(CLEAR);
    expect(store.lockedAccounts()).toEqual([]);
  });

  it('gives back what was written, per account, the last write winning', () => {
    const store = makeStore();
    store.write('clerk', { failures: 3, refusedUntil: REFUSED_UNTIL, locked: false });
    store.write('supervisor', { failures: 1, refusedUntil: 0, locked: false });
    expect(store.read('clerk')).toEqual({ failures: 3, refusedUntil: REFUSED_UNTIL, locked: false });
    store.write('clerk', { failures: 5, refusedUntil: REFUSED_UNTIL, locked: true });
    expect(store.read('clerk')).toEqual({ failures: 5, refusedUntil: REFUSED_UNTIL, locked: true });
    store.write('clerk', CLEAR);
    expect(store.read('clerk')).toEqual(CLEAR);
    expect(store.read('supervisor')).toEqual({ failures: 1, refusedUntil: 0, locked: false });
  });

  it("a count read or written is the caller's own: changing it changes nothing stored", () => {
    const store = makeStore();
    const written = { failures: 1, refusedUntil: 0, locked: false };
    store.write('clerk', written);
    written.failures = 9;
    const read = store.read('clerk');
    read.locked = true;
    expect(store.read('clerk')).toEqual({ failures: 1, refusedUntil: 0, locked: false });
    const clear = store.read('nobody');
    clear.failures = 9;
    expect(store.read('nobody')).toEqual(CLEAR);
  });

  it('lists the locked accounts, not the terminal-wide count', () => {
    const store = makeStore();
    store.write('clerk-a', { failures: 5, refusedUntil: 0, locked: true });
    store.write('clerk-b', { failures: 2, refusedUntil: REFUSED_UNTIL, locked: false });
    store.write('clerk-c', { failures: 5, refusedUntil: 0, locked: true });
    store.write(TERMINAL_WIDE, { failures: 10, refusedUntil: REFUSED_UNTIL, locked: true });
    expect(store.lockedAccounts()).toEqual(['clerk-a', 'clerk-c']);
    store.write('clerk-a', CLEAR);
    expect(store.lockedAccounts()).toEqual(['clerk-c']);
  });
});

describe('sign-in limits in the database', () => {
  it('outlive a restart of the counter PC', () => {
    const path = join(scratchForTest('myna-kiosk-sign-in-'), 'kiosk.sqlite');
    const before = openDatabase(path);
    new StaffSignInLimits(before).write('clerk', { failures: 5, refusedUntil: REFUSED_UNTIL, locked: true });
    before.close();
    const after = new StaffSignInLimits(openDatabase(path));
    expect(after.read('clerk')).toEqual({ failures: 5, refusedUntil: REFUSED_UNTIL, locked: true });
    expect(after.lockedAccounts()).toEqual(['clerk']);
  });

  it('lists locked accounts in order of their names', () => {
    const store = new StaffSignInLimits(openDatabase());
    for (const account of ['clerk-b', 'clerk-c', 'clerk-a']) store.write(account, { failures: 5, refusedUntil: 0, locked: true });
    expect(store.lockedAccounts()).toEqual(['clerk-a', 'clerk-b', 'clerk-c']);
  });

  it('keeps a refusal time to the millisecond', () => {
    const store = new StaffSignInLimits(openDatabase());
    store.write('clerk', { failures: 3, refusedUntil: REFUSED_UNTIL + 0.6, locked: false });
    expect(store.read('clerk').refusedUntil).toBe(REFUSED_UNTIL + 1);
  });
});
