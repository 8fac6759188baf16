import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditChain } from '../../main/store/audit';
import { openKioskDatabase, type KioskDatabase } from '../../main/store/database';
import { cardKey, JournalError, RenewalJournal, type CardIdentity } from '../../main/store/journal';
import { scratchForTest } from '../support/scratch';

// The journal recognises a card that comes back — as it was, or carrying the certificates issued to it — and
// no other; it refuses identities and step data that are not what they claim; and it refuses a row damaged
// on disk instead of reading it.

const CARD = {
  tokenLabel: 'JPKIAPICCTOKEN2',
  authenticationSerial: '1A2B3C4D5E6F708192A3B4C5D6E7F801',
  signatureSerial: '0F1E2D3C4B5A69788796A5B4C3D2E1F0',
};
const FIRST_ISSUE = {
  authentication: { serialNumber: '5555AAAA5555AAAA5555AAAA5555AAAA', notAfter: '2030-07-15T14:59:59.000Z' },
  signature: { serialNumber: '6666BBBB6666BBBB6666BBBB6666BBBB', notAfter: '2030-07-15T14:59:59.000Z' },
};
const SECOND_ISSUE = {
  authentication: { serialNumber: '7777CCCC7777CCCC7777CCCC7777CCCC', notAfter: '2030-07-15T14:59:59.000Z' },
  signature: { serialNumber: '8888DDDD8888DDDD8888DDDD8888DDDD', notAfter: '2030-07-15T14:59:59.000Z' },
};
const FINGERPRINT = 'a'.repeat(64);
const SESSION = '6f1c2d3e-4b5a-4978-8a6b-5c4d3e2f1a0b';

let path: string;
let db: KioskDatabase;
let audit: AuditChain;
let journal: RenewalJournal;

beforeEach(() => {
  path = join(scratchForTest('myna-kiosk-journal-'), 'kiosk.sqlite');
  db = openKioskDatabase(path);
  audit = new AuditChain(db, { terminalId: 'lobby-01', now: () => new Date('2025-06-02T01:00:00.000Z') });
  journal = new RenewalJournal(db, { audit, now: () => new Date('2025-06-02T01:00:00.000Z') });
});

afterEach(() => {
  if (db.open) db.close();
});

/** Runs a renewal through certificates-issued, finished with `issued`. */
function issue(renewalId: string, issued: object): void {
  journal.stepStarted(renewalId, 'issuer-proof');
  journal.stepFinished(renewalId, 'issuer-proof');
  generateKeys(renewalId);
  journal.stepStarted(renewalId, 'certificates-requested', { renewedOn: '2025-06-02' });
  journal.stepFinished(renewalId, 'certificates-requested');
  journal.stepStarted(renewalId, 'certificates-issued');
  journal.stepFinished(renewalId, 'certificates-issued', issued as typeof FIRST_ISSUE);
}

function generateKeys(renewalId: string): void {
  journal.stepStarted(renewalId, 'keys-generated');
  journal.stepFinished(renewalId, 'keys-generated', { authentication: FINGERPRINT });
}

/** Changes the journal's own tables through a raw connection, as damage or another program would. */
function damage(sql: string, ...values: unknown[]): void {
  const raw = new Database(path);
  raw.pragma('ignore_check_constraints = ON');
  raw.prepare(sql).run(...values);
  raw.close();
}

/** The card carrying `issued`: with its new signature serial, another one, or none (null). */
const newCard = (issued: typeof FIRST_ISSUE, signatureSerial: string | null = issued.signature.serialNumber) => ({
  tokenLabel: CARD.tokenLabel,
  authenticationSerial: issued.authentication.serialNumber,
  ...(signatureSerial === null ? {} : { signatureSerial }),
});

describe('the card coming back with new certificates', () => {
  it('issued again after the keys were generated again: only the latest set is this card', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    issue(id, FIRST_ISSUE);
    expect(journal.unfinishedFor(newCard(FIRST_ISSUE))?.renewalId).toBe(id);
    // The issued set voided: the keys are generated again.
    generateKeys(id);
    expect(journal.unfinishedFor(newCard(FIRST_ISSUE))).toBeUndefined();
    expect(journal.unfinishedFor(CARD)?.renewalId).toBe(id);
    journal.stepStarted(id, 'certificates-requested', { renewedOn: '2025-06-02' });
    journal.stepFinished(id, 'certificates-requested');
    journal.stepStarted(id, 'certificates-issued');
    journal.stepFinished(id, 'certificates-issued', SECOND_ISSUE);
    expect(journal.unfinishedFor(newCard(SECOND_ISSUE))?.renewalId).toBe(id);
    expect(journal.unfinishedFor(newCard(FIRST_ISSUE))).toBeUndefined();
  });

  it('a card read without its signature serial is recognised without it afterwards', () => {
    const card = { tokenLabel: CARD.tokenLabel, authenticationSerial: CARD.authenticationSerial };
    const id = journal.beginRenewal(card, 'in-person');
    expect(journal.get(id)?.card).toEqual(card);
    issue(id, FIRST_ISSUE);
    expect(journal.unfinishedFor(newCard(FIRST_ISSUE, null))?.renewalId).toBe(id);
    expect(journal.unfinishedFor(newCard(FIRST_ISSUE))).toBeUndefined();
  });

  it('with a new authentication certificate only, the card keeps its signature serial', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    issue(id, { authentication: FIRST_ISSUE.authentication });
    expect(journal.unfinishedFor(newCard(FIRST_ISSUE, CARD.signatureSerial))?.renewalId).toBe(id);
    expect(journal.unfinishedFor(newCard(FIRST_ISSUE, null))).toBeUndefined();
  });
});

