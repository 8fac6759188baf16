import { createPublicKey, verify, type KeyObject, sign } from 'node:crypto';

/**
 * The simulated issuer channel's proof (docs/card-protocol.md, "The
 * simulated issuer channel"): the issuing authority signs the card's
 * challenge, and the virtual card checks the signature against the trust
 * anchor it was made with. One definition for both sides: the simulated CA
 * signs here, the virtual card verifies here.
 *
 * The proof is ECDSA P-256 over SHA-256("JPKI-SIM-ISSUER-V1" ‖ challenge),
 * as raw r‖s (64 bytes).
 */

export const ISSUER_PROOF_CONTEXT = 'JPKI-SIM-ISSUER-V1';
export const ISSUER_CHALLENGE_LENGTH = 16;
const PROOF_LENGTH = 64;

/** The bytes the issuer proof signs: the context ‖ the 16-byte challenge. */
export function issuerProofMessage(challenge: Uint8Array): Buffer {
  if (challenge.length !== ISSUER_CHALLENGE_LENGTH) {
    throw new RangeError(`the issuer challenge is ${ISSUER_CHALLENGE_LENGTH} bytes, not ${challenge.length}`);
  }
  return Buffer.concat([Buffer.from(ISSUER_PROOF_CONTEXT, 'ascii'), challenge]);
}

/** The issuing authority's answer to a challenge, with its P-256 private key. */
export function signIssuerProof(issuerKey: KeyObject, challenge: Uint8Array): Buffer {
  return sign('sha256', issuerProofMessage(challenge), { key: issuerKey, dsaEncoding: 'ieee-p1363' });
}

/** What the card does with an issuer proof: verify raw r‖s against the trust anchor's SPKI (one that does not parse proves nothing). */
export function verifyIssuerProof(trustAnchorDer: Uint8Array, challenge: Uint8Array, proof: Uint8Array): boolean {
  if (challenge.length !== ISSUER_CHALLENGE_LENGTH || proof.length !== PROOF_LENGTH) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(trustAnchorDer), format: 'der', type: 'spki' });
    return verify('sha256', issuerProofMessage(challenge), { key, dsaEncoding: 'ieee-p1363' }, proof);
  } catch {
    return false;
  }
}
