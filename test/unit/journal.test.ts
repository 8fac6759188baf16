import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { build } from 'vite';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  KIOSK_APPLICATION_ID,
  KioskDatabaseError,
  SCHEMA_VERSION,
  openKioskDatabase,
  resolveDataDir,
  resolveDatabasePath,
  type KioskDatabase,
} from '../../main/store/database';
import { JournalError, RENEWAL_STEPS, RenewalJournal, cardKey, type CardIdentity } from '../../main/store/journal';
import { AuditChain, type AuditRow } from '../../main/store/audit';
import { dailyCounts } from '../../main/store/daily-counters';

const ROOT = new URL('../..', import.meta.url).pathname;

let dir: string;
let path: string;
let db: KioskDatabase;
let clock: Date;
let journal: RenewalJournal;
let audit: AuditChain;

const CARD: CardIdentity = {
  tokenLabel: 'JPKIAPICCTOKEN2',
  authenticationSerial: '1A2B3C4D5E6F708192A3B4C5D6E7F801',
  signatureSerial: '0F1E2D3C4B5A69788796A5B4C3D2E1F0',
};
const OTHER_CARD: CardIdentity = {
  tokenLabel: 'JPKIAPICCTOKEN2',
  authenticationSerial: '7777777777777777777777777777777A',
  signatureSerial: '0F1E2D3C4B5A69788796A5B4C3D2E1F0',
};
const FINGERPRINT_A = 'a'.repeat(64);
const FINGERPRINT_B = 'b'.repeat(64);
const ISSUED = {
  authentication: { serialNumber: '5555AAAA5555AAAA5555AAAA5555AAAA', notAfter: '2030-07-15T14:59:59.000Z' },
  signature: { serialNumber: '6666BBBB6666BBBB6666BBBB6666BBBB', notAfter: '2030-07-15T14:59:59.000Z' },
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-journal-'));
  path = join(dir, 'data', 'kiosk.sqlite');
  db = openKioskDatabase(path);
  clock = new Date('2025-06-02T01:00:00.000Z');
  openJournal();
});

/** The journal and the audit chain on `db`, as the terminal's records compose them. */
function openJournal(): void {
  audit = new AuditChain(db, { terminalId: 'lobby-01', now: () => clock });
  journal = new RenewalJournal(db, { audit, now: () => clock });
}

/** The audit chain's renewal rows, as `renewal-step <step> <state>` or `renewal-abandoned <reason> [<last step>]`. */
function renewalRows(): string[] {
  const words = ({ event, detail }: AuditRow) =>
    event === 'renewal-step' ? [event, detail.step, detail.state] : [event, detail.reason, ...(detail.lastStep ? [detail.lastStep] : [])];
  return audit
    .rowsAfter(0, 1000)
    .filter((row) => row.event === 'renewal-step' || row.event === 'renewal-abandoned')
    .map((row) => words(row).join(' '));
}

