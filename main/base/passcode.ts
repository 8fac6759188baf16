import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/**
 * Passcodes — the counter staff's in the terminal config, the dashboard
 * accounts' in the issuing service's database — are kept only as scrypt
 * hashes: `scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<hash, base64url>`.
 * The IT department makes one with `npx myna-kiosk staff-passcode` (or
 * `service dashboard-account`); nothing ever stores, logs or shows a passcode.
 */

export const PASSCODE_HASH_PATTERN = /^scrypt\$(1[0-9]|20)\$([1-9][0-9]?)\$([1-9])\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;

const DEFAULTS = { log2N: 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

export function hashPasscode(passcode: string, options: { log2N?: number; salt?: Buffer } = {}): string {
  const log2N = options.log2N ?? DEFAULTS.log2N;
  const salt = options.salt ?? randomBytes(16);
  const hash = derive(passcode, salt, log2N, DEFAULTS.r, DEFAULTS.p);
  return ['scrypt', log2N, DEFAULTS.r, DEFAULTS.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Constant-time comparison; a malformed stored hash never matches. */
export function passcodeMatches(passcode: string, stored: string): boolean {
  const match = PASSCODE_HASH_PATTERN.exec(stored);
  if (!match) return false;
  const [, log2N, r, p, salt, hash] = match;
  const expected = Buffer.from(hash!, 'base64url');
  const actual = derive(passcode, Buffer.from(salt!, 'base64url'), Number(log2N), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function derive(passcode: string, salt: Buffer, log2N: number, r: number, p: number): Buffer {
  const N = 2 ** log2N;
  return scryptSync(passcode.normalize('NFKC'), salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
}
