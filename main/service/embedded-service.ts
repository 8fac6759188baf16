import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../base/log';
import type { IssuanceGateway, IssuingAuthority } from '../issuance/gateway';
import { IssuingServiceClient } from '../issuance/service-client';
import { startIssuingService } from './issuing-service';
import { TerminalCa, type TerminalRole } from './terminal-pki';
import { TerminalRegistry } from './terminal-registry';

/**
 * An issuing service of the kiosk's own, on loopback, for the demo and the
 * trainer (the web host, `npm start`): the same service a municipality runs,
 * with a throwaway terminal CA and one enrolled terminal, so the kiosk reaches
 * its issuing side through the same client, mutual TLS and API as in a
 * deployment, and the trainer's faults act on that connection.
 */
export interface EmbeddedService {
  /** The kiosk's gateway: the HTTPS client with the terminal's certificate. */
  gateway: IssuanceGateway;
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedService(options: {
  /** The issuing side behind the service. */
  issuer: IssuingAuthority;
  terminalId: string;
  role: TerminalRole;
  log: Logger;
}): Promise<EmbeddedService> {
  const scratch = mkdtempSync(join(tmpdir(), 'myna-kiosk-embedded-service-'));
  const ca = await TerminalCa.create('Practice');
  const server = await ca.issueServer(['127.0.0.1']);
  const terminal = await ca.issueTerminal(options.terminalId, options.role);
  const registry = new TerminalRegistry(join(scratch, 'terminals.json'));
  registry.enrol({
    id: options.terminalId,
    role: options.role,
    serialNumber: terminal.serialNumber,
    notAfter: terminal.notAfter.toISOString(),
  });
  const service = await startIssuingService({
    tls: { server, caCertificate: ca.certificatePem },
    registry,
    issuer: options.issuer,
    log: options.log,
    host: '127.0.0.1',
  });
  const client = new IssuingServiceClient({
    url: service.url,
    tls: { certificate: terminal.certificate, key: terminal.key, ca: ca.certificatePem },
    // On loopback an answer takes milliseconds: a short wait before trying again keeps a trainer's "service down" quick.
    backoffMs: 50,
  });
  return {
    gateway: client,
    url: service.url,
    async close() {
      client.close();
      await service.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * The embedded service in front of a simulated world's J-LIS (the web host,
 * Electron on virtual cards); the world is closed when the service cannot
 * start, so nothing stays open behind a failed start.
 */
export async function startEmbeddedServiceOver(
  world: { jlis: IssuingAuthority; close(): Promise<void> },
  options: { terminalId: string; role: TerminalRole; log: Logger },
): Promise<EmbeddedService> {
  try {
    return await startEmbeddedService({ issuer: world.jlis, ...options });
  } catch (error) {
    await world.close();
    throw error;
  }
}
