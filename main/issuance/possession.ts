import { createHash } from 'node:crypto';
import type { CertificateSlot } from './gateway';

/**
 * The proof of possession (docs/card-protocol.md, "Proof of possession"):
 * before the service issues, the card signs, with the keys of the
 * certificates being replaced, a message binding the service's single-use
 * nonce to the renewal id, the terminal, the slot and the hashes of the new
 * public keys. A proof made for another renewal, another terminal or other
 * new keys does not verify; the nonce is spent by the issue it allows.
 *
 * One definition for both sides: the kiosk builds the message and has the
 * card sign SHA-256 of it (a DigestInfo), the service verifies the RSA
 * PKCS#1 v1.5 signature over the same message with the current certificate.
 */

export const POSSESSION_CONTEXT = 'MYNA-KIOSK-POSSESSION-V1';
export const POSSESSION_NONCE_LENGTH = 32;

export interface PossessionBinding {
  renewalId: string;
  terminalId: string;
  nonce: Uint8Array;
  /** Which key signs: the authentication key, or the signature key. */
  slot: CertificateSlot;
  /** SPKI DER of the new keys; signature absent when no signature certificate is requested. */
  publicKeys: { authentication: Uint8Array; signature?: Uint8Array };
}

/** The bytes the card's key signs (as SHA-256 in a DigestInfo). */
export function possessionMessage(binding: PossessionBinding): Buffer {
  if (binding.nonce.length !== POSSESSION_NONCE_LENGTH) {
    throw new RangeError(`a possession nonce is ${POSSESSION_NONCE_LENGTH} bytes, not ${binding.nonce.length}`);
  }
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();
  const text = (value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([Uint8Array.of(bytes.length >> 8, bytes.length & 0xff), bytes]);
  };
  return Buffer.concat([
    Buffer.from(POSSESSION_CONTEXT, 'ascii'),
    Uint8Array.of(binding.slot === 'authentication' ? 0x01 : 0x02),
    text(binding.renewalId),
    text(binding.terminalId),
    binding.nonce,
    sha256(binding.publicKeys.authentication),
    binding.publicKeys.signature ? sha256(binding.publicKeys.signature) : Buffer.alloc(32),
  ]);
}
