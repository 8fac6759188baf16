import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { generateKeyPairSync, sign } from 'node:crypto';
import { GatewayError, type IssuedCertificate, type IssuedSet } from '../../issuance/gateway';
import { issuerProofMessage, type IssuerProofBinding } from '../issuer-proof';

/**
 * Faults a trainer or a test injects into the simulated J-LIS. A fault
 * changes only what the caller sees, never the stored state: a call that
 * "times out" or answers garbage may still have been carried out, exactly
 * as over a real network.
 */

export const GATEWAY_OPERATIONS = [
  'lookupResident',
  'issuerProof',
  'possessionChallenge',
  'issue',
  'issuedFor',
  'voidUnconfirmed',
  'confirmWritten',
  'certificateStatus',
] as const;
export type GatewayOperation = (typeof GATEWAY_OPERATIONS)[number];

/**
 * What an injected fault does to the next calls of an operation (`times`
 * calls, or every call until cleared when absent):
 *
 * - `latency`: answers correctly after `ms`.
 * - `timeout`: the call is carried out but never answers; after `ms` it
 *   fails with GatewayError 'timeout'. (An `issue` that timed out has issued.)
 * - `server-error`, `unavailable`: fails at once with that GatewayError; the
 *   call was not carried out.
 * - `garbled-answer`: the call is carried out, but the answer is damaged.
 *   Where the answer is bytes the caller must check (the certificates of
 *   `issue`, the proof of `issuerProof`), it gets the damaged bytes:
 *   `garble: 'unparseable'` (the default) cuts them short so they do not
 *   parse; `garble: 'wrong-key'` keeps them well-formed but for the wrong
 *   key (a certificate whose public key is not the card's and whose CA
 *   signature no longer verifies; a proof signed by a key that is not the
 *   issuer's). Other operations answer structured data that a client would
 *   fail to parse: they fail with GatewayError 'garbled-answer'.
 */
export type GatewayFault =
  | { kind: 'latency'; ms: number; times?: number }
  | { kind: 'timeout'; ms: number; times?: number }
  | { kind: 'server-error'; times?: number }
  | { kind: 'unavailable'; times?: number }
  | { kind: 'garbled-answer'; garble?: 'unparseable' | 'wrong-key'; times?: number };

export type Garbling = 'unparseable' | 'wrong-key';

/** How an operation's answer is damaged by a `garbled-answer` fault, where it has bytes to damage. */
export type Garble<T> = (answer: T, how: Garbling) => T;

type FaultEntry = { fault: GatewayFault; left: number | undefined };

/** The faults in force, per operation or for every operation ('*'); an operation's own fault wins over '*'. */
export class FaultInjector {
  readonly #faults = new Map<GatewayOperation | '*', FaultEntry>();

  /** Sets (or, with undefined, clears) the fault of one operation, or of every operation with '*'. */
  set(operation: GatewayOperation | '*', fault: GatewayFault | undefined): void {
    if (operation !== '*' && !(GATEWAY_OPERATIONS as readonly string[]).includes(operation)) {
      throw new RangeError(`setFault: no operation ${String(operation)}`);
    }
    if (!fault) {
      this.#faults.delete(operation);
      return;
    }
    if ((fault.kind === 'latency' || fault.kind === 'timeout') && !(Number.isFinite(fault.ms) && fault.ms >= 0)) {
      throw new RangeError(`setFault: ${fault.kind} needs ms ≥ 0`);
    }
    if (fault.times !== undefined && !(Number.isInteger(fault.times) && fault.times > 0))
      throw new RangeError('setFault: times is a whole number ≥ 1');
    this.#faults.set(operation, { fault: { ...fault }, left: fault.times });
  }

  clear(): void {
    this.#faults.clear();
  }

