import { randomInt, X509Certificate } from 'node:crypto';
import { Agent, request as httpsRequest } from 'node:https';
import type { z } from 'zod';
import {
  GatewayError,
  type CertificateStatus,
  type GatewayFailure,
  type IssuanceGateway,
  type IssuedSet,
  type IssuerProofRequest,
  type PossessionChallenge,
  type RenewalRequest,
  type ResidentRecord,
} from './gateway';
import {
  API_VERSION,
  errorResponseSchema,
  fromBase64,
  issuedForResponseSchema,
  issuedSetFromWire,
  issuedSetSchema,
  issuerProofResponseSchema,
  lookupResponseSchema,
  possessionChallengeResponseSchema,
  simulationCardResponseSchema,
  statusResponseSchema,
  toBase64,
  emptySchema,
} from './wire';
import {
  auditBatchResponseSchema,
  auditHashesResponseSchema,
  heartbeatResponseSchema,
  type AuditBatchResponse,
  type AuditHashesResponse,
  type Heartbeat,
  type HeartbeatAnswer,
} from './fleet-wire';
import type { AuditRow } from '../domain/audit-record';

/**
 * The kiosk's side of the issuing service (docs/issuing-service.md): the
 * `IssuanceGateway` over HTTPS with the terminal's own client certificate.
 *
 * Each attempt has a time-out. Every operation of the API is idempotent —
 * the renewal id is the idempotency key of those that change something, the
 * others only read — so a failure that may be passing (no connection, a
 * time-out, a 5xx) is tried again, a bounded number of times, after a
 * backoff with full jitter. A refusal (4xx) is never retried. What is left
 * becomes the gateway's `GatewayFailure`, so the session hands off exactly as
 * it does with the simulated service in process.
 */

