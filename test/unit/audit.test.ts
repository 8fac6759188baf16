import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUDIT_EVENTS,
  AuditChain,
  AuditError,
  GENESIS_HASH,
  canonicalJson,
  csvField,
  japanDayRange,
  rowHash,
  type AuditEventInput,
  type AuditRow,
} from '../../main/store/audit';
import { dailyCounts, dailyCountsBetween } from '../../main/store/daily-counters';
import { openKioskDatabase, type KioskDatabase } from '../../main/store/database';

let dir: string;
let path: string;
let db: KioskDatabase;
let clock: Date;
let chain: AuditChain;

const SESSION = '3f0c2a9e-8d1b-4c5e-9a7f-1b2c3d4e5f60';
const RENEWAL = '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const CARD = { authenticationSerial: '1A2B3C4D5E6F708192A3B4C5D6E7F801', signatureSerial: '0F1E2D3C4B5A69788796A5B4C3D2E1F0' };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-audit-'));
  path = join(dir, 'kiosk.sqlite');
  db = openKioskDatabase(path);
  clock = new Date('2025-06-02T01:00:00.000Z');
  chain = new AuditChain(db, { terminalId: 'lobby-01', now: () => clock });
});

afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A small, realistic session: ten rows. */
function session(): AuditRow[] {
  const events: AuditEventInput[] = [
    { event: 'session-started', sessionId: SESSION, detail: { profile: 'lobby' } },
    { event: 'card-read', sessionId: SESSION, card: CARD, detail: { kind: 'my-number', signatureCertificate: true } },
    {
      event: 'eligibility-decided',
      sessionId: SESSION,
      card: CARD,
      detail: { decision: 'renewable', certificates: 'both', expired: false },
    },
    { event: 'pin-wrong', sessionId: SESSION, card: CARD, detail: { credential: 'registry-pin', triesLeft: 2 } },
    { event: 'pin-verified', sessionId: SESSION, card: CARD, detail: { credential: 'registry-pin' } },
    { event: 'renewal-started', sessionId: SESSION, renewalId: RENEWAL, card: CARD, detail: { route: 'in-person' } },
    { event: 'renewal-step', sessionId: SESSION, renewalId: RENEWAL, card: CARD, detail: { step: 'issuer-proof', state: 'started' } },
    { event: 'renewal-step', sessionId: SESSION, renewalId: RENEWAL, card: CARD, detail: { step: 'issuer-proof', state: 'finished' } },
    {
      event: 'renewal-done',
      sessionId: SESSION,
      renewalId: RENEWAL,
      card: CARD,
      detail: { certificates: 'both', newAuthenticationSerial: '5555AAAA5555AAAA', newSignatureSerial: '6666BBBB6666BBBB' },
    },
    { event: 'session-ended', sessionId: SESSION, detail: { outcome: 'renewed' } },
  ];
  return events.map((event) => {
    clock = new Date(clock.getTime() + 1000);
    return chain.append(event);
  });
}