  /** The faults in force, with the calls each has left (for the trainer's panel). */
  list(): { operation: GatewayOperation | '*'; fault: GatewayFault; callsLeft?: number }[] {
    return [...this.#faults].map(([operation, entry]) => ({
      operation,
      fault: { ...entry.fault },
      ...(entry.left === undefined ? {} : { callsLeft: entry.left }),
    }));
  }

  /**
   * Runs one call through the fault in force, if any. `isOpen` is asked
   * again after a delay: a service closed meanwhile answers nothing.
   */
  async call<T>(operation: GatewayOperation, run: () => Promise<T>, garble: Garble<T> | undefined, isOpen: () => void): Promise<T> {
    const fault = this.#take(operation);
    if (!fault) return run();
    switch (fault.kind) {
      case 'latency':
        await sleepAtLeast(fault.ms);
        isOpen();
        return run();
      case 'timeout': {
        const started = performance.now();
        // Carried out all the same: only the answer is lost.
        await run().catch(() => undefined);
        await sleepAtLeast(fault.ms - (performance.now() - started));
        throw new GatewayError('timeout', `simulated J-LIS: ${operation} did not answer within ${fault.ms} ms (injected)`);
      }
      case 'server-error':
        throw new GatewayError('server-error', `simulated J-LIS: ${operation} failed with a server error (injected)`);
      case 'unavailable':
        throw new GatewayError('unavailable', `simulated J-LIS: the service is unavailable (injected, ${operation})`);
      case 'garbled-answer': {
        const answer = await run();
        if (garble) return garble(answer, fault.garble ?? 'unparseable');
        throw new GatewayError('garbled-answer', `simulated J-LIS: the answer to ${operation} does not parse (injected)`);
      }
    }
  }

  #take(operation: GatewayOperation): GatewayFault | undefined {
    const key = this.#faults.has(operation) ? operation : this.#faults.has('*') ? '*' : undefined;
    const entry = key === undefined ? undefined : this.#faults.get(key);
    if (key === undefined || !entry) return undefined;
    if (entry.left !== undefined) {
      entry.left -= 1;
      if (entry.left <= 0) this.#faults.delete(key);
    }
    return entry.fault;
  }
}

/**
 * Waits at least `ms` by the performance clock. A timer can fire a little
 * before its delay by that clock (it rounds to whole milliseconds), and an
 * injected time-out must never answer early.
 */
async function sleepAtLeast(ms: number): Promise<void> {
  const until = performance.now() + Math.max(0, ms);
  while (performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(until - performance.now()))));
  }
}

/** A garbled `issue` answer: the same set, with every certificate damaged the same way. */
export function garbleIssuedSet(set: IssuedSet, how: Garbling): IssuedSet {
  const damage = (certificate: IssuedCertificate): IssuedCertificate => ({
    ...certificate,
    der: how === 'wrong-key' ? withWrongKey(certificate.der) : certificate.der.slice(0, certificate.der.length >> 1),
  });
  return { ...set, authentication: damage(set.authentication), ...(set.signature ? { signature: damage(set.signature) } : {}) };
}

/** A garbled issuer proof: cut short, or well formed over the right message by a P-256 key that is not the issuer's. */
export function garbleIssuerProof(binding: IssuerProofBinding): Garble<Uint8Array> {
  return (proof, how) => {
    if (how === 'unparseable') return proof.slice(0, proof.length >> 1);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new Uint8Array(sign('sha256', issuerProofMessage(binding), { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  };
}

/**
 * The certificate with one byte of its RSA modulus changed: still DER, still
 * the same serial and dates, but the key is not the card's and the CA's
 * signature no longer verifies.
 */
function withWrongKey(der: Uint8Array): Uint8Array {
  const spki = Buffer.from(new X509Certificate(der).publicKey.rawData);
  const bytes = new Uint8Array(der);
  const at = Buffer.from(der).indexOf(spki);
  if (at < 0) return bytes.slice(0, bytes.length >> 1);
  const middle = at + (spki.length >> 1);
  bytes[middle] = (bytes[middle] ?? 0) ^ 0x5a;
  return bytes;
}