describe('the serials themselves, over the card key', () => {
  // Another card whose key was written against this renewal (damage, or a hash collision) is still not this card.
  const others: Array<[string, CardIdentity]> = [
    ['another token label', { ...CARD, tokenLabel: 'JPKIAPICCTOKEN' }],
    ['another authentication serial', { ...CARD, authenticationSerial: '7777777777777777777777777777777A' }],
    ['another signature serial', { ...CARD, signatureSerial: '0F1E2D3C4B5A69788796A5B4C3D2E1F1' }],
    ['no signature serial', { tokenLabel: CARD.tokenLabel, authenticationSerial: CARD.authenticationSerial }],
  ];
  it.each(others)('%s', (_why, other) => {
    const id = journal.beginRenewal(CARD, 'in-person');
    damage("UPDATE renewal_cards SET card_key = ? WHERE kind = 'old'", cardKey(other));
    expect(journal.unfinishedFor(other)).toBeUndefined();
    damage("UPDATE renewal_cards SET card_key = ? WHERE kind = 'old'", cardKey(CARD));
    expect(journal.unfinishedFor(CARD)?.renewalId).toBe(id);
  });
});

describe('what the journal refuses', () => {
  it('a token label that is not 1–32 printable ASCII characters, anywhere in it', () => {
    for (const tokenLabel of [' JPKIAPICCTOKEN2', 'JPKIAPICCTOKEN2 ', 'J'.repeat(33), '']) {
      expect(() => journal.beginRenewal({ ...CARD, tokenLabel }, 'in-person')).toThrow(
        /tokenLabel: a token label: 1–32 printable ASCII characters/,
      );
    }
    expect(journal.get(journal.beginRenewal({ ...CARD, tokenLabel: 'J'.repeat(32) }, 'in-person'))?.card.tokenLabel).toBe('J'.repeat(32));
  });

  it('a key fingerprint with anything before or after its 64 hex digits', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    journal.stepStarted(id, 'issuer-proof');
    journal.stepFinished(id, 'issuer-proof');
    journal.stepStarted(id, 'keys-generated');
    for (const authentication of [`x${FINGERPRINT}`, `${FINGERPRINT}x`]) {
      expect(() => journal.stepFinished(id, 'keys-generated', { authentication })).toThrow(/64 lower-case hex digits/);
    }
  });

  it('a step it does not know, as a JournalError', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    const error = (() => {
      try {
        journal.stepStarted(id, 'teleported' as 'issuer-proof');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(JournalError);
    expect(error).toMatchObject({ name: 'JournalError', message: 'unknown renewal step "teleported"' });
  });
});

describe('a journal row damaged on disk', () => {
  const rowError = (why: string) => `journal row 1: ${why} (damaged, or written by another version)`;
  let id: string;
  beforeEach(() => {
    id = journal.beginRenewal(CARD, 'in-person');
    journal.stepStarted(id, 'issuer-proof');
  });

  it('an unknown step', () => {
    damage("UPDATE renewal_steps SET step = 'teleported'");
    expect(() => journal.get(id)).toThrow(new JournalError(`renewal ${id}, ${rowError('unknown step "teleported"')}`));
  });

  it('an unknown state', () => {
    damage("UPDATE renewal_steps SET state = 'paused'");
    expect(() => journal.get(id)).toThrow(new JournalError(`renewal ${id}, ${rowError('unknown state "paused"')}`));
  });

  it('data that is not JSON', () => {
    damage("UPDATE renewal_steps SET data = '{broken'");
    expect(() => journal.get(id)).toThrow(new JournalError(`renewal ${id}, ${rowError('its data is not JSON')}`));
  });

  it('a step finished without its started row is read as finished', () => {
    damage("UPDATE renewal_steps SET state = 'finished'");
    expect(journal.get(id)?.data['issuer-proof']).toEqual({ state: 'finished', started: {}, finished: {} });
  });
});

describe('the audit row of a journal write', () => {
  it('names the staff member running the counter', () => {
    const id = journal.beginRenewal(CARD, 'in-person');
    journal.stepStarted(id, 'issuer-proof', undefined, { sessionId: SESSION, staff: 'clerk-07' });
    expect(audit.rowsAfter(0, 1)[0]).toMatchObject({ event: 'renewal-step', renewalId: id, sessionId: SESSION, staff: 'clerk-07' });
  });

  it('without a clock given, the time is now', () => {
    const own = new RenewalJournal(db, { audit });
    const before = Date.now();
    const id = own.beginRenewal(CARD, 'in-person');
    const startedAt = Date.parse(own.get(id)?.startedAt ?? '');
    expect(startedAt).toBeGreaterThanOrEqual(before);
    expect(startedAt).toBeLessThanOrEqual(Date.now());
  });
});
