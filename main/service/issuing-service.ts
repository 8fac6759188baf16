import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { silentLogger, type Logger } from '../base/log';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError, type IssuanceGateway, type IssuingAuthority } from '../issuance/gateway';
import {
  API_VERSION,
  emptySchema,
  errorResponseSchema,
  fromBase64,
  issuedForResponseSchema,
  issuedSetSchema,
  issuedSetToWire,
  issueRequestSchema,
  issuerProofRequestSchema,
  issuerProofResponseSchema,
  lookupRequestSchema,
  lookupResponseSchema,
  possessionChallengeRequestSchema,
  possessionChallengeResponseSchema,
  renewalParamsSchema,
  simulationCardRequestSchema,
  simulationCardResponseSchema,
  statusRequestSchema,
  statusResponseSchema,
  toBase64,
  type ErrorResponse,
} from '../issuance/wire';
import {
  auditBatchRequestSchema,
  auditBatchResponseSchema,
  auditHashesQuerySchema,
  auditHashesResponseSchema,
  heartbeatRequestSchema,
  heartbeatResponseSchema,
} from '../issuance/fleet-wire';
import type { FleetMetrics } from './fleet-metrics';
import type { FleetStore } from './fleet-store';
import { TerminalCa, terminalOf, type KeyPairPem } from './terminal-pki';
import { TerminalRegistry, type TerminalEntry } from './terminal-registry';

/**
 * The municipality's issuing service (docs/issuing-service.md): the
 * `IssuanceGateway` as a versioned JSON API over HTTPS, for terminals only —
 * mutual TLS against the municipality's terminal CA, then the terminal
 * registry, on every request. Each request is attributed to a terminal id
 * in the log. Bodies are bounded and validated strictly (the wire schemas
 * of main/issuance/wire.ts); anything else is a 4xx with a reason and
 * changes nothing.
 */

export interface IssuingServiceOptions {
  /** The service's certificate and key, and the terminal CA that client certificates must chain to. */
  tls: { server: KeyPairPem; caCertificate: string };
  registry: TerminalRegistry;
  /** The issuing side behind the API (the simulated J-LIS until a gateway to the real one exists), answering per terminal. */
  issuer: IssuingAuthority;
  log: Logger;
  /** Largest request body accepted, in bytes (default 64 kB: a renewal's public keys take about 1 kB). */
  bodyLimit?: number;
  /**
   * Simulation only (`service run --card-factory`): makes a persona's card,
   * enrolled at the simulated J-LIS, for a terminal without a J-LIS of its
   * own (a trainer's kiosk or the headless session pointed at this service).
   * Without it the route does not exist. A municipality's service never makes cards.
   */
  cardFactory?: (personaId: string, on: string) => Promise<Record<string, unknown>>;
  /**
   * The fleet's records (docs/fleet.md): with it, terminals deliver their
   * audit rows and heartbeats here, and the metrics count them and time
   * every call. Without it those routes do not exist.
   */
  fleet?: { store: FleetRecords; metrics: Pick<FleetMetrics, 'countRows' | 'observeRequest'> };
}

/** What the terminals' fleet routes need of the fleet's records (FleetStore has it). */
export type FleetRecords = Pick<FleetStore, 'receiveAudit' | 'auditHead' | 'auditHashes' | 'receiveHeartbeat'>;

declare module 'fastify' {
  interface FastifyRequest {
    terminal?: TerminalEntry;
  }
}

const BODY_LIMIT = 64 * 1024;