export interface IssuingServiceClientOptions {
  /** The service's base address, e.g. https://issuing.city.local:8443 */
  url: string;
  /** The terminal's certificate and key, and the terminal CA that the service's certificate must chain to. */
  tls: { certificate: string; key: string; ca: string };
  /** Time-out of one attempt, from the request to the end of the answer, however the bytes trickle in (default 10 s). */
  timeoutMs?: number;
  /** Attempts in all for a call that may be passing (default 3). */
  attempts?: number;
  /** Backoff before attempt n+1: a random wait up to backoffMs × 2ⁿ⁻¹ (default 250 ms). */
  backoffMs?: number;
  /** For tests: how the client waits between attempts. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The highest TLS version offered (default TLS 1.3). The network-fault
   * tests pin TLS 1.2, whose record types show a proxy where the answer
   * begins (test/support/fault-proxy.ts); a terminal never needs it.
   */
  maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/** A failure worth another attempt, and what it is called when none is left. */
class Passing extends Error {
  constructor(
    readonly failure: GatewayFailure,
    message: string,
  ) {
    super(message);
  }
}

export class IssuingServiceClient implements IssuanceGateway {
  readonly #base: URL;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: IssuingServiceClientOptions) {
    this.#base = new URL(options.url);
    if (this.#base.protocol !== 'https:') throw new Error(`the issuing service is reached over https only (got ${options.url})`);
    this.#agent = new Agent({
      keepAlive: true,
      cert: options.tls.certificate,
      key: options.tls.key,
      ca: options.tls.ca,
      minVersion: 'TLSv1.2',
      ...(options.maxTlsVersion ? { maxVersion: options.maxTlsVersion } : {}),
    });
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#attempts = Math.max(1, options.attempts ?? 3);
    this.#backoffMs = options.backoffMs ?? 250;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async lookupResident(authenticationSerial: string): Promise<ResidentRecord | undefined> {
    const answer = await this.#call('POST', '/residents/lookup', { authenticationSerial }, lookupResponseSchema);
    return answer.resident ?? undefined;
  }

  async issuerProof(request: IssuerProofRequest): Promise<Uint8Array> {
    const body = {
      purpose: request.purpose,
      chipSerial: request.chipSerial,
      authenticationSerial: request.authenticationSerial,
      challenge: toBase64(request.challenge),
      ...(request.identityCheck ? { identityCheck: request.identityCheck } : {}),
    };
    const answer = await this.#call(
      'POST',
      `/renewals/${encodeURIComponent(request.reference)}/issuer-proof`,
      body,
      issuerProofResponseSchema,
    );
    return fromBase64(answer.proof);
  }

  async possessionChallenge(renewalId: string, authenticationSerial: string): Promise<PossessionChallenge> {
    const answer = await this.#call(
      'POST',
      `/renewals/${encodeURIComponent(renewalId)}/possession-challenge`,
      { authenticationSerial },
      possessionChallengeResponseSchema,
    );
    return {
      renewalId: answer.renewalId,
      terminalId: answer.terminalId,
      nonce: fromBase64(answer.nonce),
      expiresAt: new Date(answer.expiresAt),
    };
  }

  async issue(request: RenewalRequest): Promise<IssuedSet> {
    const { possession } = request;
    const body = {
      authenticationSerial: request.authenticationSerial,
      publicKeys: {
        authentication: toBase64(request.publicKeys.authentication),
        ...(request.publicKeys.signature ? { signature: toBase64(request.publicKeys.signature) } : {}),
      },
      renewedOn: request.renewedOn,
      route: request.route,
      possession: {
        nonce: toBase64(possession.nonce),
        authentication: toBase64(possession.authentication),
        ...(possession.signature ? { signature: toBase64(possession.signature) } : {}),
      },
    };
    return issuedSetFromWire(await this.#call('POST', `/renewals/${encodeURIComponent(request.renewalId)}/issue`, body, issuedSetSchema));
  }

  async issuedFor(renewalId: string): Promise<IssuedSet | undefined> {
    const answer = await this.#call('GET', `/renewals/${encodeURIComponent(renewalId)}/issued`, undefined, issuedForResponseSchema);
    return answer.issued ? issuedSetFromWire(answer.issued) : undefined;
  }

  async voidUnconfirmed(renewalId: string): Promise<void> {
    await this.#call('POST', `/renewals/${encodeURIComponent(renewalId)}/void`, {}, emptySchema);
  }

  async confirmWritten(renewalId: string): Promise<void> {
    await this.#call('POST', `/renewals/${encodeURIComponent(renewalId)}/confirm`, {}, emptySchema);
  }

  async certificateStatus(der: Uint8Array): Promise<CertificateStatus> {
    return (await this.#call('POST', '/certificates/status', { certificate: toBase64(der) }, statusResponseSchema)).status;
  }

  /**
   * Simulation only: a new card for a persona from a service started with
   * --card-factory (the image is validated by the caller, which knows the
   * card image's schema).
   */
  async simulationCard(personaId: string, on: string): Promise<Record<string, unknown>> {
    return (await this.#call('POST', '/simulation/cards', { personaId, on }, simulationCardResponseSchema)).image;
  }

  // The terminal's reports (main/kiosk/fleet-reporter.ts): one attempt each, since the reporter has its own backoff
  // and a report is never worth holding a resident's session for.

  /** Delivers audit rows (in seq order); the answer says what the service now holds. */
  async shipAudit(chainId: string, rows: readonly AuditRow[]): Promise<AuditBatchResponse> {
    return this.#call('POST', '/fleet/audit', { chainId, rows }, auditBatchResponseSchema, 1);
  }

  /** The hashes the service holds for this terminal's rows after `after`, to find where two copies part. */
  async auditHashes(chainId: string, after: number, limit = 1000): Promise<AuditHashesResponse> {
    const query = new URLSearchParams({ chainId, after: String(after), limit: String(limit) });
    return this.#call('GET', `/fleet/audit/hashes?${query}`, undefined, auditHashesResponseSchema, 1);
  }

  async heartbeat(report: Heartbeat): Promise<HeartbeatAnswer> {
    return this.#call('POST', '/fleet/heartbeat', report, heartbeatResponseSchema, 1);
  }

  /** Closes the kept-alive connections (the kiosk is stopping). */
  close(): void {
    this.#agent.destroy();
  }

  async #call<S extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    schema: S,
    attempts = this.#attempts,
  ): Promise<z.infer<S>> {
    let last: Passing | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await this.#sleep(randomInt(0, this.#backoffMs * 2 ** (attempt - 2) + 1));
      try {
        return await this.#attempt(method, path, body, schema);
      } catch (error) {
        if (!(error instanceof Passing)) throw error;
        last = error;
      }
    }
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    throw new GatewayError(last?.failure ?? 'unavailable', `${last?.message ?? 'no answer'} (after ${tries})`);
  }

  #attempt<S extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    const url = new URL(`${this.#base.pathname.replace(/\/$/, '')}/${API_VERSION}${path}`, this.#base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        outcome();
      };
      const fail = (error: unknown) => settle(() => reject(error));
      const request = httpsRequest(url, {
        method,
        agent: this.#agent,
        headers: {
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      });
      // One deadline for the whole attempt — connection, request and the whole answer — not an idle time-out,
      // which an answer trickling in a few bytes at a time would never reach.
      const deadline = setTimeout(() => {
        fail(new Passing('timeout', `the issuing service did not answer ${method} ${path} within ${this.#timeoutMs} ms`));
        request.destroy();
      }, this.#timeoutMs);
      request.on('error', (error) => fail(new Passing('unavailable', `the issuing service cannot be reached: ${error.message}`)));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => fail(new Passing('unavailable', `the answer to ${method} ${path} broke off: ${error.message}`)));
        // A connection cut in the middle of the answer: whatever the service did, the answer is lost.
        response.on('close', () => {
          if (!response.complete) fail(new Passing('unavailable', `the answer to ${method} ${path} broke off`));
        });
        response.on('end', () => {
          settle(() => {
            try {
              resolve(this.#answer(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), schema, `${method} ${path}`));
            } catch (error) {
              reject(error);
            }
          });
        });
      });
      request.end(payload);
    });
  }

  #answer<S extends z.ZodType>(status: number, text: string, schema: S, what: string): z.infer<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      if (status >= 500) throw new Passing(FAILURE_OF_STATUS[status] ?? 'server-error', `${what}: HTTP ${status}`);
      throw new GatewayError('garbled-answer', `${what}: the answer (HTTP ${status}) is not JSON`);
    }
    if (status === 200) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw new GatewayError('garbled-answer', `${what}: the answer does not follow the API`);
      return parsed.data;
    }
    const error = errorResponseSchema.safeParse(json);
    const reason = error.success ? error.data.reason : `HTTP ${status}`;
    if (status >= 500) throw new Passing(FAILURE_OF_STATUS[status] ?? 'server-error', `${what}: ${reason}`);
    // A refusal: the request was wrong or not allowed for this terminal; asking again changes nothing.
    throw new GatewayError('refused', `${what}: ${reason}`);
  }
}

/** The service's 5xx answers (main/service/issuing-service.ts) as the gateway's failures. */
const FAILURE_OF_STATUS: Partial<Record<number, GatewayFailure>> = {
  500: 'server-error',
  502: 'garbled-answer',
  503: 'unavailable',
  504: 'timeout',
};

/**
 * The terminal's id as its issuing service knows it: the `CN` of the
 * client certificate `service enrol-terminal` wrote. The audit rows carry
 * it, so the fleet's records and the terminal's own agree on the name.
 */
export function terminalIdOfCertificate(certificatePem: string): string {
  let subject: string;
  try {
    subject = new X509Certificate(certificatePem).subject;
  } catch (error) {
    throw new Error(`the terminal certificate cannot be read: ${(error as Error).message}`);
  }
  const id = /^CN=(.+)$/m.exec(subject)?.[1];
  if (!id) throw new Error('the terminal certificate names no terminal (no CN)');
  return id;
}
