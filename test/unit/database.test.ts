import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { KIOSK_APPLICATION_ID, KioskDatabaseError, openKioskDatabase, schemaFindings, type KioskDatabase } from '../../main/store/database';
import { scratchForTest } from '../support/scratch';

// Opening the kiosk's records: a damaged file, one from an older kiosk, and one whose audit guards were
// dropped or changed are each told apart, and the kiosk writes to none it cannot trust.

const opened: KioskDatabase[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
});

function open(path: string, options?: Parameters<typeof openKioskDatabase>[1]): KioskDatabase {
  const db = openKioskDatabase(path, options);
  opened.push(db);
  return db;
}

/** A kiosk database made and closed, then changed by hand through a raw connection. */
function databaseChangedBy(sql: string): string {
  const path = join(scratchForTest('myna-kiosk-database-'), 'kiosk.sqlite');
  openKioskDatabase(path).close();
  const raw = new Database(path);
  raw.exec(sql);
  raw.close();
  return path;
}

const tableNames = (db: KioskDatabase) =>
  db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];

describe('a file that cannot be made', () => {
  it('where a file stands in for its folder: refused as KioskDatabaseError, naming the path', () => {
    const dir = scratchForTest('myna-kiosk-database-');
    writeFileSync(join(dir, 'not-a-folder'), '');
    const path = join(dir, 'not-a-folder', 'kiosk.sqlite');
    expect(() => openKioskDatabase(path)).toThrow(KioskDatabaseError);
    expect(() => openKioskDatabase(path)).toThrow(new RegExp(`^${path} cannot be created: EEXIST: file already exists, mkdir`));
  });

  it('with a name longer than the file system takes: refused the same way', () => {
    const path = join(scratchForTest('myna-kiosk-database-'), `${'k'.repeat(300)}.sqlite`);
    expect(() => openKioskDatabase(path)).toThrow(new RegExp(`^${path} cannot be created: ENAMETOOLONG`));
  });

  it('a link to nowhere in its place is not replaced: the file there cannot be restricted to its owner', () => {
    const dir = scratchForTest('myna-kiosk-database-');
    const path = join(dir, 'kiosk.sqlite');
    symlinkSync(join(dir, 'gone', 'elsewhere.sqlite'), path);
    expect(() => openKioskDatabase(path)).toThrow(new RegExp(`^${path}: cannot restrict the file to its owner: ENOENT`));
  });
});

describe('a damaged file', () => {
  it('an SQLite file whose pages are garbled cannot be opened, and says why', () => {
    const path = databaseChangedBy('CREATE TABLE filler (x TEXT); INSERT INTO filler VALUES (zeroblob(5000))');
    const bytes = readFileSync(path);
    // The schema's page (the first, after the 100-byte header) overwritten: SQLite answers "malformed", not "not a database".
    bytes.fill(0xa5, 100, 4096);
    writeFileSync(path, bytes);
    expect(() => openKioskDatabase(path)).toThrow(new RegExp(`^${path} cannot be opened: .*malformed`));
  });

  it('marked as a kiosk database but without its schema version table is refused', () => {
    const path = databaseChangedBy('DROP TABLE kiosk_schema');
    expect(() => openKioskDatabase(path)).toThrow(
      new KioskDatabaseError(`${path} is marked as a kiosk database but has no schema version table; it is damaged`),
    );
  });

  it('without its schema version row is refused', () => {
    const path = databaseChangedBy('DELETE FROM kiosk_schema');
    expect(() => openKioskDatabase(path)).toThrow(
      new KioskDatabaseError(`${path}: the schema version row is missing; the database is damaged`),
    );
  });

  it('a folder where the file should be cannot be opened', () => {
    const path = join(scratchForTest('myna-kiosk-database-'), 'kiosk.sqlite');
    mkdirSync(path);
    expect(() => openKioskDatabase(path)).toThrow(new RegExp(`^${path} cannot be opened: `));
  });

  it('an empty SQLite file of no application is set up as a kiosk database', () => {
    const path = join(scratchForTest('myna-kiosk-database-'), 'kiosk.sqlite');
    new Database(path).close();
    const db = open(path);
    expect(db.pragma('application_id', { simple: true })).toBe(KIOSK_APPLICATION_ID);
    expect(db.prepare('SELECT version FROM kiosk_schema').pluck().get()).toBe(3);
  });
});