/** The service's routes, without listening: the OpenAPI document is generated from this very app. */
export async function buildIssuingService(options: IssuingServiceOptions): Promise<FastifyInstance> {
  const app = Fastify({
    https: {
      key: options.tls.server.key,
      cert: options.tls.server.certificate,
      ca: options.tls.caCertificate,
      // A connection without a client certificate from the terminal CA never reaches a route.
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    bodyLimit: options.bodyLimit ?? BODY_LIMIT,
    logger: false,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'myna-kiosk issuing service',
        version: API_VERSION,
        description:
          'What a municipality’s terminals ask of the issuing service. Every request comes over mutual TLS from a terminal ' +
          'enrolled with the municipality’s terminal CA. Bytes are base64, instants ISO 8601. See docs/issuing-service.md.',
      },
    },
    transform: jsonSchemaTransform,
  });

  app.addHook('onRequest', async (request, reply) => {
    const socket = request.raw.socket as TLSSocket;
    const certificate = socket.getPeerCertificate?.();
    if (!socket.authorized || !certificate?.subject)
      return refuse(reply, 401, 'unknown-terminal', 'no terminal certificate from the terminal CA');
    const identity = terminalOf({
      subject: certificate.subject as unknown as Record<string, unknown>,
      serialNumber: certificate.serialNumber,
    });
    const terminal = options.registry.authorise(identity);
    if (typeof terminal === 'string') {
      options.log.warn('terminal-refused', { terminal: identity.id, reason: terminal });
      return refuse(reply, 401, 'unknown-terminal', `this terminal certificate is not in force (${terminal})`);
    }
    request.terminal = terminal;
  });
  app.addHook('onResponse', async (request, reply) => {
    options.fleet?.metrics.observeRequest(request.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    options.log.info('service-request', {
      terminal: request.terminal?.id ?? 'none',
      method: request.method,
      route: request.routeOptions.url ?? 'unknown',
      status: reply.statusCode,
      // To a tenth of a millisecond: most calls take a few (the service benchmark's percentiles come from here).
      ms: Math.round(reply.elapsedTime * 10) / 10,
    });
  });
  app.setErrorHandler((error, _request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validation
        .map((issue) => `${issue.instancePath || error.validationContext || 'body'}: ${issue.message}`)
        .join('; ');
      return refuse(reply, 400, 'invalid-request', `the request does not follow the API: ${where}`.slice(0, 500));
    }
    if (error instanceof GatewayError)
      return refuse(reply, STATUS_OF_FAILURE[error.failure], error.failure === 'refused' ? 'refused' : 'server-error', error.message);
    const status = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500;
    if (status >= 400 && status < 500) return refuse(reply, status, 'invalid-request', (error as Error).message.slice(0, 500));
    options.log.error('service-failed', { error: (error as Error).name });
    return refuse(reply, 500, 'server-error', 'the service failed on this request');
  });
  app.setNotFoundHandler((_request, reply) => refuse(reply, 404, 'not-found', 'no such operation'));

  const routes = app.withTypeProvider<ZodTypeProvider>();
  const errors = {
    400: errorResponseSchema,
    401: errorResponseSchema,
    422: errorResponseSchema,
    500: errorResponseSchema,
    503: errorResponseSchema,
  };
  // Every request's gateway answers as the terminal its certificate names (the onRequest hook set it).
  const gatewayOf = (request: { terminal?: TerminalEntry }): IssuanceGateway => {
    const terminal = terminalOfRequest(request);
    return options.issuer.forTerminal({ id: terminal.id, role: terminal.role });
  };
  const base = `/${API_VERSION}`;

  routes.post(
    `${base}/residents/lookup`,
    {
      schema: {
        summary: 'The resident behind an authentication certificate',
        body: lookupRequestSchema,
        response: { 200: lookupResponseSchema, ...errors },
      },
    },
    async (request) => ({ resident: (await gatewayOf(request).lookupResident(request.body.authenticationSerial)) ?? null }),
  );
  routes.post(
    `${base}/renewals/:renewalId/issuer-proof`,
    {
      schema: {
        summary:
          "The issuing authority's answer to the card's challenge, bound to the card (chip serial), the purpose and this " +
          'renewal id (or PIN-reset reference); a PIN reset only from a counter terminal, with the identity check',
        params: renewalParamsSchema,
        body: issuerProofRequestSchema,
        response: { 200: issuerProofResponseSchema, ...errors },
      },
    },
    async (request) => {
      const { purpose, chipSerial, authenticationSerial, challenge, identityCheck } = request.body;
      const proof = await gatewayOf(request).issuerProof({
        purpose,
        reference: request.params.renewalId,
        chipSerial,
        authenticationSerial,
        challenge: fromBase64(challenge),
        ...(identityCheck ? { identityCheck } : {}),
      });
      return { proof: toBase64(proof) };
    },
  );
  routes.post(
    `${base}/renewals/:renewalId/possession-challenge`,
    {
      schema: {
        summary: 'A single-use nonce for the card to sign with its current keys, bound to this renewal, this terminal and the certificate',
        params: renewalParamsSchema,
        body: possessionChallengeRequestSchema,
        response: { 200: possessionChallengeResponseSchema, ...errors },
      },
    },
    async (request) => {
      const challenge = await gatewayOf(request).possessionChallenge(request.params.renewalId, request.body.authenticationSerial);
      return {
        renewalId: challenge.renewalId,
        terminalId: challenge.terminalId,
        nonce: toBase64(challenge.nonce),
        expiresAt: challenge.expiresAt.toISOString(),
      };
    },
  );
  routes.post(
    `${base}/renewals/:renewalId/issue`,
    {
      schema: {
        summary:
          "New certificates for the card's new public keys, with the card's proof of possession (idempotent by renewal id: " +
          'a repeat for the same keys returns the same certificates)',
        params: renewalParamsSchema,
        body: issueRequestSchema,
        response: { 200: issuedSetSchema, ...errors },
      },
    },
    async (request) => {
      const { authenticationSerial, publicKeys, renewedOn, route, possession } = request.body;
      const set = await gatewayOf(request).issue({
        renewalId: request.params.renewalId,
        authenticationSerial,
        publicKeys: {
          authentication: fromBase64(publicKeys.authentication),
          ...(publicKeys.signature ? { signature: fromBase64(publicKeys.signature) } : {}),
        },
        renewedOn,
        route,
        possession: {
          nonce: fromBase64(possession.nonce),
          authentication: fromBase64(possession.authentication),
          ...(possession.signature ? { signature: fromBase64(possession.signature) } : {}),
        },
      });
      return issuedSetToWire(set);
    },
  );
  routes.get(
    `${base}/renewals/:renewalId/issued`,
    {
      schema: {
        summary: 'What was issued under this renewal id and is neither voided nor replaced',
        params: renewalParamsSchema,
        response: { 200: issuedForResponseSchema, ...errors },
      },
    },
    async (request) => {
      const issued = await gatewayOf(request).issuedFor(request.params.renewalId);
      return { issued: issued ? issuedSetToWire(issued) : null };
    },
  );
  routes.post(
    `${base}/renewals/:renewalId/void`,
    {
      schema: {
        summary: 'Void what was issued under this renewal id and not confirmed (idempotent)',
        params: renewalParamsSchema,
        body: emptySchema,
        response: { 200: emptySchema, ...errors },
      },
    },
    async (request) => {
      await gatewayOf(request).voidUnconfirmed(request.params.renewalId);
      return {};
    },
  );
  routes.post(
    `${base}/renewals/:renewalId/confirm`,
    {
      schema: {
        summary: 'The new set is on the card and verified: revoke the old certificates (idempotent)',
        params: renewalParamsSchema,
        body: emptySchema,
        response: { 200: emptySchema, ...errors },
      },
    },
    async (request) => {
      await gatewayOf(request).confirmWritten(request.params.renewalId);
      return {};
    },
  );
  const cardFactory = options.cardFactory;
  if (cardFactory) {
    routes.post(
      `${base}/simulation/cards`,
      {
        schema: {
          summary: 'Simulation only: a new card for a persona, enrolled at the simulated J-LIS',
          body: simulationCardRequestSchema,
          response: { 200: simulationCardResponseSchema, ...errors },
        },
      },
      async (request) => ({ image: await cardFactory(request.body.personaId, request.body.on) }),
    );
  }
  const fleet = options.fleet;
  if (fleet) {
    routes.post(
      `${base}/fleet/audit`,
      {
        // A batch of rows is larger than a renewal's call (AUDIT_BATCH_MAX rows of about 500 bytes).
        bodyLimit: 256 * 1024,
        schema: {
          summary:
            "The terminal's audit rows, in seq order, at least once: kept once per (terminal, seq), each delivery checked to " +
            'continue the chain held; a row that does not is refused, with an alert',
          body: auditBatchRequestSchema,
          response: { 200: auditBatchResponseSchema, ...errors },
        },
      },
      async (request) => {
        const terminal = terminalOfRequest(request);
        const { fresh, ...answer } = await fleet.store.receiveAudit(terminal.id, request.body.chainId, request.body.rows);
        fleet.metrics.countRows(terminal.id, fresh);
        if (answer.conflict) options.log.warn('audit-chain-conflict', { terminal: terminal.id, ...answer.conflict });
        return answer;
      },
    );
    routes.get(
      `${base}/fleet/audit/hashes`,
      {
        schema: {
          summary: "The hashes the service holds for this terminal's rows after a seq, to find where two copies of the chain part",
          querystring: auditHashesQuerySchema,
          response: { 200: auditHashesResponseSchema, ...errors },
        },
      },
      async (request) => {
        const terminal = terminalOfRequest(request);
        return {
          head: await fleet.store.auditHead(terminal.id, request.query.chainId),
          hashes: await fleet.store.auditHashes(terminal.id, request.query.chainId, request.query.after, request.query.limit),
        };
      },
    );
    routes.post(
      `${base}/fleet/heartbeat`,
      {
        schema: {
          summary: "The terminal's health: reader, printer, session, clock, disk, outbox and the head of its audit chain",
          body: heartbeatRequestSchema,
          response: { 200: heartbeatResponseSchema, ...errors },
        },
      },
      async (request) => {
        await fleet.store.receiveHeartbeat(terminalOfRequest(request).id, request.body);
        return { serviceTime: new Date().toISOString() };
      },
    );
  }
  routes.post(
    `${base}/certificates/status`,
    { schema: { summary: "A certificate's status", body: statusRequestSchema, response: { 200: statusResponseSchema, ...errors } } },
    async (request) => ({ status: await gatewayOf(request).certificateStatus(fromBase64(request.body.certificate)) }),
  );
  return app;
}

