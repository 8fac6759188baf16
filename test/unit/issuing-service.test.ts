import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../main/issuance/gateway';
import { openApiDocument } from '../../main/service/issuing-service';
import { initialisePki, TerminalCa, TerminalPkiError, type KeyPairPem } from '../../main/service/terminal-pki';
import { TerminalRegistry } from '../../main/service/terminal-registry';
import { noProof } from '../support/card-proofs';
import { gatewayContract } from '../support/gateway-contract';
import type { SimulatedWorld } from '../../main/simulation/world';
import { worldServiceRig, type WorldServiceRig } from '../support/service-rig';

// The issuing service as a network service (docs/issuing-service.md): its
// terminal PKI and registry, the HTTPS API over mutual TLS, and the kiosk's
// client. The same gateway contract (test/support/gateway-contract.ts) runs
// against the simulated J-LIS in process and against the client talking to a
// real service on loopback, here on the embedded PGlite and in
// test/integration/postgres.test.ts on a PostgreSQL server.

let rig: WorldServiceRig;
let world: SimulatedWorld;
let ca: TerminalCa;
let registry: TerminalRegistry;
let lobby: KeyPairPem;
let counter: KeyPairPem;
/** What the service logged, one object a line: every request attributed to a terminal. */
const requestsTo = (route: string) => rig.log.filter((line) => line.event === 'service-request' && line.route === route).length;
const enrol = (id: string, role: 'lobby' | 'counter') => rig.terminal(id, role);
const client = (terminal: KeyPairPem, options: { attempts?: number; timeoutMs?: number; url?: string } = {}) =>
  rig.client(terminal, options);
const raw = (options: Parameters<WorldServiceRig['raw']>[0]) => rig.raw(options);

beforeAll(async () => {
  rig = await worldServiceRig('service-test');
  ({ world, ca, registry } = rig);
  lobby = await enrol('lobby-01', 'lobby');
  counter = await enrol('counter-01', 'counter');
}, 60_000);

afterAll(async () => {
  await rig?.close();
});

describe('the terminal PKI', () => {
  it('issues a terminal certificate naming the terminal and its role, for client authentication, from the CA', async () => {
    const certificate = new X509Certificate(lobby.certificate);
    expect(certificate.subject).toContain('CN=lobby-01');
    expect(certificate.subject).toContain('OU=lobby');
    expect(certificate.issuer).toBe(new X509Certificate(ca.certificatePem).subject);
    expect(await certificate.verify({ publicKey: new X509Certificate(ca.certificatePem).publicKey })).toBe(true);
    expect(lobby.key).toContain('PRIVATE KEY');
  });

  it('refuses a second init over the same folder, a bad terminal id and a role it does not know', async () => {
    const pkiDir = join(rig.work, 'pki');
    await initialisePki(pkiDir, { municipality: 'Test City', hosts: ['localhost'] });
    await expect(initialisePki(pkiDir, { municipality: 'Again', hosts: ['localhost'] })).rejects.toThrow(TerminalPkiError);
    await expect(ca.issueTerminal('lobby 01', 'lobby')).rejects.toThrow(/terminal id/);
    await expect(ca.issueTerminal('lobby-02', 'admin' as 'lobby')).rejects.toThrow(/role/);
  });
});

describe('the terminal registry', () => {
  it('replaces a terminal enrolled again, and sees another process revoke one', async () => {
    const path = join(rig.work, 'registry-test.json');
    const own = new TerminalRegistry(path);
    const first = await ca.issueTerminal('kiosk-9', 'lobby');
    own.enrol({ id: 'kiosk-9', role: 'lobby', serialNumber: first.serialNumber, notAfter: first.notAfter.toISOString() });
    const second = await ca.issueTerminal('kiosk-9', 'lobby');
    own.enrol({ id: 'kiosk-9', role: 'lobby', serialNumber: second.serialNumber, notAfter: second.notAfter.toISOString() });
    expect(own.authorise({ id: 'kiosk-9', serialNumber: first.serialNumber })).toBe('revoked-terminal');
    expect(own.authorise({ id: 'kiosk-9', serialNumber: second.serialNumber })).toMatchObject({ id: 'kiosk-9', role: 'lobby' });
    // Another instance on the same file (the CLI, in another process) revokes it.
    expect(new TerminalRegistry(path).revoke('kiosk-9')).toBe(true);
    expect(own.authorise({ id: 'kiosk-9', serialNumber: second.serialNumber })).toBe('revoked-terminal');
    expect(own.authorise({ id: 'kiosk-9', serialNumber: 'ABCDEF' })).toBe('unknown-terminal');
    expect(new TerminalRegistry(path).revoke('kiosk-9')).toBe(false);
  });
});

gatewayContract(
  'in process',
  () => world.jlis,
  () => world,
);
gatewayContract(
  'over mutual TLS',
  () => client(lobby),
  () => world,
);

