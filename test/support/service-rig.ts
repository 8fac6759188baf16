import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../main/base/log';
import { serviceAddressesOf } from '../../main/harness/service-process';
import type { IssuingAuthority } from '../../main/issuance/gateway';
import { IssuingServiceClient } from '../../main/issuance/service-client';
import { startIssuingService, type RunningIssuingService } from '../../main/service/issuing-service';
import { TerminalCa, type KeyPairPem, type TerminalRole } from '../../main/service/terminal-pki';
import { TerminalRegistry } from '../../main/service/terminal-registry';
import { openSimulatedWorld, type SimulatedWorld } from '../../main/simulation/world';
import { CLI } from './cli-harness';

/** How a test's terminal talks to the service: pinned to TLS 1.2 so a fault proxy can find the answers (fault-proxy.ts). */
export interface ClientOptions {
  url?: string;
  attempts?: number;
  timeoutMs?: number;
  backoffMs?: number;
  /** TLS 1.2 unless a test shows what the proxy does with 1.3. */
  maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
}

function clientFor(terminal: KeyPairPem, ca: string, url: string, options: ClientOptions): IssuingServiceClient {
  return new IssuingServiceClient({
    url: options.url ?? url,
    tls: { certificate: terminal.certificate, key: terminal.key, ca },
    attempts: options.attempts ?? 3,
    timeoutMs: options.timeoutMs ?? 5_000,
    backoffMs: options.backoffMs ?? 20,
    maxTlsVersion: options.maxTlsVersion ?? 'TLSv1.2',
  });
}

/**
 * The issuing service in this process, over mutual TLS on loopback, in front
 * of an issuing side (a simulated J-LIS): terminals enrolled with its own CA,
 * the kiosk's client per terminal, a raw HTTPS request for what the client
 * would never send, and what it logged.
 */
export interface ServiceRig {
  readonly url: string;
  readonly port: number;
  readonly ca: TerminalCa;
  readonly registry: TerminalRegistry;
  /** Every line the service logged (one `service-request` per request answered). */
  readonly log: Record<string, unknown>[];
  /** A terminal certificate, enrolled (for TERMINAL_YEARS unless `validity` says otherwise). */
  terminal(id: string, role?: TerminalRole, validity?: { notBefore: Date; notAfter: Date }): Promise<KeyPairPem>;
  client(terminal: KeyPairPem, options?: ClientOptions): IssuingServiceClient;
  raw(options: { path: string; body?: string; terminal?: KeyPairPem; contentType?: string }): Promise<{ status: number; body: string }>;
  /** How many requests the service answered on a route (e.g. '/v1/renewals/:renewalId/issue'), and with which status. */
  answered(route: string, status?: number): number;
  close(): Promise<void>;
}

export async function serviceRig(issuer: IssuingAuthority, dir: string): Promise<ServiceRig> {
  mkdirSync(dir, { recursive: true });
  const ca = await TerminalCa.create('Network Faults City');
  const registry = new TerminalRegistry(join(dir, 'terminals.json'));
  const log: Record<string, unknown>[] = [];
  const service: RunningIssuingService = await startIssuingService({
    tls: { server: await ca.issueServer(['127.0.0.1']), caCertificate: ca.certificatePem },
    registry,
    issuer,
    log: createLogger((line) => log.push(JSON.parse(line) as Record<string, unknown>)),
    host: '127.0.0.1',
  });
  const clients: IssuingServiceClient[] = [];
  return {
    url: service.url,
    port: service.port,
    ca,
    registry,
    log,
    async terminal(id, role = 'lobby', validity) {
      const issued = await ca.issueTerminal(id, role, validity);
      registry.enrol({ id, role, serialNumber: issued.serialNumber, notAfter: issued.notAfter.toISOString() });
      return issued;
    },
    client(terminal, options = {}) {
      const client = clientFor(terminal, ca.certificatePem, service.url, options);
      clients.push(client);
      return client;
    },
    raw(options) {
      const url = new URL(options.path, service.url);
      return new Promise((resolve, reject) => {
        const request = httpsRequest(url, {
          method: options.body === undefined ? 'GET' : 'POST',
          ca: ca.certificatePem,
          ...(options.terminal ? { cert: options.terminal.certificate, key: options.terminal.key } : {}),
          headers: options.body === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' },
        });
        request.on('error', reject);
        request.on('response', (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        });
        request.end(options.body);
      });
    },
    answered(route, status) {
      return log.filter(
        (line) => line.event === 'service-request' && line.route === route && (status === undefined || line.status === status),
      ).length;
    },
    async close() {
      for (const client of clients) client.close();
      await service.close();
    },
  };
}