describe('a file that is not ours', () => {
  it('an SQLite file marked by another application, even with no tables yet, is refused as KioskDatabaseError', () => {
    const path = join(scratchForTest('myna-kiosk-database-'), 'other.sqlite');
    const raw = new Database(path);
    raw.pragma('application_id = 1234');
    raw.close();
    const error = (() => {
      try {
        openKioskDatabase(path);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(KioskDatabaseError);
    expect(error).toMatchObject({
      name: 'KioskDatabaseError',
      message: `${path} is not a kiosk database (it is an SQLite file of another application); refusing to touch it`,
    });
  });

  it('a database from a newer kiosk is refused, saying to update the kiosk software', () => {
    const path = databaseChangedBy('UPDATE kiosk_schema SET version = 99');
    expect(() => openKioskDatabase(path)).toThrow(
      new KioskDatabaseError(
        `${path} was written by a newer myna-kiosk (schema version 99; this version knows up to 3); ` +
          'refusing to open it — update the kiosk software',
      ),
    );
  });
});

describe('a database from an older kiosk', () => {
  it('is migrated forward to the current schema, its records kept', () => {
    // Version 1: the journal and the audit chain, before audit shipping (2) and sign-in limits (3).
    const path = databaseChangedBy(`
      DROP TABLE audit_shipping;
      DROP TABLE staff_sign_in_limits;
      UPDATE kiosk_schema SET version = 1;
      INSERT INTO renewals (renewal_id, card_key, token_label, authentication_serial, route, state, started_at)
        VALUES ('r-1', 'k', 'JPKIAPICCTOKEN2', '1A2B3C4D5E6F708192A3B4C5D6E7F801', 'in-person', 'open', '2025-06-01T00:00:00.000Z');
    `);
    const db = open(path);
    expect(db.prepare('SELECT version FROM kiosk_schema').pluck().get()).toBe(3);
    expect(tableNames(db)).toEqual([
      'audit_head',
      'audit_log',
      'audit_shipping',
      'kiosk_schema',
      'renewal_cards',
      'renewal_steps',
      'renewals',
      'staff_sign_in_limits',
    ]);
    expect(db.prepare('SELECT acknowledged_seq FROM audit_shipping').pluck().get()).toBe(0);
    expect(db.prepare('SELECT renewal_id FROM renewals').pluck().all()).toEqual(['r-1']);
    expect(schemaFindings(db)).toEqual([]);
  });
});

describe("the audit log's guards", () => {
  const DROPPED = 'DROP TRIGGER audit_log_no_delete';
  const CHANGED = 'DROP TRIGGER audit_log_no_update; CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT 1; END;';
  const ADDED = 'CREATE TRIGGER audit_log_forget AFTER INSERT ON audit_log BEGIN SELECT 1; END;';

  it('dropped, changed or added behind the kiosk: named one by one', () => {
    const db = open(databaseChangedBy(`${DROPPED}; ${CHANGED} ${ADDED}`), { inspect: true });
    expect(schemaFindings(db)).toEqual([
      'the trigger audit_log_no_update has been changed from the one the kiosk made',
      'the trigger audit_log_no_delete has been dropped, so audit rows could be changed or removed unseen',
      'a trigger audit_log_forget that the kiosk never made has been added',
    ]);
  });

  it('tampered with: the kiosk will not write to the file, names each finding, and says to call the IT department', () => {
    const path = databaseChangedBy(`${DROPPED}; ${ADDED}`);
    expect(() => openKioskDatabase(path)).toThrow(
      new KioskDatabaseError(
        `${path}: the audit log's guards have been tampered with — ` +
          'the trigger audit_log_no_delete has been dropped, so audit rows could be changed or removed unseen; ' +
          'a trigger audit_log_forget that the kiosk never made has been added. ' +
          'The kiosk will not write to it: run `npx myna-kiosk audit verify` and call the IT department',
      ),
    );
  });

  it('intact: nothing to report', () => {
    const db = open(join(scratchForTest('myna-kiosk-database-'), 'kiosk.sqlite'));
    expect(schemaFindings(db)).toEqual([]);
  });
});
