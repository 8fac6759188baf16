import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedJlis } from '../../main/simulation/jlis/service';
import { PGLITE_DIR } from '../../main/simulation/jlis/storage';
import { openSimulatedWorld, type SimulatedWorld } from '../../main/simulation/world';
import { jlisDatabaseContract } from '../support/jlis-database-contract';

// The simulated J-LIS on its default database, the embedded PGlite: the
// rules the database holds (the same contract runs on a PostgreSQL server in
// test/integration/postgres.test.ts), and the lock that keeps a second
// process out of its data directory.

const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-jlis-db-'));
const simDir = join(work, 'sim');
let world: SimulatedWorld;
let second: SimulatedJlis;

beforeAll(async () => {
  world = await openSimulatedWorld({ terminalId: 'db-test', simDir, dbPath: join(work, 'kiosk.sqlite') });
  second = await SimulatedJlis.open(simDir);
}, 60_000);

afterAll(async () => {
  await second?.close();
  await world?.close();
  expect(existsSync(join(simDir, `${PGLITE_DIR}.lock`))).toBe(false);
  rmSync(work, { recursive: true, force: true });
});

jlisDatabaseContract('embedded PGlite', () => ({ world, second, reopen: () => SimulatedJlis.open(simDir) }));

describe('the PGlite data directory', () => {
  it('is held by a lock file naming this process while open, shared by the openers in this process', () => {
    expect(readFileSync(join(simDir, `${PGLITE_DIR}.lock`), 'utf8').trim()).toBe(String(process.pid));
  });

  it('refuses a second process, naming it; takes over the lock of a process that ended', async () => {
    const dir = join(work, 'locked');
    const lock = join(dir, `${PGLITE_DIR}.lock`);
    spawnSync('mkdir', ['-p', dir]);
    // A live process (the test runner that started this worker) holds it.
    writeFileSync(lock, `${process.ppid}\n`);
    await expect(SimulatedJlis.open(dir)).rejects.toThrow(
      `the simulated J-LIS database ${join(dir, PGLITE_DIR)} is open in process ${process.ppid}; point other processes at its service`,
    );
    expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.ppid));
    // A process that ended without closing: its lock is stale.
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(lock, `${ended.stdout}\n`);
    const jlis = await SimulatedJlis.open(dir);
    try {
      expect(readFileSync(lock, 'utf8').trim()).toBe(String(process.pid));
      expect(jlis.database).toBe(join(dir, PGLITE_DIR));
    } finally {
      await jlis.close();
    }
    expect(existsSync(lock)).toBe(false);
  }, 60_000);

  it('refuses a database option that is not a PostgreSQL URL', async () => {
    await expect(SimulatedJlis.open(join(work, 'never'), { database: 'mysql://somewhere/db' })).rejects.toThrow(
      'must be a postgres:// or postgresql:// URL',
    );
  });
});
