import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';

/**
 * Passcodes — the counter staff's in the terminal config, the dashboard
 * accounts' in the issuing service's folder — are kept only as scrypt
 * hashes: `scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<hash, base64url>`.
 * The IT department makes one with `npx myna-kiosk staff-passcode` (or
 * `service dashboard-account`); nothing ever stores, logs or shows a passcode.
 *
 * The cost is fixed, not chosen by whoever writes the file: N = 2^15, r = 8,
 * p = 1 (OWASP's scrypt minimum is N = 2^17 with r = 8 at p = 1 for a
 * server's many users; a terminal's handful of accounts behind the sign-in
 * limits of kiosk/staff-session.ts takes 2^15, about 32 MB and 50–100 ms here).
 * A hash with any other cost — a weak one that would make a stolen config
 * cheap to crack, or a huge one that would exhaust memory at sign-in — is
 * refused when the config is read.
 */
const COST = { log2N: 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

export const PASSCODE_HASH_PATTERN = new RegExp(
  `^scrypt\\$${COST.log2N}\\$${COST.r}\\$${COST.p}\\$([A-Za-z0-9_-]{22})\\$([A-Za-z0-9_-]{43})$`,
);

const scryptOptions = { N: 2 ** COST.log2N, r: COST.r, p: COST.p, maxmem: 256 * 2 ** COST.log2N * COST.r };

export function hashPasscode(passcode: string, salt: Buffer = randomBytes(SALT_LENGTH)): string {
  const hash = scryptSync(passcode.normalize('NFKC'), salt, KEY_LENGTH, scryptOptions);
  return ['scrypt', COST.log2N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * Constant-time comparison; a malformed stored hash never matches. The key
 * derivation runs on libuv's thread pool, so a sign-in never stalls the
 * process that also drives the card and the screens (scryptSync did, for
 * about 100 ms per attempt).
 */
export async function passcodeMatches(passcode: string, stored: string): Promise<boolean> {
  const match = PASSCODE_HASH_PATTERN.exec(stored);
  if (!match) return false;
  const [, salt, hash] = match;
  const expected = Buffer.from(hash!, 'base64url');
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(passcode.normalize('NFKC'), Buffer.from(salt!, 'base64url'), KEY_LENGTH, scryptOptions, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
  // Both are 32 bytes: the pattern admits only 43 base64url characters for the stored hash.
  return timingSafeEqual(actual, expected);
}

/** What a passcode may be made of: what the sign-in forms can send (printable ASCII, no spaces). */
export const PASSCODE_CHARACTERS = /^[\x21-\x7e]+$/;
export const PASSCODE_MIN_LENGTH = 12;
export const PASSCODE_MAX_LENGTH = 64;
/** zxcvbn's score: 3 is "safely unguessable: moderate protection from offline slow-hash scenario". */
const MIN_STRENGTH = 3;

/**
 * Why a new passcode is refused, or undefined when it is acceptable: long
 * enough (NIST SP 800-63B asks for length, not composition rules), not
 * containing the account's id, and not guessable — not a common password, a
 * keyboard walk, a sequence, a repetition or a date, as zxcvbn (its common
 * dictionaries, no language pack: staff passcodes are ASCII) estimates it.
 */
export function passcodeProblem(passcode: string, account?: string): string | undefined {
  if (passcode.length < PASSCODE_MIN_LENGTH || passcode.length > PASSCODE_MAX_LENGTH)
    return `a passcode is ${PASSCODE_MIN_LENGTH} to ${PASSCODE_MAX_LENGTH} characters`;
  if (!PASSCODE_CHARACTERS.test(passcode)) return 'a passcode is printable ASCII characters, without spaces';
  if (account && passcode.toLowerCase().includes(account.toLowerCase())) return 'a passcode may not contain the account id';
  // Built for each check (about 50 ms): a passcode is chosen once, at the IT department's command line.
  const strength = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  const result = strength.check(passcode, account ? [account] : undefined);
  if (result.score < MIN_STRENGTH)
    return (
      'that passcode is too easy to guess (a common word or password, a sequence, a keyboard pattern or a repetition); ' +
      'choose a longer, less predictable one'
    );
  return undefined;
}
