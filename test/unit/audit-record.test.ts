import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ABANDON_REASONS,
  AUDIT_DETAIL,
  AUDIT_EVENTS,
  AuditError,
  GENESIS_HASH,
  RENEWAL_STEPS,
  STORED_AUDIT_COLUMNS,
  auditRowFromStored,
  auditRowSchema,
  canonicalJson,
  continueChain,
  csvField,
  envelopeSchema,
  formatAuditExport,
  rowHash,
  serialSchema,
  staffSchema,
  storedAuditRow,
  terminalIdSchema,
  type AuditEventName,
  type AuditRow,
} from '../../main/domain/audit-record';

// The audit row's definition (main/domain/audit-record.ts), on its own: the canonical form and the hash that
// the terminal and the issuing service must compute alike for years, and the staff code that is the only
// person-related thing a row may carry.

describe('canonical JSON', () => {
  it('sorts keys by UTF-16 code unit, leaves out undefined, writes no white space', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, B: { z: 0, y: 'é' } })).toBe(
      '{"B":{"y":"é","z":0},"a":[true,null,"x"],"b":1}',
    );
    // Code units, not locale order: "Z" (5A) before "a" (61), "é" (E9) after "z" (7A).
    expect(canonicalJson({ é: 1, a: 2, Z: 3, z: 4 })).toBe('{"Z":3,"a":2,"z":4,"é":1}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
    expect(canonicalJson(-12)).toBe('-12');
  });

  it('refuses what it cannot write the same way everywhere, instead of hashing it as {}', () => {
    for (const [what, value] of [
      ['a Date', new Date(0)],
      ['a Map', new Map([['a', 1]])],
      ['a Set', new Set([1])],
      ['an object without a prototype', Object.create(null) as object],
      ['an instance of a class', new (class Row {})()],
    ] as const) {
      expect(() => canonicalJson({ detail: value }), what).toThrow(new AuditError('canonical JSON cannot hold a object'));
    }
    expect(() => canonicalJson(1.5)).toThrow(new AuditError('canonical JSON holds integers only (got 1.5)'));
    expect(() => canonicalJson(2 ** 53)).toThrow(AuditError);
    expect(() => canonicalJson(Number.NaN)).toThrow(AuditError);
    expect(() => canonicalJson(() => 1)).toThrow(new AuditError('canonical JSON cannot hold a function'));
    expect(() => canonicalJson(10n)).toThrow(new AuditError('canonical JSON cannot hold a bigint'));
    expect(() => canonicalJson(undefined)).toThrow(new AuditError('canonical JSON cannot hold a undefined'));
  });
});

