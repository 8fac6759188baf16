import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  WEB_BRIDGE_DISPLAY_PARAM,
  WEB_BRIDGE_PATH,
  WEB_BRIDGE_TOKEN_PARAM,
  webRequestSchema,
  type Profile,
  type WebResponse,
} from '../../preload/contract';
import { parseTerminalConfig } from '../kiosk/config';
import { contentSecurityPolicy } from '../hosting/csp';
import { localSpeechEngine } from '../kiosk/speech';
import { Kiosk } from '../kiosk/kiosk';
import type { Logger } from '../base/log';
import { startEmbeddedServiceOver } from '../service/embedded-service';
import { openRemoteWorld, openSimulatedWorld, type TerminalWorld } from '../simulation/world';
import { configFingerprint, readServiceConnection, type TerminalConfig } from '../kiosk/config';
import { startFleetReporter } from '../kiosk/fleet-reporter';
import { hashPasscode } from '../base/passcode';
import { loadStaticAsset, securityHeaders } from '../hosting/static-files';
import { VirtualReader } from '../card/virtual-reader';

/**
 * The web host runs the same renderer in an ordinary browser, for the trainer
 * demo on a laptop without Electron and for end-to-end tests. It is built so
 * it can never carry a real resident's PIN: virtual cards only, loopback only,
 * and a random token per launch that a page must present to use the bridge.
 */

export const WEB_HOST_ADDRESS = '127.0.0.1';

export interface WebHostOptions {
  rendererRoot: string;
  profile: Profile;
  log: Logger;
  /** 0 picks a free port. */
  port?: number;
  /** The simulated J-LIS's folder (default: the user's simulation folder, shared with the virtual-card tool). */
  simDir?: string;
  /**
   * The kiosk's clock starts at this instant and runs on from it: a trainer
   * practises a weekday morning (or a maintenance Sunday) whatever the real
   * hour, and end-to-end tests do not depend on when they run.
   */
  startAt?: Date;
  /** The rest of a terminal config (idle times, staff accounts, customer display); cards are always virtual here. */
  config?: Record<string, unknown>;
}

/**
 * A counter served without a config gets this practice account, printed at
 * start-up: the web host only ever has virtual cards, so it guards nothing
 * real. A config with its own accounts replaces it.
 */
export const PRACTICE_STAFF = { id: 'trainer', passcode: 'practice' } as const;

export interface WebHost {
  /** The address to open, token included (in the fragment, so it is never sent in a request line). */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  readonly kiosk: Kiosk;
  readonly reader: VirtualReader;
  close(): Promise<void>;
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = randomBytes(24).toString('base64url');
  const reader = new VirtualReader();
  const config = parseTerminalConfig({
    ...(options.profile === 'counter'
      ? { staff: { accounts: [{ id: PRACTICE_STAFF.id, passcodeHash: hashPasscode(PRACTICE_STAFF.passcode) }] } }
      : {}),
    ...options.config,
    profile: options.profile,
    cardSource: 'virtual',
  });
  const now = clockFrom(options.startAt);
  const { world, sessions, closeService } = await openWorld(options, config, reader, now);
  const kiosk = new Kiosk(config, reader, options.log, {
    sessions,
    signInLimits: world.signInLimits,
    now,
    speech: localSpeechEngine(),
    ...(world.demo ? { demo: world.demo } : {}),
  });

