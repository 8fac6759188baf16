import { describe, expect, it } from 'vitest';
import { PIN_RULES, pinFormatProblem } from '../../preload/vocabulary';
import { normalisePin, ownedPinBytes, PinFormatError } from '../../main/domain/pin-rules';

// One rule for the keypad (renderer), main's refusal before a VERIFY, and the
// virtual card's check of new values: these cases hold for all three.
describe('the PIN format rule', () => {
  it.each([
    ['authentication', '1234', undefined],
    ['registry', '0000', undefined],
    ['cardInfo', '9876', undefined],
    ['authentication', '123', 'wrong-length'],
    ['authentication', '12345', 'wrong-length'],
    ['authentication', '', 'wrong-length'],
    ['authentication', '12a4', 'bad-characters'],
    ['registry', '12 4', 'bad-characters'],
    ['signature', 'ABC123', undefined],
    ['signature', 'A1B2C3D4E5F6G7H8', undefined],
    ['signature', 'AB12', 'wrong-length'],
    ['signature', 'A1B2C3D4E5F6G7H8I', 'wrong-length'],
    ['signature', 'ABCDEF', 'needs-letter-and-digit'],
    ['signature', '123456', 'needs-letter-and-digit'],
    ['signature', 'abc123', 'bad-characters'],
    ['signature', 'ÄBC123', 'bad-characters'],
  ] as const)('%s %j → %s', (pin, value, problem) => {
    expect(pinFormatProblem(pin, value)).toBe(problem);
    // Main checks the bytes it will send (UTF-8, as ownedPinBytes makes them): the same answer.
    expect(pinFormatProblem(pin, ownedPinBytes(value))).toBe(problem);
  });

  it('gives every PIN a rule whose shortest value fits its longest', () => {
    for (const rule of Object.values(PIN_RULES)) expect(rule.minLength).toBeLessThanOrEqual(rule.maxLength);
  });

  it('upper-cases only the signature password typed on a keyboard, in the bytes themselves', () => {
    const typed = ownedPinBytes('abc123');
    expect(normalisePin('signature', typed)).toBe(typed);
    expect(Buffer.from(typed).toString('latin1')).toBe('ABC123');
    expect(pinFormatProblem('signature', typed)).toBeUndefined();
    expect(Buffer.from(normalisePin('authentication', ownedPinBytes('12a4'))).toString('latin1')).toBe('12a4');
  });

  it('upper-cases exactly a to z: the letters at both ends, and nothing around them', () => {
    const upper = (typed: string) => Buffer.from(normalisePin('signature', ownedPinBytes(typed))).toString('latin1');
    expect(upper('az')).toBe('AZ');
    // The neighbours of the range ('`' before a, '{' after z), the rest of ASCII above it, and a byte of UTF-8.
    expect(upper('`{|}~\x7f')).toBe('`{|}~\x7f');
    expect([...normalisePin('signature', Uint8Array.of(0x80, 0xc3, 0xa9, 0xff))]).toEqual([0x80, 0xc3, 0xa9, 0xff]);
  });

  it('makes PIN bytes in a buffer of their own, never a slice of a shared one, so wiping them wipes every byte', () => {
    for (const typed of ['1234', Uint8Array.of(0x31, 0x32, 0x33, 0x34)]) {
      const bytes = ownedPinBytes(typed);
      expect(Buffer.from(bytes).toString('latin1')).toBe('1234');
      // Nothing else lives in its memory: the rest of its ArrayBuffer (if any) is zero, and not Node's 8 KB pool.
      expect(bytes.buffer.byteLength).toBeLessThan(Buffer.poolSize);
      expect(typed).not.toBe(bytes);
      bytes.fill(0);
      expect(new Uint8Array(bytes.buffer).every((byte) => byte === 0)).toBe(true);
    }
  });

  it('names the PIN and the problem when it refuses one (it is never given the value)', () => {
    const error = new PinFormatError('registry', 'bad-characters');
    expect(error.message).toContain('registry');
    expect(error.message).toContain('bad-characters');
    // Callers and logs tell it from other errors by its name.
    expect(error.name).toBe('PinFormatError');
    expect(error).toMatchObject({ pin: 'registry', problem: 'bad-characters' });
  });
});
