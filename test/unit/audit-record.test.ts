import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditError, GENESIS_HASH, canonicalJson, rowHash, staffSchema } from '../../main/domain/audit-record';

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