/** Tampers as an attacker would: a second raw connection, triggers dropped first. */
function tamper(...statements: string[]): void {
  const raw = new Database(path);
  raw.exec(
    'DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; ' +
      'DROP TRIGGER IF EXISTS audit_log_append_only_at_head;',
  );
  raw.exec('DROP TRIGGER IF EXISTS audit_head_no_delete; DROP TRIGGER IF EXISTS audit_head_moves_forward;');
  for (const statement of statements) raw.exec(statement);
  raw.close();
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('the chain', () => {
  it('links each row to the one before, from a genesis of 64 zeros, and verifies', () => {
    const rows = session();
    expect(rows[0]?.prevHash).toBe(GENESIS_HASH);
    expect(rows.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prevHash).toBe(rows[i - 1]?.hash);
    expect(chain.verify()).toEqual({ ok: true, rows: 10, headHash: rows[9]?.hash });
    expect(chain.head()).toEqual({ seq: 10, hash: rows[9]?.hash });
  });

  it('an empty log verifies', () => {
    expect(chain.verify()).toEqual({ ok: true, rows: 0, headHash: GENESIS_HASH });
  });

  it('hashes the documented canonical form', () => {
    const row = chain.append({
      event: 'pin-wrong',
      sessionId: SESSION,
      card: { authenticationSerial: 'ab12' },
      detail: { triesLeft: 1, credential: 'authentication-pin' },
    });
    const text =
      '{"at":"2025-06-02T01:00:00.000Z","event":"pin-wrong",' +
      '"fields":{"authenticationSerial":"AB12","detail":{"credential":"authentication-pin","triesLeft":1},' +
      `"sessionId":"${SESSION}","terminalId":"lobby-01"},"prevHash":"${GENESIS_HASH}","seq":1,"v":1}`;
    expect(row.hash).toBe(createHash('sha256').update(text).digest('hex'));
    expect(rowHash(row)).toBe(row.hash);
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x', u: undefined })).toBe('{"a":"x","b":[1,{"c":null,"d":true}]}');
    expect(() => canonicalJson({ a: 1.5 })).toThrow(/integers only/);
  });

  it('every event of the list can be appended', () => {
    expect(AUDIT_EVENTS).toEqual(
      expect.arrayContaining([
        'session-started',
        'card-read',
        'eligibility-decided',
        'pin-verified',
        'pin-wrong',
        'pin-blocked',
        'renewal-step',
        'renewal-done',
        'renewal-abandoned',
        'hand-off',
      ]),
    );
    expect(AUDIT_EVENTS).toEqual(
      expect.arrayContaining(['staff-signed-in', 'staff-signed-out', 'identity-checked', 'pin-reset', 'proxy-checked', 'audit-exported']),
    );
    const examples: AuditEventInput[] = [
      { event: 'kiosk-started', detail: { profile: 'counter', unfinishedRenewals: 1 } },
      { event: 'card-removed', detail: { midRenewal: true } },
      { event: 'pin-blocked', detail: { credential: 'signature-password' } },
      { event: 'renewal-resumed', renewalId: RENEWAL, detail: { step: 'committed', state: 'finished' } },
      { event: 'renewal-abandoned', renewalId: RENEWAL, detail: { reason: 'gateway-unavailable', lastStep: 'certificates-requested' } },
      { event: 'hand-off', detail: { reason: 'pin-forgotten', slip: true } },
      { event: 'staff-signed-in', staff: 'clerk-07', detail: { role: 'clerk' } },
      {
        event: 'identity-checked',
        staff: 'clerk-07',
        detail: {
          subject: 'voluntary-proxy',
          documentsA: 1,
          documentsB: 0,
          cardPresented: false,
          oralQuestioning: false,
          result: 'accepted',
        },
      },
      {
        event: 'proxy-checked',
        staff: 'clerk-07',
        detail: { kind: 'voluntary-proxy', result: 'rejected', rejection: 'envelope-unsealed' },
      },
      { event: 'pin-reset', staff: 'clerk-07', detail: { credential: 'registry-pin', result: 'done' } },
      { event: 'substitute-characters-confirmed', staff: 'clerk-07', detail: { result: 'confirmed' } },
      { event: 'staff-signed-out', staff: 'clerk-07', detail: { cause: 'timed-out' } },
      { event: 'audit-exported', detail: { from: '2025-06-01', to: '2025-06-30', format: 'csv', rows: 3 } },
    ];
    for (const example of examples) chain.append(example);
    expect(chain.verify()).toMatchObject({ ok: true, rows: examples.length });
  });
});

describe('nothing personal can be recorded', () => {
  const refusals: [string, unknown, RegExp][] = [
    [
      'a pin next to the credential',
      { event: 'pin-wrong', detail: { credential: 'authentication-pin', triesLeft: 2, pin: '1234' } },
      /Unrecognized key: "pin"/,
    ],
    ['a pin on the envelope', { event: 'pin-verified', pin: '1234', detail: { credential: 'registry-pin' } }, /Unrecognized key: "pin"/],
    ['a My Number as a count', { event: 'pin-wrong', detail: { credential: 'authentication-pin', triesLeft: 123456789012 } }, /triesLeft/],
    ['a My Number as a code', { event: 'pin-blocked', detail: { credential: '123456789012' } }, /credential/],
    ['a My Number as a staff code', { event: 'staff-signed-in', staff: '123456789012', detail: { role: 'clerk' } }, /12-digit number/],
    [
      'a myNumber field',
      { event: 'card-read', detail: { kind: 'my-number', signatureCertificate: true, myNumber: '123456789012' } },
      /Unrecognized key: "myNumber"/,
    ],
    [
      'a name',
      {
        event: 'identity-checked',
        detail: {
          subject: 'holder',
          documentsA: 1,
          documentsB: 0,
          cardPresented: true,
          oralQuestioning: false,
          result: 'accepted',
          name: '山田太郎',
        },
      },
      /Unrecognized key: "name"/,
    ],
    ['an address as a reason', { event: 'hand-off', detail: { reason: '東京都千代田区1-1', slip: false } }, /reason/],
    ['an unknown event', { event: 'note', detail: {} }, /event/],
    ['a rejection without its reason', { event: 'proxy-checked', detail: { kind: 'voluntary-proxy', result: 'rejected' } }, /rejection/],
  ];

  it.each(refusals)('refuses %s', (_name, input, message) => {
    session();
    const before = chain.head();
    expect(() => chain.append(input as AuditEventInput)).toThrow(AuditError);
    expect(() => chain.append(input as AuditEventInput)).toThrow(message);
    expect(chain.head()).toEqual(before);
  });

  it('refuses it at compile time too', () => {
    // @ts-expect-error -- no detail field for a PIN
    expect(() => chain.append({ event: 'pin-wrong', detail: { credential: 'authentication-pin', triesLeft: 2, pin: '1234' } })).toThrow(
      AuditError,
    );
    // @ts-expect-error -- a credential is a code from a closed list
    expect(() => chain.append({ event: 'pin-blocked', detail: { credential: '1234' } })).toThrow(AuditError);
  });

  it('refuses a bad terminal id', () => {
    expect(() => new AuditChain(db, { terminalId: 'lobby 01; drop table' })).toThrow(/terminal id refused/);
    expect(() => new AuditChain(db, { terminalId: '123456789012' })).toThrow(/12-digit/);
  });
});

describe('the database refuses changes (triggers)', () => {
  it('refuses UPDATE and DELETE on the log, an insert that is not at the head, and a head moved by hand', () => {
    session();
    expect(() => db.prepare("UPDATE audit_log SET event = 'hand-off' WHERE seq = 3").run()).toThrow(/append-only: rows cannot be changed/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 10').run()).toThrow(/append-only: rows cannot be deleted/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    expect(() =>
      db
        .prepare("INSERT INTO audit_log (seq, at, event, terminal_id, detail, prev_hash, hash) VALUES (5, 'x', 'x', 'x', '{}', ?, 'x')")
        .run(GENESIS_HASH),
    ).toThrow(/must follow the head/);
    expect(() => db.prepare('UPDATE audit_head SET seq = 8').run()).toThrow(/only moves to the row just appended/);
    expect(() => db.prepare('DELETE FROM audit_head').run()).toThrow(/cannot be deleted/);
    expect(chain.verify()).toMatchObject({ ok: true, rows: 10 });
  });
});

describe('verify() names the first broken row', () => {
  it('an edited row', () => {
    session();
    tamper(`UPDATE audit_log SET detail = '{"credential":"registry-pin","triesLeft":1}' WHERE seq = 4`);
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 4,
      reason: 'row-edited',
      message: 'row 4 has been edited: its content does not match its hash',
    });
  });

  it('an edited serial column', () => {
    session();
    tamper(`UPDATE audit_log SET authentication_serial = 'DEADBEEF' WHERE seq = 7`);
    expect(chain.verify()).toMatchObject({ ok: false, firstBrokenSeq: 7, reason: 'row-edited' });
  });

  it('a row whose detail is no longer JSON', () => {
    session();
    tamper(`UPDATE audit_log SET detail = '{broken' WHERE seq = 2`);
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 2,
      reason: 'row-edited',
      message: 'row 2 has been edited: its detail is no longer canonical JSON',
    });
  });

  it('an edited row whose own hash was recomputed breaks the link to the next', () => {
    const rows = session();
    const edited = { ...(rows[3] as AuditRow), detail: { credential: 'registry-pin', triesLeft: 1 } };
    tamper(`UPDATE audit_log SET detail = '${canonicalJson(edited.detail)}', hash = '${rowHash(edited)}' WHERE seq = 4`);
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 5,
      reason: 'chain-broken',
      message: "the chain breaks at row 5: it does not link to row 4 (row 4 was rewritten, or row 5's link edited)",
    });
  });

  it('a deleted row', () => {
    session();
    tamper('DELETE FROM audit_log WHERE seq = 6');
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 6,
      reason: 'row-missing',
      message: 'row 6 is missing (the next row stored is 7)',
    });
  });

  it('reordered rows', () => {
    session();
    tamper(
      'UPDATE audit_log SET seq = 1000 WHERE seq = 3',
      'UPDATE audit_log SET seq = 3 WHERE seq = 4',
      'UPDATE audit_log SET seq = 4 WHERE seq = 1000',
    );
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 3,
      reason: 'row-out-of-order',
      message: 'row 3 is out of order: it follows row 4 in the chain, not row 2',
    });
  });

  it('a cut-off tail (the chain alone cannot see it; the head can)', () => {
    session();
    tamper('DELETE FROM audit_log WHERE seq >= 9');
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 9,
      reason: 'rows-truncated',
      message: 'the log ends at row 8 but the head says 10: rows 9–10 were removed',
    });
  });

  it('an emptied log', () => {
    session();
    tamper('DELETE FROM audit_log');
    expect(chain.verify()).toMatchObject({ ok: false, firstBrokenSeq: 1, reason: 'rows-truncated' });
  });

  it('a deleted head', () => {
    session();
    tamper('DELETE FROM audit_head');
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 11,
      reason: 'head-missing',
      message: 'the audit head row is missing, so a cut-off tail cannot be ruled out',
    });
    // The next append says the log was tampered with, not a TypeError; and it appends nothing.
    const tampered = new AuditError('the audit head is missing: the log has been tampered with (run `myna-kiosk audit verify`)');
    expect(() => chain.head()).toThrow(tampered);
    expect(() => chain.append({ event: 'session-started', sessionId: SESSION, detail: { profile: 'lobby' } })).toThrow(tampered);
    expect(() => session()).toThrow(AuditError);
    expect(chain.verify()).toMatchObject({ ok: false, firstBrokenSeq: 11, reason: 'head-missing' });
  });

  it('a head moved by hand', () => {
    session();
    tamper(`UPDATE audit_head SET hash = '${'f'.repeat(64)}'`);
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 10,
      reason: 'head-mismatch',
      message: "the head's hash does not match row 10",
    });
  });

  it('rows added behind the kiosk', () => {
    const rows = session();
    const forged = { ...(rows[9] as AuditRow), seq: 11, prevHash: rows[9]?.hash as string };
    tamper(
      'INSERT INTO audit_log (seq, at, event, terminal_id, session_id, detail, prev_hash, hash) ' +
        `VALUES (11, '${forged.at}', '${forged.event}', 'lobby-01', '${SESSION}', '{"outcome":"renewed"}', ` +
        `'${forged.prevHash}', '${rowHash(forged)}')`,
    );
    expect(chain.verify()).toEqual({
      ok: false,
      firstBrokenSeq: 11,
      reason: 'rows-after-head',
      message: "rows 11–11 were added behind the kiosk's back (the head says 10)",
    });
  });
});

