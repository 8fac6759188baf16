/**
 * The RSA work the virtual card does with its keys: generate on the card,
 * expose the modulus, sign a DigestInfo (the card pads, PKCS#1 v1.5 type 1),
 * and check that a certificate carries a key's public half. Keys live in the
 * card image as PKCS#8 PEM; parsed KeyObjects are cached per card.
 */
import {
  constants,
  createPublicKey,
  createPrivateKey,
  generateKeyPairSync,
  privateEncrypt,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';

export const RSA_MODULUS_BYTES = 256;
/** The longest DigestInfo PKCS#1 v1.5 padding fits in a 2048-bit block: 256 − 11. */
export const MAX_DIGEST_INFO_BYTES = RSA_MODULUS_BYTES - 11;

export class KeyStore {
  private readonly cache = new Map<string, KeyObject>();

  /** A fresh RSA-2048 key pair (e = 65537), as PKCS#8 PEM. Slow (~100 ms), like the card. */
  generate(): string {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65_537 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.cache.set(pem, privateKey);
    return pem;
  }

  /** The big-endian modulus, left-padded to 256 bytes. */
  modulus(pem: string): Uint8Array {
    const { n } = createPublicKey(this.key(pem)).export({ format: 'jwk' });
    const raw = Buffer.from(n ?? '', 'base64url');
    const out = new Uint8Array(Math.max(RSA_MODULUS_BYTES, raw.length));
    out.set(raw, out.length - raw.length);
    return out;
  }

  /** RSA with PKCS#1 v1.5 type-1 padding over the DigestInfo as given. */
  sign(pem: string, digestInfo: Uint8Array): Uint8Array {
    return Uint8Array.from(privateEncrypt({ key: this.key(pem), padding: constants.RSA_PKCS1_PADDING }, digestInfo));
  }

  /** True when `certificate` parses as X.509 (sized from its DER header) and carries this key's public half. */
  certificateMatches(certificate: Uint8Array, pem: string): boolean {
    const length = derLength(certificate);
    if (length === undefined || length > certificate.length) return false;
    try {
      const parsed = new X509Certificate(Buffer.from(certificate.subarray(0, length)));
      const theirs = parsed.publicKey.export({ type: 'spki', format: 'der' });
      const ours = createPublicKey(this.key(pem)).export({ type: 'spki', format: 'der' });
      return theirs.equals(ours);
    } catch {
      return false;
    }
  }

  private key(pem: string): KeyObject {
    let key = this.cache.get(pem);
    if (!key) {
      key = createPrivateKey(pem);
      this.cache.set(pem, key);
    }
    return key;
  }
}

/** Total length of a DER SEQUENCE from its header (docs/card-protocol.md), or undefined when it is not one. */
export function derLength(bytes: Uint8Array): number | undefined {
  if (bytes[0] !== 0x30 || bytes.length < 2) return undefined;
  const first = bytes[1]!;
  if (first < 0x80) return first + 2;
  const count = first & 0x7f;
  if (count < 1 || count > 3 || bytes.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = (length << 8) | bytes[2 + i]!;
  return length + 2 + count;
}