export interface RunningIssuingService {
  /** https://host:port */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Builds the service and listens (port 0 picks a free one). */
export async function startIssuingService(
  options: IssuingServiceOptions & { host: string; port?: number },
): Promise<RunningIssuingService> {
  const app = await buildIssuingService(options);
  await app.listen({ host: options.host, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  options.log.info('service-started', { url: `https://${host}:${port}` });
  return { url: `https://${host}:${port}`, port, close: () => app.close() };
}

/**
 * The OpenAPI 3.1 document of the API, generated from the routes' own
 * schemas. It depends on no key and no issuing side: the routes are built
 * with a throwaway CA and a gateway that is never called.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const ca = await TerminalCa.create('OpenAPI');
  const app = await buildIssuingService({
    tls: { server: await ca.issueServer(['localhost']), caCertificate: ca.certificatePem },
    registry: new TerminalRegistry(join(tmpdir(), 'myna-kiosk-openapi-no-terminals.json')),
    issuer: { forTerminal: () => DOCUMENTATION_ONLY },
    log: silentLogger,
    fleet: {
      store: { receiveAudit: notServed, auditHead: notServed, auditHashes: notServed, receiveHeartbeat: notServed },
      metrics: { countRows: () => undefined, observeRequest: () => undefined },
    },
  });
  await app.ready();
  const document = app.swagger();
  await app.close();
  // OpenAPI 3.1's mutualTLS scheme, which @fastify/swagger's (3.0) types do not know: every operation needs a terminal certificate.
  return {
    ...document,
    components: {
      securitySchemes: {
        terminalCertificate: {
          type: 'mutualTLS',
          description: 'A client certificate from the municipality’s terminal CA, of a terminal enrolled and not revoked',
        },
      },
    },
    security: [{ terminalCertificate: [] }],
  };
}

/** The issuing side of a service that only describes itself. */
const DOCUMENTATION_ONLY: IssuanceGateway = {
  lookupResident: notServed,
  issuerProof: notServed,
  possessionChallenge: notServed,
  issue: notServed,
  issuedFor: notServed,
  voidUnconfirmed: notServed,
  confirmWritten: notServed,
  certificateStatus: notServed,
};

async function notServed(): Promise<never> {
  throw new GatewayError('unavailable', 'this service only documents its API');
}

function terminalOfRequest(request: { terminal?: TerminalEntry }): TerminalEntry {
  if (!request.terminal) throw new Error('a request reached a route without a terminal');
  return request.terminal;
}

/** How the issuing side's failures are answered; the kiosk's client maps them back (main/issuance/service-client.ts). */
const STATUS_OF_FAILURE: Record<GatewayError['failure'], number> = {
  refused: 422,
  unavailable: 503,
  timeout: 504,
  'server-error': 500,
  'garbled-answer': 502,
};

function refuse(reply: FastifyReply, status: number, error: ErrorResponse['error'], reason: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send(JSON.stringify({ error, reason: reason.slice(0, 500) }));
}
