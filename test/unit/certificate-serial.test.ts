import { describe, expect, it } from 'vitest';
import { normaliseSerial } from '../../main/domain/certificate-serial';

describe('certificate serials as the kiosk and the service compare them', () => {
  it('are upper-case hex', () => {
    expect(normaliseSerial('0a1b2c')).toBe('0A1B2C');
    expect(normaliseSerial('DEADBEEF')).toBe('DEADBEEF');
  });

  it("lose DER's leading zero bytes, every one of them, and nothing else", () => {
    // DER puts 00 before a serial whose first bit is set: 00C3 and C3 are the same number.
    expect(normaliseSerial('00c3')).toBe('C3');
    expect(normaliseSerial('0000c3')).toBe('C3');
    // A zero nibble that is not a whole leading byte is part of the number; so are zeros inside or at the end.
    expect(normaliseSerial('0c30')).toBe('0C30');
    expect(normaliseSerial('c300')).toBe('C300');
    expect(normaliseSerial('10000')).toBe('10000');
  });

  it('keep a serial that is zero itself as one zero byte, never empty', () => {
    expect(normaliseSerial('00')).toBe('00');
    expect(normaliseSerial('0000')).toBe('00');
  });
});