describe('export', () => {
  // Around the Japan date boundaries of June 2025 (JST = UTC+9).
  const times = [
    '2025-05-31T14:59:59.999Z', // 2025-05-31 23:59:59.999 in Japan
    '2025-05-31T15:00:00.000Z', // 2025-06-01 00:00 in Japan
    '2025-06-15T03:00:00.000Z',
    '2025-06-30T14:59:59.999Z', // 2025-06-30 23:59:59.999 in Japan
    '2025-06-30T15:00:00.000Z', // 2025-07-01 00:00 in Japan
  ];
  function appendAt(): AuditRow[] {
    return times.map((time, index) => {
      clock = new Date(time);
      return chain.append(
        index === 2
          ? { event: 'hand-off', sessionId: SESSION, card: CARD, detail: { reason: 'pin-blocked', slip: true } }
          : { event: 'session-started', sessionId: SESSION, detail: { profile: 'lobby' } },
      );
    });
  }

  it('CSV: RFC 4180, Japan dates inclusive, with the hashes', () => {
    const rows = appendAt();
    clock = new Date('2025-07-02T00:00:00.000Z');
    const csv = chain.export({ from: '2025-06-01', to: '2025-06-30', format: 'csv' });
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    const table = parseCsv(csv);
    expect(table[0]).toEqual([
      'seq',
      'at',
      'at_japan',
      'event',
      'terminal_id',
      'session_id',
      'renewal_id',
      'staff',
      'authentication_serial',
      'signature_serial',
      'detail',
      'prev_hash',
      'hash',
    ]);
    expect(table.slice(1).map((row) => row[0])).toEqual(['2', '3', '4']);
    expect(table[1]?.slice(1, 4)).toEqual(['2025-05-31T15:00:00.000Z', '2025-06-01T00:00:00.000+09:00', 'session-started']);
    expect(table[3]?.[2]).toBe('2025-06-30T23:59:59.999+09:00');
    expect(table[2]?.slice(3, 13)).toEqual([
      'hand-off',
      'lobby-01',
      SESSION,
      '',
      '',
      CARD.authenticationSerial,
      CARD.signatureSerial,
      '{"reason":"pin-blocked","slip":true}',
      rows[1]?.hash,
      rows[2]?.hash,
    ]);
    // The detail (commas and quotes) is quoted with doubled quotes.
    expect(csv).toContain('"{""reason"":""pin-blocked"",""slip"":true}"');
  });

  it('JSON Lines: one object a line, the same fields', () => {
    const rows = appendAt();
    const jsonl = chain.export({ from: '2025-06-15', to: '2025-06-15', format: 'jsonl' });
    const lines = jsonl.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(2);
    const record = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(record).toEqual({
      seq: 3,
      at: '2025-06-15T03:00:00.000Z',
      at_japan: '2025-06-15T12:00:00.000+09:00',
      event: 'hand-off',
      terminal_id: 'lobby-01',
      session_id: SESSION,
      renewal_id: null,
      staff: null,
      authentication_serial: CARD.authenticationSerial,
      signature_serial: CARD.signatureSerial,
      detail: { reason: 'pin-blocked', slip: true },
      prev_hash: rows[1]?.hash,
      hash: rows[2]?.hash,
    });
    // An exported row can be checked on its own.
    expect(
      rowHash({
        seq: 3,
        at: record.at as string,
        event: 'hand-off',
        terminalId: 'lobby-01',
        sessionId: SESSION,
        renewalId: undefined,
        staff: undefined,
        authenticationSerial: CARD.authenticationSerial,
        signatureSerial: CARD.signatureSerial,
        detail: record.detail as Record<string, unknown>,
        prevHash: record.prev_hash as string,
      }),
    ).toBe(record.hash);
    expect(chain.export({ from: '2024-01-01', to: '2024-12-31', format: 'jsonl' })).toBe('');
    expect(parseCsv(chain.export({ from: '2024-01-01', to: '2024-12-31', format: 'csv' }))).toHaveLength(1);
  });

  it('is itself recorded in the chain', () => {
    appendAt();
    clock = new Date('2025-07-02T00:00:00.000Z');
    chain.export({ from: '2025-06-01', to: '2025-06-30', format: 'jsonl', staff: 'clerk-07' });
    const last = chain.rows('2025-07-02', '2025-07-02').at(-1);
    expect(last).toMatchObject({
      seq: 6,
      event: 'audit-exported',
      staff: 'clerk-07',
      detail: { from: '2025-06-01', to: '2025-06-30', format: 'jsonl', rows: 3 },
    });
    expect(chain.verify()).toMatchObject({ ok: true, rows: 6 });
  });

  it('refuses bad dates and formats', () => {
    expect(() => chain.export({ from: '2025-02-30', to: '2025-03-01', format: 'csv' })).toThrow(/"from" must be a date as YYYY-MM-DD/);
    expect(() => chain.export({ from: '2025/06/01', to: '2025-06-30', format: 'csv' })).toThrow(AuditError);
    expect(() => chain.export({ from: '2025-07-01', to: '2025-06-30', format: 'csv' })).toThrow(/is after/);
    // Reading a period backwards is refused too, not answered with no rows.
    expect(() => chain.rows('2025-07-01', '2025-06-30')).toThrow(new AuditError('"from" (2025-07-01) is after "to" (2025-06-30)'));
    expect(() => japanDayRange('2025-06-02', '2025-06-01')).toThrow(AuditError);
    expect(japanDayRange('2025-06-01', '2025-06-01')).toEqual({ start: '2025-05-31T15:00:00.000Z', end: '2025-06-01T15:00:00.000Z' });
    // @ts-expect-error -- closed set of formats
    expect(() => chain.export({ from: '2025-06-01', to: '2025-06-30', format: 'xlsx' })).toThrow(/unknown export format/);
    expect(chain.head().seq).toBe(0);
  });

  it('quotes CSV fields per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
  });
});