describe('what the service refuses', () => {
  it('a connection without a terminal certificate, or with one from another CA, never reaches a route', async () => {
    await expect(raw({ path: '/v1/residents/lookup', body: '{"authenticationSerial":"AB12"}' })).rejects.toThrow();
    const stranger = await (await TerminalCa.create('Another City')).issueTerminal('lobby-01', 'lobby');
    await expect(raw({ path: '/v1/residents/lookup', body: '{"authenticationSerial":"AB12"}', terminal: stranger })).rejects.toThrow();
  });

  it('a terminal that was never enrolled, or was revoked, from its next request on', async () => {
    const unenrolled = await ca.issueTerminal('lobby-77', 'lobby');
    expect((await raw({ path: '/v1/residents/lookup', body: '{"authenticationSerial":"AB12"}', terminal: unenrolled })).status).toBe(401);
    const doomed = await enrol('lobby-78', 'lobby');
    const gateway = client(doomed);
    expect(await gateway.lookupResident('AB12')).toBeUndefined();
    registry.revoke('lobby-78');
    await expect(gateway.lookupResident('AB12')).rejects.toMatchObject({
      failure: 'refused',
      message: expect.stringMatching(/revoked-terminal/),
    });
    gateway.close();
  });

  it('refuses unknown fields, malformed JSON, wrong types, oversized bodies and unknown routes, changing nothing', async () => {
    const cases: [string, string | undefined, number][] = [
      ['/v1/residents/lookup', '{"authenticationSerial":"AB12","pin":"1234"}', 400],
      ['/v1/residents/lookup', '{"authenticationSerial":', 400],
      ['/v1/residents/lookup', '{"authenticationSerial":12}', 400],
      [
        '/v1/renewals/R1/issue',
        `{"authenticationSerial":"AB12","publicKeys":{"authentication":"${'A'.repeat(80_000)}"},"renewedOn":"2026-01-01"}`,
        413,
      ],
      ['/v1/renewals/not a valid id/confirm', '{}', 400],
      ['/v1/admin', undefined, 404],
    ];
    for (const [path, body, status] of cases) {
      const answer = await raw({ path: path.replaceAll(' ', '%20'), ...(body === undefined ? {} : { body }), terminal: counter });
      expect(answer.status, path).toBe(status);
      const parsed = JSON.parse(answer.body) as { error: string; reason: string };
      expect(parsed.reason.length, path).toBeGreaterThan(0);
      // A refused request's text is never echoed back (it could carry anything).
      expect(answer.body).not.toContain('1234');
    }
    expect(await world.jlis.issuedFor('R1')).toBeUndefined();
  });
});

describe("the kiosk's client", () => {
  it('tries a passing failure again and succeeds; gives up after its attempts with the failure it saw', async () => {
    world.jlis.setFault('lookupResident', { kind: 'unavailable', times: 2 });
    expect(await client(lobby, { attempts: 3 }).lookupResident('AB12')).toBeUndefined();
    world.jlis.setFault('lookupResident', { kind: 'server-error', times: 3 });
    await expect(client(lobby, { attempts: 3 }).lookupResident('AB12')).rejects.toMatchObject({ failure: 'server-error' });
    world.jlis.clearFaults();
  });

  it('never tries a refusal again', async () => {
    const before = requestsTo('/v1/renewals/:renewalId/issue');
    const refused = client(lobby, { attempts: 5 }).issue({
      renewalId: 'never-issued',
      authenticationSerial: 'ABCD',
      publicKeys: { authentication: new Uint8Array([1]) },
      renewedOn: '2026-01-01',
      route: 'in-person',
      possession: noProof(),
    });
    await expect(refused).rejects.toBeInstanceOf(GatewayError);
    await expect(refused).rejects.toMatchObject({ failure: 'refused' });
    expect(requestsTo('/v1/renewals/:renewalId/issue') - before).toBe(1);
  });

  it('attributes every request to the terminal that made it', () => {
    const terminals = new Set(rig.log.filter((line) => line.event === 'service-request').map((line) => line.terminal));
    expect(terminals).toContain('lobby-01');
    expect(terminals).toContain('counter-01');
  });

  it('calls a slow answer a time-out, and an unreachable service unavailable', async () => {
    world.jlis.setFault('lookupResident', { kind: 'latency', ms: 400 });
    await expect(client(lobby, { attempts: 2, timeoutMs: 100 }).lookupResident('AB12')).rejects.toMatchObject({ failure: 'timeout' });
    world.jlis.clearFaults();
    await expect(client(lobby, { attempts: 2, url: 'https://127.0.0.1:9' }).lookupResident('AB12')).rejects.toMatchObject({
      failure: 'unavailable',
    });
  });

  it('refuses to talk to a service over plain http', () => {
    expect(() => client(lobby, { url: 'http://127.0.0.1:8080' })).toThrow(/https/);
  });
});

describe('the API document', () => {
  it('is docs/issuing-service.openapi.json, generated from the schemas the service validates with', async () => {
    const committed = JSON.parse(readFileSync(new URL('../../docs/issuing-service.openapi.json', import.meta.url), 'utf8')) as unknown;
    const generated = await openApiDocument();
    expect(generated).toEqual(committed);
    expect(Object.keys((generated as { paths: Record<string, unknown> }).paths)).toEqual(
      expect.arrayContaining(['/v1/residents/lookup', '/v1/renewals/{renewalId}/issue', '/v1/certificates/status']),
    );
  });
});
