import { createHash, createPublicKey, verify, type KeyObject, sign } from 'node:crypto';
import { ISSUER_PURPOSE_CODES, type IssuerPurpose } from '../domain/issuer-purpose';

/**
 * The simulated issuer channel's proof (docs/card-protocol.md, "The
 * simulated issuer channel"): the issuing authority signs the card's
 * challenge, bound to one card, one purpose and one renewal (or PIN reset),
 * and the virtual card checks the signature against the trust anchor it was
 * made with, over its own chip serial, the purpose it is asked to allow and
 * the reference it is told. One definition for both sides: the simulated CA
 * signs here, the virtual card verifies here.
 *
 * The proof is ECDSA P-256 over SHA-256 of
 * "JPKI-SIM-ISSUER-V2" ‖ challenge (16) ‖ purpose (1) ‖ chip serial (8) ‖ SHA-256(reference) (32),
 * sent as raw r‖s (64 bytes).
 */

export const ISSUER_PROOF_CONTEXT = 'JPKI-SIM-ISSUER-V2';
export const ISSUER_CHALLENGE_LENGTH = 16;
export const CHIP_SERIAL_LENGTH = 8;
export const ISSUER_PROOF_LENGTH = 64;
export const REFERENCE_HASH_LENGTH = 32;

/** What one issuer proof allows, on which card, for which renewal id (or PIN-reset reference). */
export interface IssuerProofBinding {
  challenge: Uint8Array;
  purpose: IssuerPurpose;
  chipSerial: Uint8Array;
  /** SHA-256 of the renewal id or reset reference (the card is told the hash, not the text). */
  referenceHash: Uint8Array;
}

/** SHA-256 of a renewal id or reset reference, as ISSUER AUTHENTICATE carries it. */
export function referenceHash(reference: string): Buffer {
  return createHash('sha256').update(reference, 'utf8').digest();
}

/** The bytes the issuer proof signs. */
export function issuerProofMessage(binding: IssuerProofBinding): Buffer {
  const { challenge, chipSerial } = binding;
  if (challenge.length !== ISSUER_CHALLENGE_LENGTH) {
    throw new RangeError(`the issuer challenge is ${ISSUER_CHALLENGE_LENGTH} bytes, not ${challenge.length}`);
  }
  if (chipSerial.length !== CHIP_SERIAL_LENGTH)
    throw new RangeError(`a chip serial is ${CHIP_SERIAL_LENGTH} bytes, not ${chipSerial.length}`);
  if (binding.referenceHash.length !== REFERENCE_HASH_LENGTH) throw new RangeError('the reference hash is 32 bytes');
  return Buffer.concat([
    Buffer.from(ISSUER_PROOF_CONTEXT, 'ascii'),
    challenge,
    Uint8Array.of(ISSUER_PURPOSE_CODES[binding.purpose]),
    chipSerial,
    binding.referenceHash,
  ]);
}

/** The issuing authority's answer, with its P-256 private key. */
export function signIssuerProof(issuerKey: KeyObject, binding: IssuerProofBinding): Buffer {
  return sign('sha256', issuerProofMessage(binding), { key: issuerKey, dsaEncoding: 'ieee-p1363' });
}

/** What the card does with an issuer proof: verify raw r‖s against the trust anchor's SPKI (one that does not parse proves nothing). */
export function verifyIssuerProof(trustAnchorDer: Uint8Array, binding: IssuerProofBinding, proof: Uint8Array): boolean {
  if (proof.length !== ISSUER_PROOF_LENGTH) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(trustAnchorDer), format: 'der', type: 'spki' });
    return verify('sha256', issuerProofMessage(binding), { key, dsaEncoding: 'ieee-p1363' }, proof);
  } catch {
    return false;
  }
}
