import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../main/base/log';
import { IssuingServiceClient } from '../../main/issuance/service-client';
import { startIssuingService, type RunningIssuingService } from '../../main/service/issuing-service';
import { initialisePki, loadPki, type KeyPairPem, type TerminalCa, type TerminalRole } from '../../main/service/terminal-pki';
import { TerminalRegistry } from '../../main/service/terminal-registry';
import { openSimulatedWorld, type SimulatedWorld } from '../../main/simulation/world';

/**
 * A municipality's issuing service on loopback, as tests of the network
 * boundary need it: a simulated world behind a real `startIssuingService`
 * (HTTPS, mutual TLS, the terminal registry), a terminal CA to enrol
 * terminals with, the kiosk's client per terminal, and a raw HTTPS request
 * for what the client would never send.
 */
export interface ServiceRig {
  work: string;
  world: SimulatedWorld;
  service: RunningIssuingService;
  ca: TerminalCa;
  registry: TerminalRegistry;
  /** What the service logged, one object a line. */
  log: Record<string, unknown>[];
  /** A terminal certificate from the CA, enrolled in the registry. */
  enrol(id: string, role: TerminalRole, validity?: { notBefore: Date; notAfter: Date }): Promise<KeyPairPem>;
  client(terminal: KeyPairPem, options?: { attempts?: number; timeoutMs?: number; url?: string }): IssuingServiceClient;
  raw(options: { path: string; body?: string; terminal?: KeyPairPem; contentType?: string }): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

export async function serviceRig(name: string): Promise<ServiceRig> {
  const work = mkdtempSync(join(tmpdir(), `myna-kiosk-${name}-`));
  const world = await openSimulatedWorld({ terminalId: name, simDir: join(work, 'sim'), dbPath: join(work, 'kiosk.sqlite') });
  const pkiDir = join(work, 'pki');
  const ca = await initialisePki(pkiDir, { municipality: 'Test City', hosts: ['localhost', '127.0.0.1'] });
  const { server } = await loadPki(pkiDir);
  const registry = new TerminalRegistry(join(work, 'terminals.json'));
  const log: Record<string, unknown>[] = [];
  const service = await startIssuingService({
    tls: { server, caCertificate: ca.certificatePem },
    registry,
    issuer: world.jlis,
    log: createLogger((line) => log.push(JSON.parse(line) as Record<string, unknown>)),
    host: '127.0.0.1',
  });
  const clients: IssuingServiceClient[] = [];
  return {
    work,
    world,
    service,
    ca,
    registry,
    log,
    async enrol(id, role, validity) {
      const issued = await ca.issueTerminal(id, role, validity);
      registry.enrol({ id, role, serialNumber: issued.serialNumber, notAfter: issued.notAfter.toISOString() });
      return issued;
    },
    client(terminal, options = {}) {
      const client = new IssuingServiceClient({
        url: options.url ?? service.url,
        tls: { certificate: terminal.certificate, key: terminal.key, ca: ca.certificatePem },
        attempts: options.attempts ?? 3,
        timeoutMs: options.timeoutMs ?? 5000,
        backoffMs: 5,
      });
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
    async close() {
      for (const client of clients) client.close();
      await service.close();
      world.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