describe('the hash of a row (format 1), a known answer', () => {
  const row = {
    seq: 7,
    at: '2026-12-07T10:15:00.000+09:00',
    event: 'session-ended' as const,
    terminalId: 'lobby-01',
    sessionId: '0b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b',
    renewalId: undefined,
    staff: 'clerk-1',
    authenticationSerial: '0A1B',
    signatureSerial: undefined,
    detail: { end: 'renewed', route: 'in-person' },
    prevHash: GENESIS_HASH,
  };
  // The canonical text written out by hand from the format in the module's header: sorted keys, absent fields left out.
  const text =
    '{"at":"2026-12-07T10:15:00.000+09:00","event":"session-ended",' +
    '"fields":{"authenticationSerial":"0A1B","detail":{"end":"renewed","route":"in-person"},' +
    '"sessionId":"0b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b","staff":"clerk-1","terminalId":"lobby-01"},' +
    `"prevHash":"${'0'.repeat(64)}","seq":7,"v":1}`;

  it('is SHA-256 of the canonical text, in lower-case hex', () => {
    expect(rowHash(row)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    // The same text hashed outside this project (Python's hashlib), 2026-12-07: a row hashed today verifies for years.
    expect(rowHash(row)).toBe('4a17c71aef369558bfce956fd37b53d19142950ffa5e61b58abea15ae55f3071');
  });

  it('changes with every field a row holds', () => {
    const base = rowHash(row);
    for (const change of [
      { seq: 8 },
      { at: '2026-12-07T10:15:01.000+09:00' },
      { event: 'session-started' as const },
      { terminalId: 'lobby-02' },
      { sessionId: undefined },
      { renewalId: '1b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b' },
      { staff: 'clerk-2' },
      { authenticationSerial: '0A1C' },
      { signatureSerial: '0A1B' },
      { detail: { end: 'renewed', route: 'proxy' } },
      { prevHash: 'f'.repeat(64) },
    ]) {
      expect(rowHash({ ...row, ...change }), JSON.stringify(change)).not.toBe(base);
    }
  });
});

describe('a staff code', () => {
  it.each(['clerk-1', 'A', 'a'.repeat(32), 'supervisor-07', '12345678901'])('%s is one', (code) => {
    expect(staffSchema.safeParse(code).success).toBe(true);
  });

  it.each([
    ['a name after a code', 'clerk-1 Taro Yamada'],
    ['a name before one', 'Taro clerk-1'],
    ['a name alone', 'Yamada Taro'],
    ['a line break after a code', 'clerk-1\n'],
    ['a leading dash', '-clerk'],
    ['33 characters', 'a'.repeat(33)],
    ['a My Number', '123456789018'],
    ['empty', ''],
    ['kanji', '山田'],
  ])('%s is refused', (_what, code) => {
    expect(staffSchema.safeParse(code).success).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// The vocabulary a row may carry. The codes below are written out, not read from the module's own lists: a row
// written today is kept by the terminal and by the issuing service for years, so renaming or dropping a code is a
// format change that must show up here (docs/architecture.md, "The audit chain", lists the events, steps and
// abandon reasons).

const detailAccepted = (event: AuditEventName, detail: unknown) => AUDIT_DETAIL[event].safeParse(detail).success;

describe('every event and the detail it may carry', () => {
  it('has exactly the events docs/architecture.md lists', () => {
    expect([...AUDIT_EVENTS].sort()).toEqual(
      [
        ...['kiosk-started', 'session-started', 'session-ended'],
        ...['card-read', 'card-removed', 'eligibility-decided'],
        ...['pin-verified', 'pin-wrong', 'pin-blocked', 'pin-reset'],
        ...['renewal-started', 'renewal-resumed', 'renewal-step', 'renewal-done', 'renewal-abandoned'],
        ...['hand-off', 'identity-checked', 'proxy-checked', 'substitute-characters-confirmed'],
        ...['staff-signed-in', 'staff-unlocked', 'staff-locked', 'staff-signed-out'],
        ...['staff-sign-in-failed', 'staff-sign-in-refused', 'staff-locked-out', 'staff-lockout-cleared'],
        'audit-exported',
      ].sort(),
    );
  });

  const STEPS = [
    'issuer-proof',
    'keys-generated',
    'certificates-requested',
    'certificates-issued',
    'certificates-written',
    'committed',
    'pins-set',
    'verified',
    'old-revoked',
    'done',
  ];
  const ABANDONED = [
    'card-removed',
    'reader-lost',
    'card-error',
    'gateway-unavailable',
    'gateway-refused',
    'timed-out',
    'service-closed',
    'resident-cancelled',
    'staff-cancelled',
    'rolled-back',
    'not-resumable',
  ];

  it('names the renewal steps in their order and the abandon reasons as the docs do', () => {
    expect([...RENEWAL_STEPS]).toEqual(STEPS);
    expect([...ABANDON_REASONS]).toEqual(ABANDONED);
    for (const step of STEPS) {
      for (const state of ['started', 'finished']) {
        expect(detailAccepted('renewal-step', { step, state }), `${step} ${state}`).toBe(true);
        expect(detailAccepted('renewal-resumed', { step, state }), `${step} ${state}`).toBe(true);
      }
      expect(detailAccepted('renewal-abandoned', { reason: 'card-removed', lastStep: step }), step).toBe(true);
    }
    for (const reason of ABANDONED) expect(detailAccepted('renewal-abandoned', { reason }), reason).toBe(true);
    expect(detailAccepted('renewal-step', { step: 'done', state: 'paused' })).toBe(false);
    expect(detailAccepted('renewal-resumed', { step: 'printing', state: 'started' })).toBe(false);
    expect(detailAccepted('renewal-abandoned', { reason: 'power-cut' })).toBe(false);
  });

  it('takes every hand-off reason and proxy rejection code already written in rows', () => {
    for (const reason of [
      'pin-forgotten',
      'pin-blocked',
      'face-authentication-card',
      'period-of-stay',
      'new-card-route',
      'service-closed',
      'gateway-failure',
      'card-error',
      'unfinished-renewal',
      'proxy',
      'legal-representative',
      'substitute-characters',
      'help-requested',
    ]) {
      expect(detailAccepted('hand-off', { reason, slip: true }), reason).toBe(true);
    }
    expect(detailAccepted('hand-off', { reason: 'resident-angry', slip: false })).toBe(false);
    for (const rejection of [
      'envelope-unsealed',
      'form-pin-wrong',
      'form-missing',
      'form-expired',
      'form-not-handed-in-person',
      'proxy-without-identity',
      'card-not-brought',
      'delegation-incomplete',
      'form-unreadable',
      'authority-not-proven',
    ]) {
      expect(detailAccepted('proxy-checked', { kind: 'voluntary-proxy', result: 'rejected', rejection }), rejection).toBe(true);
    }
    expect(detailAccepted('proxy-checked', { kind: 'voluntary-proxy', result: 'rejected', rejection: 'looked-shifty' })).toBe(false);
  });

  it.each<[AuditEventName, Record<string, unknown>]>([
    ['kiosk-started', { profile: 'lobby', unfinishedRenewals: 0 }],
    ['kiosk-started', { profile: 'counter', unfinishedRenewals: 1000 }],
    ['session-started', { profile: 'demo' }],
    ['session-started', { profile: 'counter', reference: 'ABCD-2345' }],
    ['session-ended', { outcome: 'renewed' }],
    ['session-ended', { outcome: 'handed-off' }],
    ['card-read', { kind: 'my-number', signatureCertificate: true }],
    ['card-removed', { midRenewal: false }],
    ['eligibility-decided', { decision: 'renewable', certificates: 'both', expired: false }],
    ['eligibility-decided', { decision: 'renewable', certificates: 'authentication-only', expired: true }],
    ...(['not-yet-in-window', 'new-card-route', 'hand-off', 'not-usable'] as const).map(
      (decision) => ['eligibility-decided', { decision }] as [AuditEventName, Record<string, unknown>],
    ),
    ['pin-verified', { credential: 'authentication-pin' }],
    ['pin-verified', { credential: 'signature-password' }],
    ['pin-verified', { credential: 'registry-pin' }],
    ['pin-wrong', { credential: 'authentication-pin', triesLeft: 0 }],
    ['pin-wrong', { credential: 'signature-password', triesLeft: 5 }],
    ['pin-blocked', { credential: 'registry-pin' }],
    ['pin-reset', { credential: 'authentication-pin', result: 'done' }],
    ['pin-reset', { credential: 'signature-password', result: 'failed' }],
    ['renewal-started', { route: 'in-person' }],
    ['renewal-started', { route: 'voluntary-proxy' }],
    ['renewal-started', { route: 'legal-representative' }],
    ['renewal-done', { certificates: 'both', newAuthenticationSerial: '0A1B', newSignatureSerial: '0A1C' }],
    ['renewal-done', { certificates: 'authentication-only', newAuthenticationSerial: 'f'.repeat(40) }],
    ['staff-signed-in', { role: 'clerk' }],
    ['staff-signed-in', { role: 'supervisor' }],
    ['staff-unlocked', { role: 'supervisor' }],
    ...(['signed-out', 'timed-out', 'shift-ended', 'replaced'] as const).map(
      (cause) => ['staff-signed-out', { cause }] as [AuditEventName, Record<string, unknown>],
    ),
    ['staff-locked', { cause: 'inactivity' }],
    ['staff-sign-in-failed', { account: 'known', failuresInRow: 1, terminalFailuresInRow: 1 }],
    ['staff-sign-in-failed', { account: 'unknown', failuresInRow: 10_000, terminalFailuresInRow: 10_000 }],
    ...(['delayed', 'account-locked', 'terminal-delayed', 'check-in-progress'] as const).map(
      (reason) => ['staff-sign-in-refused', { account: 'known', reason }] as [AuditEventName, Record<string, unknown>],
    ),
    ['staff-sign-in-refused', { account: 'unknown', reason: 'delayed' }],
    ['staff-locked-out', { scope: 'account' }],
    ['staff-locked-out', { scope: 'terminal', seconds: 1 }],
    ['staff-locked-out', { scope: 'account', seconds: 86_400 }],
    ['staff-lockout-cleared', { account: 'clerk-1' }],
    [
      'identity-checked',
      { subject: 'holder', documentsA: 0, documentsB: 3, cardPresented: true, oralQuestioning: false, result: 'accepted' },
    ],
    [
      'identity-checked',
      { subject: 'voluntary-proxy', documentsA: 3, documentsB: 0, cardPresented: false, oralQuestioning: true, result: 'refused' },
    ],
    [
      'identity-checked',
      { subject: 'legal-representative', documentsA: 1, documentsB: 1, cardPresented: true, oralQuestioning: true, result: 'accepted' },
    ],
    ['proxy-checked', { kind: 'voluntary-proxy', result: 'accepted' }],
    ['proxy-checked', { kind: 'legal-representative', result: 'rejected', rejection: 'authority-not-proven' }],
    ['substitute-characters-confirmed', { result: 'confirmed' }],
    ['substitute-characters-confirmed', { result: 'declined' }],
    ['audit-exported', { from: '2026-12-01', to: '2026-12-01', format: 'csv', rows: 0 }],
    ['audit-exported', { from: '2026-11-30', to: '2026-12-01', format: 'jsonl', rows: 12 }],
  ])('%s takes %j', (event, detail) => {
    expect(AUDIT_DETAIL[event].safeParse(detail)).toMatchObject({ success: true });
  });

  it.each<[string, AuditEventName, Record<string, unknown>]>([
    ['an unknown profile', 'kiosk-started', { profile: 'home', unfinishedRenewals: 0 }],
    ['more than 1000 unfinished renewals', 'kiosk-started', { profile: 'lobby', unfinishedRenewals: 1001 }],
    ['a negative count', 'kiosk-started', { profile: 'lobby', unfinishedRenewals: -1 }],
    ['a slip reference with a name after it', 'session-started', { profile: 'lobby', reference: 'ABCD-2345 Yamada' }],
    ['an unknown outcome', 'session-ended', { outcome: 'finished' }],
    ['a My Number beside the card kind', 'card-read', { kind: 'my-number', signatureCertificate: true, myNumber: '123456789018' }],
    ['an unknown card kind', 'card-read', { kind: 'passport', signatureCertificate: false }],
    ['an unknown decision', 'eligibility-decided', { decision: 'maybe' }],
    ['signature-only certificates', 'eligibility-decided', { decision: 'renewable', certificates: 'signature-only' }],
    ['the PIN itself', 'pin-verified', { credential: 'authentication-pin', pin: '1234' }],
    ['an unknown credential', 'pin-blocked', { credential: 'pin' }],
    ['six tries left', 'pin-wrong', { credential: 'authentication-pin', triesLeft: 6 }],
    ['minus one try left', 'pin-wrong', { credential: 'authentication-pin', triesLeft: -1 }],
    ['half a try', 'pin-wrong', { credential: 'authentication-pin', triesLeft: 2.5 }],
    ['an unknown reset result', 'pin-reset', { credential: 'registry-pin', result: 'maybe' }],
    ['an unknown route', 'renewal-started', { route: 'by-post' }],
    ['a serial of 41 hex digits', 'renewal-done', { certificates: 'both', newAuthenticationSerial: 'f'.repeat(41) }],
    ['a serial that is not hex', 'renewal-done', { certificates: 'both', newAuthenticationSerial: '0A1G' }],
    ['an empty serial', 'renewal-done', { certificates: 'both', newAuthenticationSerial: '' }],
    ['a serial with a name after it', 'renewal-done', { certificates: 'both', newAuthenticationSerial: '0A1B Yamada' }],
    ['a serial with text before it', 'renewal-done', { certificates: 'both', newAuthenticationSerial: 'Yamada 0A1B' }],
    ['an unknown role', 'staff-signed-in', { role: 'admin' }],
    ['an unknown sign-out cause', 'staff-signed-out', { cause: 'fired' }],
    ['an unknown lock cause', 'staff-locked', { cause: 'lunch' }],
    ['no failure', 'staff-sign-in-failed', { account: 'known', failuresInRow: 0, terminalFailuresInRow: 1 }],
    ['no terminal failure', 'staff-sign-in-failed', { account: 'known', failuresInRow: 1, terminalFailuresInRow: 0 }],
    ['10 001 failures', 'staff-sign-in-failed', { account: 'known', failuresInRow: 10_001, terminalFailuresInRow: 1 }],
    ['10 001 terminal failures', 'staff-sign-in-failed', { account: 'known', failuresInRow: 1, terminalFailuresInRow: 10_001 }],
    ['the id that was typed', 'staff-sign-in-failed', { account: 'tanaka', failuresInRow: 1, terminalFailuresInRow: 1 }],
    ['an unknown refusal', 'staff-sign-in-refused', { account: 'known', reason: 'bad-day' }],
    ['an unknown scope', 'staff-locked-out', { scope: 'building' }],
    ['a lock of 0 seconds', 'staff-locked-out', { scope: 'terminal', seconds: 0 }],
    ['a lock of more than a day', 'staff-locked-out', { scope: 'terminal', seconds: 86_401 }],
    ['a name for the cleared account', 'staff-lockout-cleared', { account: 'Yamada Taro' }],
    [
      'the in-person route as a subject',
      'identity-checked',
      { subject: 'in-person', documentsA: 1, documentsB: 0, cardPresented: true, oralQuestioning: false, result: 'accepted' },
    ],
    [
      'four A documents',
      'identity-checked',
      { subject: 'holder', documentsA: 4, documentsB: 0, cardPresented: true, oralQuestioning: false, result: 'accepted' },
    ],
    [
      'minus one B document',
      'identity-checked',
      { subject: 'holder', documentsA: 1, documentsB: -1, cardPresented: true, oralQuestioning: false, result: 'accepted' },
    ],
    [
      'four B documents',
      'identity-checked',
      { subject: 'holder', documentsA: 0, documentsB: 4, cardPresented: true, oralQuestioning: false, result: 'accepted' },
    ],
    [
      'minus one A document',
      'identity-checked',
      { subject: 'holder', documentsA: -1, documentsB: 0, cardPresented: true, oralQuestioning: false, result: 'accepted' },
    ],
    [
      'the document number',
      'identity-checked',
      { subject: 'holder', documentsA: 1, documentsB: 0, cardPresented: true, oralQuestioning: false, result: 'accepted', number: 'AB1' },
    ],
    ['the in-person route as a proxy', 'proxy-checked', { kind: 'in-person', result: 'accepted' }],
    ['a rejection without its reason', 'proxy-checked', { kind: 'voluntary-proxy', result: 'rejected' }],
    ['an acceptance with a reason', 'proxy-checked', { kind: 'voluntary-proxy', result: 'accepted', rejection: 'form-missing' }],
    ['an unknown confirmation', 'substitute-characters-confirmed', { result: 'maybe' }],
    ['"from" after "to"', 'audit-exported', { from: '2026-12-02', to: '2026-12-01', format: 'csv', rows: 0 }],
    ['a date that is not one', 'audit-exported', { from: '2026-02-30', to: '2026-12-01', format: 'csv', rows: 0 }],
    ['an unknown format', 'audit-exported', { from: '2026-12-01', to: '2026-12-01', format: 'xlsx', rows: 0 }],
    ['a negative row count', 'audit-exported', { from: '2026-12-01', to: '2026-12-01', format: 'csv', rows: -1 }],
  ])('refuses %s', (_what, event, detail) => {
    expect(AUDIT_DETAIL[event].safeParse(detail).success).toBe(false);
  });

  it('says why a proxy check or an export is refused, on the field at fault', () => {
    const rejection = AUDIT_DETAIL['proxy-checked'].safeParse({ kind: 'voluntary-proxy', result: 'rejected' });
    expect(rejection.error?.issues).toMatchObject([
      { path: ['rejection'], message: 'a rejection, and only a rejection, names its reason' },
    ]);
    const dates = AUDIT_DETAIL['audit-exported'].safeParse({ from: '2026-12-02', to: '2026-12-01', format: 'csv', rows: 0 });
    expect(dates.error?.issues).toMatchObject([{ path: ['to'], message: '"from" is after "to"' }]);
  });

  it('keeps serials in the one form both sides compare: upper case, no leading zero bytes', () => {
    expect(
      AUDIT_DETAIL['renewal-done'].parse({ certificates: 'both', newAuthenticationSerial: '00ab12', newSignatureSerial: '00cd' }),
    ).toEqual({ certificates: 'both', newAuthenticationSerial: 'AB12', newSignatureSerial: 'CD' });
    expect(serialSchema.safeParse('0a1b').error).toBeUndefined();
    expect(serialSchema.safeParse('x').error?.issues[0]?.message).toBe('a certificate serial: 1–40 hex digits');
  });
});

describe('a terminal id', () => {
  it.each(['lobby-01', 'A', 'a'.repeat(64), '12345678901', '1234567890123'])('%s is one', (id) => {
    expect(terminalIdSchema.safeParse(id).success).toBe(true);
  });

  it.each([
    ['a My Number', '123456789018'],
    ['65 characters', 'a'.repeat(65)],
    ['a leading dash', '-lobby'],
    ['a name after an id', 'lobby-01 Yamada'],
    ['a name before one', 'Yamada lobby-01'],
    ['empty', ''],
  ])('%s is refused', (_what, id) => {
    expect(terminalIdSchema.safeParse(id).success).toBe(false);
  });

  it('says what is wrong', () => {
    expect(terminalIdSchema.safeParse('-lobby').error?.issues[0]?.message).toBe('a terminal id: letters, digits and "-", up to 64');
    expect(terminalIdSchema.safeParse('123456789018').error?.issues[0]?.message).toBe('a terminal id may not be a 12-digit number');
    expect(staffSchema.safeParse('-clerk').error?.issues[0]?.message).toBe('a staff code: letters, digits and "-", up to 32');
    expect(staffSchema.safeParse('123456789018').error?.issues[0]?.message).toBe('a staff code may not be a 12-digit number');
  });
});

// ---------------------------------------------------------------------------
// A row as the issuing service receives it, and a chain of them.

const TERMINAL = 'lobby-01';
/** A chain of `count` rows as a terminal writes them: a card taken out, one second apart from 10:00:01 Japan time. */
function chainOf(count: number, prevHash = GENESIS_HASH, firstSeq = 1): AuditRow[] {
  const rows: AuditRow[] = [];
  for (let seq = firstSeq; seq < firstSeq + count; seq++) {
    const row = {
      seq,
      at: new Date(Date.UTC(2026, 11, 7, 1, 0, seq)).toISOString(),
      event: 'card-removed' as const,
      terminalId: TERMINAL,
      detail: { midRenewal: false },
      prevHash: rows.at(-1)?.hash ?? prevHash,
    };
    rows.push({ ...row, hash: rowHash(row) });
  }
  return rows;
}

describe('a row as the issuing service receives it', () => {
  const [row] = chainOf(1) as [AuditRow];

  it('takes a row the terminal wrote, with every optional field', () => {
    expect(auditRowSchema.safeParse(row).success).toBe(true);
    const full = {
      ...row,
      sessionId: '0b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b',
      renewalId: '1b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b',
      staff: 'clerk-1',
      authenticationSerial: '0A1B',
      signatureSerial: 'F'.repeat(40),
      seq: Number.MAX_SAFE_INTEGER,
    };
    expect(auditRowSchema.safeParse(full).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['seq 0', { seq: 0 }],
    ['a seq past the safe integers', { seq: Number.MAX_SAFE_INTEGER + 1 }],
    ['a fractional seq', { seq: 1.5 }],
    ['a time that is not ISO 8601', { at: '7 Dec 2026' }],
    ['an unknown event', { event: 'pin-typed' }],
    ['a session id that is not a UUID', { sessionId: 'session-1' }],
    ['a renewal id that is not a UUID', { renewalId: 'renewal-1' }],
    ['a name for a staff code', { staff: 'Yamada Taro' }],
    ['a lower-case authentication serial', { authenticationSerial: '0a1b' }],
    ['a lower-case signature serial', { signatureSerial: '0a1b' }],
    ['a signature serial of 41 digits', { signatureSerial: 'F'.repeat(41) }],
    ['an authentication serial of 41 digits', { authenticationSerial: 'F'.repeat(41) }],
    ['an authentication serial with a name after it', { authenticationSerial: '0A1B Yamada' }],
    ['a signature serial with a name before it', { signatureSerial: 'Yamada 0A1B' }],
    ['an upper-case hash', { hash: row.hash.toUpperCase() }],
    ['a short previous hash', { prevHash: '0'.repeat(63) }],
    ['a hash with a name after it', { hash: `${row.hash} Yamada` }],
    ['a hash with a name before it', { hash: `Yamada ${row.hash}` }],
    ['an address in the detail', { detail: { midRenewal: false, address: '東京都' } }],
  ])('refuses %s', (_what, change) => {
    expect(auditRowSchema.safeParse({ ...row, ...change }).success).toBe(false);
  });

  it("names the event whose detail is wrong, and the detail's first problem", () => {
    const result = auditRowSchema.safeParse({ ...row, detail: { midRenewal: 'yes' } });
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]).toMatchObject({
      code: 'custom',
      path: ['detail'],
      message: expect.stringMatching(/^not a "card-removed" detail: \S/),
    });
    expect(result.error?.issues[0]?.message).toBe(
      `not a "card-removed" detail: ${AUDIT_DETAIL['card-removed'].safeParse({ midRenewal: 'yes' }).error?.issues[0]?.message}`,
    );
  });

  it('says what a hash and a stored serial are', () => {
    const messageOf = (change: Record<string, unknown>) => auditRowSchema.safeParse({ ...row, ...change }).error?.issues[0]?.message;
    expect(messageOf({ hash: 'F'.repeat(64) })).toBe('a SHA-256 hash: 64 lower-case hex digits');
    expect(messageOf({ authenticationSerial: '0a' })).toBe('a certificate serial: 1–40 upper-case hex digits');
    expect(messageOf({ signatureSerial: '0a' })).toBe('a certificate serial: 1–40 upper-case hex digits');
  });
});

describe('an event as the kiosk appends it', () => {
  it("carries the card's serials in the form both sides compare, and nothing else about the card", () => {
    const event = { event: 'card-read', card: { authenticationSerial: '00ab12', signatureSerial: 'cd' }, detail: {} };
    expect(envelopeSchema.parse(event).card).toEqual({ authenticationSerial: 'AB12', signatureSerial: 'CD' });
    expect(envelopeSchema.safeParse({ ...event, card: { authenticationSerial: '0A', myNumber: '123456789018' } }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...event, name: 'Yamada Taro' }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...event, event: 'pin-typed' }).success).toBe(false);
  });

  it('an AuditError says so by name', () => {
    expect(() => canonicalJson(1.5)).toThrow(expect.objectContaining({ name: 'AuditError' }));
  });
});

describe('continueChain: the first row that does not continue the chain held, and why', () => {
  const rows = chainOf(6);
  const heldHashOf = (seq: number) => rows[seq - 1]?.hash;
  const headAt = (seq: number) => ({ seq, hash: rows[seq - 1]!.hash });

  it('takes the rows after the head and counts the ones held already', () => {
    expect(continueChain(headAt(2), heldHashOf, rows)).toEqual({ repeats: 2, fresh: rows.slice(2) });
    expect(continueChain({ seq: 0, hash: GENESIS_HASH }, () => undefined, [])).toEqual({ repeats: 0, fresh: [] });
  });

  it('a row whose content does not match its hash', () => {
    const edited = { ...rows[2]!, terminalId: 'lobby-02' };
    expect(continueChain(headAt(2), heldHashOf, [rows[2 - 1]!, edited])).toEqual({
      repeats: 1,
      fresh: [],
      broken: { kind: 'row-edited', firstBadSeq: 3, message: "row 3's content does not match its hash" },
    });
  });

  it('a row that differs from the one held under its seq', () => {
    const other = chainOf(2, 'f'.repeat(64));
    expect(continueChain(headAt(3), heldHashOf, [rows[0]!, other[1]!])).toEqual({
      repeats: 1,
      fresh: [],
      broken: {
        kind: 'rewritten',
        firstBadSeq: 2,
        message: "row 2 differs from the row 2 already held: the terminal's chain was rewritten or rolled back",
      },
    });
  });

  it('a gap, named by its first missing row', () => {
    expect(continueChain(headAt(2), heldHashOf, [rows[2]!, rows[5]!])).toEqual({
      repeats: 0,
      fresh: [rows[2]],
      broken: { kind: 'gap', firstBadSeq: 4, message: 'rows 4–5 are missing before row 6' },
    });
  });

  it('a new row that does not link to the last row held', () => {
    const elsewhere = chainOf(1, 'f'.repeat(64), 4);
    expect(continueChain(headAt(3), heldHashOf, elsewhere)).toEqual({
      repeats: 0,
      fresh: [],
      broken: {
        kind: 'unlinked',
        firstBadSeq: 4,
        message: "row 4 does not follow the row 3 held: the terminal's rows up to 3 were rewritten",
      },
    });
  });
});

// ---------------------------------------------------------------------------
// Exports and the stored form (docs/architecture.md, "Exports").

describe('an export of rows', () => {
  const [plain, withIds] = chainOf(2) as [AuditRow, AuditRow];
  const second: AuditRow = (() => {
    const row = { ...withIds, sessionId: '0b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b', staff: 'clerk-1', authenticationSerial: '0A1B' };
    return { ...row, hash: rowHash(row) };
  })();
  const header =
    'seq,at,at_japan,event,terminal_id,session_id,renewal_id,staff,authentication_serial,signature_serial,detail,prev_hash,hash';

  it('as CSV: a header, CRLF after every line, absent ids empty, the detail quoted with its quotes doubled', () => {
    expect(formatAuditExport([plain, second], 'csv')).toBe(
      `${header}\r\n` +
        `1,2026-12-07T01:00:01.000Z,2026-12-07T10:00:01.000+09:00,card-removed,lobby-01,,,,,,` +
        `"{""midRenewal"":false}",${GENESIS_HASH},${plain.hash}\r\n` +
        `2,2026-12-07T01:00:02.000Z,2026-12-07T10:00:02.000+09:00,card-removed,lobby-01,0b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b,,` +
        `clerk-1,0A1B,,"{""midRenewal"":false}",${plain.hash},${second.hash}\r\n`,
    );
    expect(formatAuditExport([], 'csv')).toBe(`${header}\r\n`);
  });

  it('as CSV with leading columns (the service says which terminal it holds each row for)', () => {
    const text = formatAuditExport([{ ...plain, leading: { stored_for: 'lobby-01' } }], 'csv', ['stored_for']);
    expect(text.split('\r\n')[0]).toBe(`stored_for,${header}`);
    expect(text.split('\r\n')[1]).toMatch(/^lobby-01,1,2026-12-07T01:00:01\.000Z,/);
  });

  it('as JSON Lines: one object a line, the detail as an object, absent ids as null', () => {
    const text = formatAuditExport([{ ...plain, leading: { stored_for: 'lobby-01' } }, second], 'jsonl', ['stored_for']);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({
      stored_for: 'lobby-01',
      seq: 1,
      at: '2026-12-07T01:00:01.000Z',
      at_japan: '2026-12-07T10:00:01.000+09:00',
      event: 'card-removed',
      terminal_id: 'lobby-01',
      session_id: null,
      renewal_id: null,
      staff: null,
      authentication_serial: null,
      signature_serial: null,
      detail: { midRenewal: false },
      prev_hash: GENESIS_HASH,
      hash: plain.hash,
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ seq: 2, session_id: '0b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b', staff: 'clerk-1' });
    expect(formatAuditExport([], 'jsonl')).toBe('');
  });

  it('quotes a CSV field only when RFC 4180 needs it', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(12)).toBe('12');
    expect(csvField('plain-text')).toBe('plain-text');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\rb')).toBe('"a\rb"');
    expect(csvField('a\nb')).toBe('"a\nb"');
  });

  it('stores a row a column each, absent ids as NULL, and reads it back as it was', () => {
    expect(storedAuditRow(second)).toEqual({
      seq: 2,
      at: '2026-12-07T01:00:02.000Z',
      event: 'card-removed',
      terminal_id: 'lobby-01',
      session_id: '0b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b',
      renewal_id: null,
      staff: 'clerk-1',
      authentication_serial: '0A1B',
      signature_serial: null,
      detail: '{"midRenewal":false}',
      prev_hash: plain.hash,
      hash: second.hash,
    });
    expect(Object.keys(storedAuditRow(second))).toEqual([...STORED_AUDIT_COLUMNS]);
    const back = auditRowFromStored(storedAuditRow(second));
    expect(back).toEqual(second);
    expect(rowHash(back)).toBe(second.hash);
    const full = { ...second, renewalId: '1b3e8a4c-5d2f-4e61-9a7b-1c2d3e4f5a6b', signatureSerial: '0A1C' };
    expect(auditRowFromStored(storedAuditRow(full))).toEqual(full);
  });
});
