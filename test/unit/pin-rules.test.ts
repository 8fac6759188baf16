import { describe, expect, it } from 'vitest';
import { PIN_RULES, pinFormatProblem } from '../../preload/vocabulary';
import { normalisePin, PinFormatError } from '../../main/domain/pin-rules';

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
  });

  it('gives every PIN a rule whose shortest value fits its longest', () => {
    for (const rule of Object.values(PIN_RULES)) expect(rule.minLength).toBeLessThanOrEqual(rule.maxLength);
  });

  it('upper-cases only the signature password typed on a keyboard', () => {
    expect(normalisePin('signature', 'abc123')).toBe('ABC123');
    expect(pinFormatProblem('signature', normalisePin('signature', 'abc123'))).toBeUndefined();
    expect(normalisePin('authentication', '12a4')).toBe('12a4');
  });

  it('names the PIN and the problem when it refuses one (it is never given the value)', () => {
    const error = new PinFormatError('registry', 'bad-characters');
    expect(error.message).toContain('registry');
    expect(error.message).toContain('bad-characters');
  });
});
