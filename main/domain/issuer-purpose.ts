/**
 * What one issuer proof allows on a card (docs/card-protocol.md, "The
 * simulated issuer channel"): a renewal (new keys, staged certificates,
 * commit) or a PIN reset after the counter's identity check. The code is the
 * byte ISSUER AUTHENTICATE carries in P2 and the proof signs; a proof for
 * one purpose allows nothing of the other.
 */
export const ISSUER_PURPOSES = ['renewal', 'pin-reset'] as const;
export type IssuerPurpose = (typeof ISSUER_PURPOSES)[number];

export const ISSUER_PURPOSE_CODES: Readonly<Record<IssuerPurpose, number>> = { renewal: 0x01, 'pin-reset': 0x02 };

export function issuerPurposeOfCode(code: number): IssuerPurpose | undefined {
  return ISSUER_PURPOSES.find((purpose) => ISSUER_PURPOSE_CODES[purpose] === code);
}