/** A service rig over a simulated world of its own, in a temporary folder removed on close. */
export interface WorldServiceRig extends ServiceRig {
  readonly work: string;
  readonly world: SimulatedWorld;
}

export async function worldServiceRig(name: string): Promise<WorldServiceRig> {
  const work = mkdtempSync(join(tmpdir(), `myna-kiosk-${name}-`));
  const world = await openSimulatedWorld({ terminalId: name, simDir: join(work, 'sim'), dbPath: join(work, 'kiosk.sqlite') });
  const rig = await serviceRig(world.jlis, join(work, 'service'));
  return {
    ...rig,
    work,
    world,
    async close() {
      await rig.close();
      await world.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * `npx myna-kiosk service` in a process of its own (the built CLI, out/),
 * over the simulation folder `simDir` (its CA, shared with the test's
 * simulated J-LIS, which enrols the residents) and, with `database`, the
 * records on that PostgreSQL server, which both processes use (PGlite is
 * one process's). It can be SIGKILLed and started again on the same
 * service folder.
 */
export class ServiceProcess {
  #child: ChildProcess | undefined;
  #url = '';
  #dashboard = '';
  /** What the service wrote to stderr (its JSON-lines log), over every start. */
  readonly log: string[] = [];
  readonly terminalFiles: { certificate: string; key: string; ca: string };

  private constructor(
    readonly dir: string,
    readonly simDir: string,
    readonly database: string | undefined,
    readonly cardFactory = false,
  ) {
    const terminal = join(dir, 'terminals', 'lobby-01');
    this.terminalFiles = {
      certificate: readFileSync(join(terminal, 'terminal.pem'), 'utf8'),
      key: readFileSync(join(terminal, 'terminal-key.pem'), 'utf8'),
      ca: readFileSync(join(terminal, 'ca.pem'), 'utf8'),
    };
  }

  /** init, enrol terminal lobby-01, start. */
  static async start(dir: string, simDir: string, database?: string, options: { cardFactory?: boolean } = {}): Promise<ServiceProcess> {
    const cli = (args: string[]) => {
      const run = spawnSync(process.execPath, [CLI, 'service', ...args, '--dir', dir], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`service ${args[0]} failed: ${run.stderr}`);
    };
    cli(['init']);
    cli(['enrol-terminal', '--id', 'lobby-01', '--role', 'lobby']);
    const service = new ServiceProcess(dir, simDir, database, options.cardFactory ?? false);
    await service.restart();
    return service;
  }

  get url(): string {
    return this.#url;
  }

  /** The dashboard listener (https://127.0.0.1:port), where /metrics and /health are too. */
  get dashboard(): string {
    return this.#dashboard;
  }

  get port(): number {
    return Number(new URL(this.#url).port);
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  client(options: ClientOptions = {}): IssuingServiceClient {
    return clientFor(
      { certificate: this.terminalFiles.certificate, key: this.terminalFiles.key },
      this.terminalFiles.ca,
      this.#url,
      options,
    );
  }

  /** The client of another terminal enrolled in this service (the folder `service enrol-terminal` wrote). */
  clientOf(folder: string, options: ClientOptions = {}): IssuingServiceClient {
    const read = (name: string) => readFileSync(join(folder, name), 'utf8');
    return clientFor({ certificate: read('terminal.pem'), key: read('terminal-key.pem') }, read('ca.pem'), this.#url, options);
  }

  /** Starts the service (again), on a free port; resolves with its address once it listens. */
  async restart(): Promise<string> {
    if (this.running) throw new Error('the service is running');
    const database = [...(this.database ? ['--database', this.database] : []), ...(this.cardFactory ? ['--card-factory'] : [])];
    const child = spawn(
      process.execPath,
      [CLI, 'service', '--dir', this.dir, '--port', '0', '--dashboard-port', '0', '--sim-dir', this.simDir, ...database],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.#child = child;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => this.log.push(chunk));
    const addresses = await serviceAddressesOf(child);
    this.#url = addresses.url;
    this.#dashboard = addresses.dashboard;
    return this.#url;
  }

  /** SIGKILL: no close, no flush, nothing of its own. */
  kill(): Promise<void> {
    return this.#signal('SIGKILL');
  }

  stop(): Promise<void> {
    return this.#signal('SIGTERM');
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }
}