describe('daily counters, counted from the chain', () => {
  it('counts sessions, renewals and hand-offs by reason per Japan date', () => {
    const at = (time: string, input: AuditEventInput) => {
      clock = new Date(time);
      chain.append(input);
    };
    at('2025-05-31T14:59:59.000Z', { event: 'session-started', detail: { profile: 'lobby' } }); // 05-31 in Japan
    at('2025-05-31T15:00:00.000Z', { event: 'session-started', detail: { profile: 'lobby' } }); // 06-01
    at('2025-05-31T15:10:00.000Z', {
      event: 'renewal-done',
      renewalId: RENEWAL,
      detail: { certificates: 'authentication-only', newAuthenticationSerial: 'ABCD' },
    });
    at('2025-06-01T02:00:00.000Z', { event: 'session-started', detail: { profile: 'lobby' } });
    at('2025-06-01T02:01:00.000Z', { event: 'hand-off', detail: { reason: 'pin-blocked', slip: true } });
    at('2025-06-01T05:00:00.000Z', { event: 'session-started', detail: { profile: 'lobby' } });
    at('2025-06-01T05:01:00.000Z', { event: 'hand-off', detail: { reason: 'pin-blocked', slip: false } });
    at('2025-06-01T05:02:00.000Z', { event: 'hand-off', detail: { reason: 'service-closed', slip: false } });
    at('2025-06-01T05:03:00.000Z', { event: 'renewal-abandoned', renewalId: RENEWAL, detail: { reason: 'card-removed' } });
    at('2025-06-02T00:00:00.000Z', { event: 'session-started', detail: { profile: 'lobby' } }); // 06-02

    const june1 = dailyCounts(db, '2025-06-01');
    expect(june1).toMatchObject({ date: '2025-06-01', sessions: 3, renewalsDone: 1, renewalsAbandoned: 1, handOffsTotal: 3 });
    expect(june1.handOffs['pin-blocked']).toBe(2);
    expect(june1.handOffs['service-closed']).toBe(1);
    expect(june1.handOffs['pin-forgotten']).toBe(0);
    expect(dailyCountsBetween(db, '2025-05-31', '2025-06-03').map((day) => [day.date, day.sessions])).toEqual([
      ['2025-05-31', 1],
      ['2025-06-01', 3],
      ['2025-06-02', 1],
      ['2025-06-03', 0],
    ]);
  });
});
