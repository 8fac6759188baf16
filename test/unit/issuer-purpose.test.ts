import { describe, expect, it } from 'vitest';
import { ISSUER_PURPOSES, ISSUER_PURPOSE_CODES, issuerPurposeOfCode } from '../../main/domain/issuer-purpose';

// docs/card-protocol.md, ISSUER AUTHENTICATE: `80 82 00 <purpose 01 or 02> …`; 01 a renewal, 02 a PIN reset.
describe('what an issuer proof is for, and the byte that says it', () => {
  it('names the two purposes by the codes the card protocol gives them', () => {
    expect(ISSUER_PURPOSES).toEqual(['renewal', 'pin-reset']);
    expect(ISSUER_PURPOSE_CODES).toEqual({ renewal: 0x01, 'pin-reset': 0x02 });
  });

  it('reads a code back as its purpose, and no other byte as any', () => {
    expect(issuerPurposeOfCode(0x01)).toBe('renewal');
    expect(issuerPurposeOfCode(0x02)).toBe('pin-reset');
    for (const code of [0x00, 0x03, 0x81, 0xff, -1, 1.5]) expect(issuerPurposeOfCode(code), String(code)).toBeUndefined();
  });
});