  const server = createServer();
  await listen(server, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const origin = `http://${WEB_HOST_ADDRESS}:${port}`;
  const headers = securityHeaders(contentSecurityPolicy({ bridgeOrigin: `ws://${WEB_HOST_ADDRESS}:${port}` }));

  server.on('request', (request, response) => {
    void (async () => {
      if (!hostHeaderIsOurs(request, port) || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(request.method === 'GET' || request.method === 'HEAD' ? 421 : 405, headers).end();
        return;
      }
      const asset = await loadStaticAsset(options.rendererRoot, new URL(request.url ?? '/', origin).pathname);
      if (asset.status === 404) {
        response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
        return;
      }
      response.writeHead(200, { ...headers, 'content-type': asset.contentType });
      response.end(request.method === 'HEAD' ? undefined : asset.body);
    })().catch(() => {
      if (!response.headersSent) response.writeHead(500, headers);
      response.end();
    });
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const refusal = refuseUpgrade(request, port, origin, token);
    if (refusal) {
      options.log.warn('web-bridge-refused', { reason: refusal });
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });

  sockets.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    const display = new URL(request.url ?? '/', origin).searchParams.get(WEB_BRIDGE_DISPLAY_PARAM) === 'customer' ? 'customer' : 'main';
    const send = (message: WebResponse) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const unsubscribe = kiosk.subscribe((event) => send({ kind: 'event', event }));
    ws.on('message', (data, isBinary) => {
      const request = isBinary ? undefined : parseJson(data.toString());
      const envelope = webRequestSchema.safeParse(request);
      if (!envelope.success) {
        options.log.warn('command-refused', { transport: 'web', reason: 'malformed-envelope' });
        ws.close(1008, 'malformed message');
        return;
      }
      const { id } = envelope.data;
      void Promise.resolve(kiosk.receive(envelope.data.command, 'web', display)).then((result) => send({ kind: 'result', id, result }));
    });
    ws.on('close', unsubscribe);
  });

  kiosk.start();
  // Against a separate issuing service the terminal reports its audit rows and health to it, as a deployed one does.
  const reporter =
    world.fleet && config.service
      ? startFleetReporter({
          kiosk,
          channel: world.fleet.channel,
          records: world.fleet.records,
          dataDir: world.fleet.dataDir,
          heartbeatSeconds: config.service.heartbeatSeconds,
          configFingerprint: configFingerprint(config),
          log: options.log,
        })
      : undefined;
  options.log.info('web-host-started', { origin, profile: options.profile });

  return {
    url: `${origin}/#${WEB_BRIDGE_TOKEN_PARAM}=${token}`,
    origin,
    token,
    kiosk,
    reader,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await reporter?.stop();
      await kiosk.stop();
      await closeService();
      await world.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/**
 * The kiosk's world: against the issuing service the config names (a
 * separate `npx myna-kiosk service --card-factory`), or, by default, a
 * simulated J-LIS of its own behind an issuing service on loopback — the
 * deployment's path either way (HTTPS client, mutual TLS, the same API).
 */
async function openWorld(
  options: WebHostOptions,
  config: TerminalConfig,
  reader: VirtualReader,
  now: () => Date,
): Promise<{ world: TerminalWorld; sessions: TerminalWorld['sessions']; closeService: () => Promise<void> }> {
  if (config.service) {
    const world = await openRemoteWorld({ reader, terminalId: 'web-host', now, service: readServiceConnection(config.service) });
    return { world, sessions: world.sessions, closeService: async () => undefined };
  }
  const world = await openSimulatedWorld({ reader, ...(options.simDir ? { simDir: options.simDir } : {}), terminalId: 'web-host', now });
  const service = await startEmbeddedServiceOver(world, {
    terminalId: 'web-host',
    role: options.profile === 'counter' ? 'counter' : 'lobby',
    log: options.log,
  });
  return { world, sessions: { ...world.sessions, gateway: service.gateway }, closeService: () => service.close() };
}

/** The machine's clock, or one that started at `startAt` and runs at the same pace. */
function clockFrom(startAt: Date | undefined): () => Date {
  if (!startAt) return () => new Date();
  const offset = startAt.getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}

/**
 * Why a bridge connection is refused, or undefined to accept it. The Origin
 * and Host checks stop other pages in the same browser and DNS-rebinding
 * tricks; the token stops other local programs.
 */
function refuseUpgrade(request: IncomingMessage, port: number, origin: string, token: string): string | undefined {
  const url = new URL(request.url ?? '/', origin);
  if (url.pathname !== WEB_BRIDGE_PATH) return 'wrong-path';
  if (!hostHeaderIsOurs(request, port)) return 'wrong-host';
  if (request.headers.origin !== origin) return 'wrong-origin';
  const offered = Buffer.from(url.searchParams.get(WEB_BRIDGE_TOKEN_PARAM) ?? '');
  const expected = Buffer.from(token);
  if (offered.length !== expected.length || !timingSafeEqual(offered, expected)) return 'wrong-token';
  return undefined;
}

function hostHeaderIsOurs(request: IncomingMessage, port: number): boolean {
  return request.headers.host === `${WEB_HOST_ADDRESS}:${port}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, WEB_HOST_ADDRESS, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