afterEach(() => {
  vi.restoreAllMocks();
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function reopen(): void {
  db.close();
  db = openKioskDatabase(path);
  openJournal();
}

/** Runs a renewal up to and including `until` finished. */
function runUntil(renewalId: string, until: (typeof RENEWAL_STEPS)[number]): void {
  for (const step of RENEWAL_STEPS) {
    switch (step) {
      case 'keys-generated':
        journal.stepStarted(renewalId, step);
        journal.stepFinished(renewalId, step, { authentication: FINGERPRINT_A, signature: FINGERPRINT_B });
        break;
      case 'certificates-requested':
        journal.stepStarted(renewalId, step, { renewedOn: '2025-06-02' });
        journal.stepFinished(renewalId, step);
        break;
      case 'certificates-issued':
        journal.stepStarted(renewalId, step);
        journal.stepFinished(renewalId, step, ISSUED);
        break;
      default:
        journal.stepStarted(renewalId, step);
        journal.stepFinished(renewalId, step);
    }
    if (step === until) return;
  }
}

describe('openKioskDatabase', () => {
  it('creates the file owner-only, in WAL mode with synchronous=FULL and foreign keys on', () => {
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('application_id', { simple: true })).toBe(KIOSK_APPLICATION_ID);
    journal.beginRenewal(CARD, 'in-person');
    // SQLite gives the write-ahead log and its index the database file's permissions.
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-shm`).mode & 0o777).toBe(0o600);
  });

  it('tightens an existing file to 0600', () => {
    db.close();
    const loose = join(dir, 'loose.sqlite');
    writeFileSync(loose, '', { mode: 0o644 });
    db = openKioskDatabase(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o600);
  });

  it('records the schema version and opens again without migrating twice', () => {
    expect(db.prepare('SELECT version FROM kiosk_schema').pluck().get()).toBe(SCHEMA_VERSION);
    const id = journal.beginRenewal(CARD, 'in-person');
    reopen();
    expect(journal.get(id)?.state).toBe('open');
    expect(db.prepare('SELECT version FROM kiosk_schema').pluck().get()).toBe(SCHEMA_VERSION);
  });

  it('refuses a database written by a newer kiosk', () => {
    db.close();
    const raw = new Database(path);
    raw.prepare('UPDATE kiosk_schema SET version = ?').run(SCHEMA_VERSION + 1);
    raw.close();
    expect(() => openKioskDatabase(path)).toThrow(KioskDatabaseError);
    expect(() => openKioskDatabase(path)).toThrow(
      `newer myna-kiosk (schema version ${SCHEMA_VERSION + 1}; this version knows up to ${SCHEMA_VERSION})`,
    );
  });

  it('refuses a file that is not SQLite, and leaves it untouched', () => {
    const junk = join(dir, 'notes.sqlite');
    writeFileSync(junk, 'this is a text file, not a database at all; '.repeat(100));
    expect(() => openKioskDatabase(junk)).toThrow(/is not a kiosk database \(not an SQLite file\)/);
    expect(existsSync(`${junk}-wal`)).toBe(false);
  });

  it("refuses another application's SQLite file before writing anything to it", () => {
    const other = join(dir, 'other.sqlite');
    const raw = new Database(other);
    raw.exec('CREATE TABLE contacts (name TEXT)');
    raw.close();
    expect(() => openKioskDatabase(other)).toThrow(/is not a kiosk database \(it is an SQLite file of another application\)/);
    const again = new Database(other);
    expect(again.pragma('journal_mode', { simple: true })).toBe('delete');
    again.close();
  });

  it('does not create a database when told not to', () => {
    expect(() => openKioskDatabase(join(dir, 'missing.sqlite'), { create: false })).toThrow(/no kiosk database at .*missing\.sqlite/);
    expect(existsSync(join(dir, 'missing.sqlite'))).toBe(false);
  });

  it('resolves the default path from the environment', () => {
    expect(resolveDatabasePath({ MYNA_KIOSK_DB: '/srv/k.sqlite', MYNA_KIOSK_DATA_DIR: '/ignored' }, '/home/k')).toBe('/srv/k.sqlite');
    expect(resolveDatabasePath({ MYNA_KIOSK_DATA_DIR: '/var/lib/myna' }, '/home/k')).toBe('/var/lib/myna/kiosk.sqlite');
    expect(resolveDatabasePath({}, '/home/k')).toBe('/home/k/.local/share/myna-kiosk/kiosk.sqlite');
    expect(resolveDatabasePath({ MYNA_KIOSK_DB: '' }, '/home/k')).toBe('/home/k/.local/share/myna-kiosk/kiosk.sqlite');
    expect(resolveDataDir({}, '/home/k')).toBe('/home/k/.local/share/myna-kiosk');
  });
});

describe('the renewal journal', () => {
  it('records every step started and finished, then closes the renewal at done', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    runUntil(id, 'done');
    const record = journal.get(id);
    expect(record?.state).toBe('done');
    expect(record?.endedAt).toBe(clock.toISOString());
    expect(record?.steps.map((row) => `${row.step}:${row.state}`)).toEqual(
      RENEWAL_STEPS.flatMap((step) => [`${step}:started`, `${step}:finished`]),
    );
    expect(record?.data['keys-generated']?.finished).toEqual({ authentication: FINGERPRINT_A, signature: FINGERPRINT_B });
    expect(record?.data['certificates-requested']?.started).toEqual({ renewedOn: '2025-06-02' });
    expect(journal.unfinished()).toEqual([]);
    expect(journal.unfinishedFor(CARD)).toBeUndefined();
    expect(() => journal.stepStarted(id, 'done')).toThrow(/already done/);
  });

  it('stores the card key (SHA-256 over label and serials) and the serials, nothing else about the card', () => {
    const id = journal.beginRenewal({ ...CARD, authenticationSerial: CARD.authenticationSerial.toLowerCase() }, 'voluntary-proxy');
    const row = db.prepare('SELECT * FROM renewals WHERE renewal_id = ?').get(id) as Record<string, unknown>;
    const expected = createHash('sha256')
      .update(JSON.stringify(['myna-kiosk/card/v1', CARD.tokenLabel, CARD.authenticationSerial, CARD.signatureSerial]))
      .digest('hex');
    expect(row.card_key).toBe(expected);
    expect(cardKey(CARD)).toBe(expected);
    expect(row).toMatchObject({
      token_label: 'JPKIAPICCTOKEN2',
      authentication_serial: CARD.authenticationSerial,
      signature_serial: CARD.signatureSerial,
      route: 'voluntary-proxy',
    });
    expect(Object.keys(row).sort()).toEqual(
      [
        'abandon_reason',
        'authentication_serial',
        'card_key',
        'ended_at',
        'renewal_id',
        'route',
        'signature_serial',
        'started_at',
        'state',
        'token_label',
      ].sort(),
    );
  });

  it('has no way to record a PIN: step data is closed per step', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    // @ts-expect-error -- no step accepts a pin
    expect(() => journal.stepStarted(id, 'issuer-proof', { pin: '1234' })).toThrow(/Unrecognized key: "pin"/);
    journal.stepStarted(id, 'issuer-proof');
    journal.stepFinished(id, 'issuer-proof');
    journal.stepStarted(id, 'keys-generated');
    // @ts-expect-error -- nor next to legitimate data
    expect(() => journal.stepFinished(id, 'keys-generated', { authentication: FINGERPRINT_A, signaturePassword: 'ABC123' })).toThrow(
      JournalError,
    );
    // A fingerprint is a SHA-256, not any string.
    expect(() => journal.stepFinished(id, 'keys-generated', { authentication: '1234' })).toThrow(/64 lower-case hex digits/);
    // The data the step needs cannot be left out.
    expect(() => (journal.stepFinished as (id: string, step: string) => void)(id, 'keys-generated')).toThrow(/authentication/);
    expect(JSON.stringify(db.prepare('SELECT data FROM renewal_steps').pluck().all())).not.toMatch(/1234|ABC123/);
    expect(journal.get(id)?.lastState).toBe('started');
  });

  it('refuses a bad card identity or route', () => {
    expect(() => journal.beginRenewal({ ...CARD, authenticationSerial: 'not hex' }, 'in-person')).toThrow(
      /authenticationSerial: a certificate serial/,
    );
    // @ts-expect-error -- closed set of routes
    expect(() => journal.beginRenewal(CARD, 'by-post')).toThrow(/unknown renewal route/);
    // @ts-expect-error -- closed identity: no extra fields
    expect(() => journal.beginRenewal({ ...CARD, myNumber: '123456789012' }, 'in-person')).toThrow(/Unrecognized key/);
  });

  it('never skips a step, and finishes only the step last started', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    expect(() => journal.stepStarted(id, 'keys-generated')).toThrow(/cannot start "keys-generated" before "issuer-proof" has finished/);
    expect(() => journal.stepFinished(id, 'issuer-proof')).toThrow(/was not the step last started \(last: none\)/);
    journal.stepStarted(id, 'issuer-proof');
    expect(() => journal.stepFinished(id, 'keys-generated', { authentication: FINGERPRINT_A })).toThrow(/last: issuer-proof started/);
    journal.stepFinished(id, 'issuer-proof');
    expect(() => journal.stepFinished(id, 'issuer-proof')).toThrow(/last: issuer-proof finished/);
    expect(() => journal.stepStarted(id, 'certificates-requested', { renewedOn: '2025-06-02' })).toThrow(/before "keys-generated"/);
    // A refused write left nothing behind.
    expect(journal.get(id)?.steps).toHaveLength(2);
  });

  it('lets a step be tried again or gone back to; going back drops what later steps recorded', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    runUntil(id, 'certificates-issued');
    // Keys generated again (the issued set was voided): the earlier certificates no longer count.
    journal.stepStarted(id, 'keys-generated');
    let record = journal.get(id);
    expect(record?.data['certificates-issued']).toBeUndefined();
    expect(record?.data['keys-generated']).toEqual({ state: 'started', started: {} });
    expect(() => journal.stepStarted(id, 'certificates-requested', { renewedOn: '2025-06-02' })).toThrow(
      /before "keys-generated" has finished/,
    );
    journal.stepFinished(id, 'keys-generated', { authentication: FINGERPRINT_B });
    journal.stepStarted(id, 'certificates-requested', { renewedOn: '2025-06-03' });
    journal.stepStarted(id, 'certificates-requested', { renewedOn: '2025-06-03' }); // retried after a time-out
    record = journal.get(id);
    expect(record?.data['keys-generated']?.finished).toEqual({ authentication: FINGERPRINT_B });
    expect(record?.data['certificates-requested']).toEqual({ state: 'started', started: { renewedOn: '2025-06-03' } });
    expect(record?.lastStep).toBe('certificates-requested');
    expect(record?.lastState).toBe('started');
  });

  it('finds the unfinished renewal of the same card only', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    runUntil(id, 'keys-generated');
    journal.stepStarted(id, 'certificates-requested', { renewedOn: '2025-06-02' });

    const found = journal.unfinishedFor(CARD);
    expect(found).toMatchObject({ renewalId: id, route: 'in-person', lastStep: 'certificates-requested', lastState: 'started' });
    expect(found?.data['keys-generated']?.finished).toEqual({ authentication: FINGERPRINT_A, signature: FINGERPRINT_B });
    // Serials compare as the card layer normalises them (case, leading zero bytes).
    expect(journal.unfinishedFor({ ...CARD, authenticationSerial: `00${CARD.authenticationSerial.toLowerCase()}` })?.renewalId).toBe(id);

    expect(journal.unfinishedFor(OTHER_CARD)).toBeUndefined();
    expect(journal.unfinishedFor({ ...CARD, signatureSerial: '0F1E2D3C4B5A69788796A5B4C3D2E1F1' })).toBeUndefined();
    expect(journal.unfinishedFor({ tokenLabel: CARD.tokenLabel, authenticationSerial: CARD.authenticationSerial })).toBeUndefined();
    expect(journal.unfinishedFor({ ...CARD, tokenLabel: 'JPKIAPICCTOKEN' })).toBeUndefined();
    expect(
      journal.unfinishedFor({ ...CARD, authenticationSerial: CARD.signatureSerial as string, signatureSerial: CARD.authenticationSerial }),
    ).toBeUndefined();

    // Another card's renewal is its own.
    const other = journal.beginRenewal(OTHER_CARD, 'in-person');
    expect(journal.unfinishedFor(OTHER_CARD)?.renewalId).toBe(other);
    expect(journal.unfinishedFor(CARD)?.renewalId).toBe(id);
  });

  it('still recognises the card once it carries the newly issued certificates', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    const newCard = {
      tokenLabel: CARD.tokenLabel,
      authenticationSerial: ISSUED.authentication.serialNumber,
      signatureSerial: ISSUED.signature.serialNumber,
    };
    runUntil(id, 'certificates-requested');
    expect(journal.unfinishedFor(newCard)).toBeUndefined();
    runUntil(id, 'committed');
    // Pulled after the commit: the card now shows the new serials.
    expect(journal.unfinishedFor(newCard)).toMatchObject({ renewalId: id, lastStep: 'committed', lastState: 'finished' });
    expect(journal.unfinishedFor(newCard)?.data['certificates-issued']?.finished?.authentication.serialNumber).toBe(
      ISSUED.authentication.serialNumber,
    );
    expect(journal.unfinishedFor(CARD)?.renewalId).toBe(id);
    // Half of the new set is not this card.
    expect(journal.unfinishedFor({ ...newCard, signatureSerial: CARD.signatureSerial })).toBeUndefined();
    // Nor may a renewal be begun for it while this one is open.
    expect(() => journal.beginRenewal(newCard, 'in-person')).toThrow(new RegExp(`unfinished renewal \\(${id}\\)`));
  });

  it('allows one unfinished renewal per card; abandon closes it with a reason', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    expect(() => journal.beginRenewal(CARD, 'in-person')).toThrow(/already has an unfinished renewal/);
    journal.stepStarted(id, 'issuer-proof');
    clock = new Date('2025-06-02T01:05:00.000Z');
    journal.abandon(id, 'card-removed');
    expect(journal.get(id)).toMatchObject({
      state: 'abandoned',
      abandonReason: 'card-removed',
      endedAt: '2025-06-02T01:05:00.000Z',
      lastStep: 'issuer-proof',
    });
    expect(journal.unfinishedFor(CARD)).toBeUndefined();
    expect(() => journal.stepFinished(id, 'issuer-proof')).toThrow(/already abandoned/);
    expect(() => journal.abandon(id, 'timed-out')).toThrow(/already abandoned/);
    // @ts-expect-error -- reasons are codes from a closed list
    expect(() => journal.abandon(journal.beginRenewal(CARD, 'in-person'), 'the resident said her PIN is 1234')).toThrow(
      /unknown abandon reason/,
    );
    expect(journal.unfinished()).toHaveLength(1);
    expect(() => journal.stepStarted('00000000-0000-4000-8000-000000000000', 'issuer-proof')).toThrow(/no renewal/);
  });

  it('lists every unfinished renewal at start-up, oldest first, and keeps them across a restart', () => {
    const first = journal.beginRenewal(CARD, 'in-person');
    clock = new Date('2025-06-02T02:00:00.000Z');
    const second = journal.beginRenewal(OTHER_CARD, 'legal-representative');
    runUntil(second, 'issuer-proof');
    const done = journal.beginRenewal({ ...OTHER_CARD, authenticationSerial: 'ABCDEF' }, 'in-person');
    runUntil(done, 'done');
    reopen();
    expect(journal.unfinished().map((renewal) => [renewal.renewalId, renewal.lastStep, renewal.lastState])).toEqual([
      [first, undefined, undefined],
      [second, 'issuer-proof', 'finished'],
    ]);
    expect(journal.unfinished()[1]?.card).toEqual(OTHER_CARD);
    expect(journal.get('nope')).toBeUndefined();
  });

  it('refuses a journal row damaged on disk instead of trusting it', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    journal.stepStarted(id, 'issuer-proof');
    const raw = new Database(path);
    raw.prepare('UPDATE renewal_steps SET data = \'{"pin":"1234"}\'').run();
    raw.close();
    expect(() => journal.get(id)).toThrow(/journal row 1: its data does not match the schema/);
  });
});

describe('each journal write and its audit row, in one transaction', () => {
  const SESSION = '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b';

  it('appends a renewal-step row with every step written, naming the session it was written in', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    journal.stepStarted(id, 'issuer-proof', undefined, { sessionId: SESSION });
    journal.stepFinished(id, 'issuer-proof');
    journal.stepStarted(id, 'keys-generated');
    expect(renewalRows()).toEqual([
      'renewal-step issuer-proof started',
      'renewal-step issuer-proof finished',
      'renewal-step keys-generated started',
    ]);
    const [first, second] = audit.rowsAfter(0, 2);
    expect(first).toMatchObject({ renewalId: id, sessionId: SESSION });
    expect(second).toMatchObject({ renewalId: id });
    expect(second?.sessionId).toBeUndefined();
    expect(audit.verify()).toMatchObject({ ok: true, rows: 3 });
  });

  it('writes neither the step nor its row when the row cannot be appended', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    runUntil(id, 'issuer-proof');
    const append = vi.spyOn(audit, 'append').mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    expect(() => journal.stepStarted(id, 'keys-generated')).toThrow('disk full');
    expect(append).toHaveBeenCalledTimes(1);
    expect(journal.get(id)).toMatchObject({ lastStep: 'issuer-proof', lastState: 'finished' });
    expect(journal.get(id)?.steps).toHaveLength(2);
    expect(renewalRows()).toEqual(['renewal-step issuer-proof started', 'renewal-step issuer-proof finished']);
    // The next try writes both.
    journal.stepStarted(id, 'keys-generated');
    expect(journal.get(id)?.steps).toHaveLength(3);
    expect(renewalRows().at(-1)).toBe('renewal-step keys-generated started');
  });

  it('writes no row for a step it refuses', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    expect(() => journal.stepStarted(id, 'keys-generated')).toThrow(JournalError);
    expect(() => journal.stepFinished(id, 'issuer-proof')).toThrow(JournalError);
    expect(renewalRows()).toEqual([]);
  });

  it('records an abandoned renewal as renewal-abandoned, with the reason and the last step, counted for the day', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    runUntil(id, 'keys-generated');
    journal.abandon(id, 'card-removed', { sessionId: SESSION });
    expect(renewalRows().at(-1)).toBe('renewal-abandoned card-removed keys-generated');
    expect(audit.rowsAfter(0, 1000).at(-1)).toMatchObject({ renewalId: id, sessionId: SESSION });
    // Abandoned before any step: no last step to name.
    journal.abandon(journal.beginRenewal(OTHER_CARD, 'in-person'), 'rolled-back');
    expect(renewalRows().at(-1)).toBe('renewal-abandoned rolled-back');
    expect(dailyCounts(db, '2025-06-02').renewalsAbandoned).toBe(2);
    expect(audit.verify()).toMatchObject({ ok: true });
  });

  it('leaves the renewal open when its renewal-abandoned row cannot be appended', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    vi.spyOn(audit, 'append').mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    expect(() => journal.abandon(id, 'timed-out')).toThrow('disk full');
    expect(journal.get(id)?.state).toBe('open');
    expect(renewalRows()).toEqual([]);
  });

  it('counts the unfinished renewals (for the kiosk-started row)', () => {
    expect(journal.unfinishedCount()).toBe(0);
    const first = journal.beginRenewal(CARD, 'in-person');
    journal.beginRenewal(OTHER_CARD, 'in-person');
    expect(journal.unfinishedCount()).toBe(2);
    journal.abandon(first, 'card-removed');
    expect(journal.unfinishedCount()).toBe(1);
  });

  it('refuses an audit chain kept in another database: the two could not commit together', () => {
    const elsewhere = openKioskDatabase(join(dir, 'elsewhere.sqlite'));
    try {
      expect(() => new RenewalJournal(db, { audit: new AuditChain(elsewhere, { terminalId: 'lobby-01' }) })).toThrow(
        /audit chain.*same database/,
      );
    } finally {
      elsewhere.close();
    }
  });
});

describe('durability', () => {
  it('a step and its audit row are on disk when stepStarted returns, even if the process is killed (SIGKILL) at once', async () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    runUntil(id, 'keys-generated');
    db.close();

    // The real modules, bundled for a plain Node child (bare imports resolve from the repo's node_modules).
    mkdirSync(join(ROOT, 'node_modules', '.cache'), { recursive: true });
    const work = mkdtempSync(join(ROOT, 'node_modules', '.cache', 'myna-kiosk-crash-'));
    try {
      writeFileSync(
        join(work, 'child.ts'),
        `import { openTerminalRecords } from '${ROOT}main/store/terminal-records';
const [path, renewalId] = process.argv.slice(2) as [string, string];
const { journal } = openTerminalRecords({ dbPath: path, terminalId: 'lobby-01' });
journal.stepStarted(renewalId, 'certificates-requested', { renewedOn: '2025-06-02' });
process.kill(process.pid, 'SIGKILL');
`,
      );
      await build({
        configFile: false,
        logLevel: 'silent',
        root: work,
        build: {
          ssr: join(work, 'child.ts'),
          outDir: join(work, 'out'),
          emptyOutDir: true,
          rollupOptions: { output: { format: 'es', entryFileNames: 'child.mjs' } },
        },
      });
      const child = spawnSync(process.execPath, [join(work, 'out', 'child.mjs'), path, id], { encoding: 'utf8', timeout: 20_000 });
      expect(child.stderr).toBe('');
      expect(child.signal).toBe('SIGKILL');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }

    // The killed process never checkpointed or closed: the row is in the write-ahead log.
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    db = openKioskDatabase(path);
    openJournal();
    expect(journal.unfinishedFor(CARD)).toMatchObject({ renewalId: id, lastStep: 'certificates-requested', lastState: 'started' });
    // Its audit row went to disk with it.
    expect(renewalRows().at(-1)).toBe('renewal-step certificates-requested started');
    expect(audit.verify()).toMatchObject({ ok: true });
    expect(journal.unfinishedFor(CARD)?.data['certificates-requested']?.started).toEqual({ renewedOn: '2025-06-02' });
  }, 30_000);
});
