import type { ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssuingServiceClient } from '../../main/issuance/service-client';
import { TerminalCa, type KeyPairPem } from '../../main/service/terminal-pki';

// The kiosk's HTTPS client (main/issuance/service-client.ts) against a
// scripted service that misbehaves at the HTTP level: an answer that comes
// in small pieces, one that breaks off in the middle. (What the network does
// between the two is test/unit/fault-proxy.test.ts and
// renewal-network-faults.test.ts.)

let ca: TerminalCa;
let terminal: KeyPairPem;
let server: Server;
let script: (response: ServerResponse) => void = () => undefined;
let requests = 0;

beforeAll(async () => {
  ca = await TerminalCa.create('Client Test City');
  terminal = await ca.issueTerminal('lobby-01', 'lobby');
  const tls = await ca.issueServer(['127.0.0.1']);
  server = createServer(
    { key: tls.key, cert: tls.certificate, ca: ca.certificatePem, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      requests++;
      request.resume();
      request.on('end', () => script(response));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}, 30_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function client(options: { timeoutMs?: number; attempts?: number } = {}): IssuingServiceClient {
  return new IssuingServiceClient({
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tls: { certificate: terminal.certificate, key: terminal.key, ca: ca.certificatePem },
    timeoutMs: options.timeoutMs ?? 2_000,
    attempts: options.attempts ?? 1,
    backoffMs: 1,
  });
}

describe("the kiosk's client and a service answering badly", () => {
  it('ends an attempt at its time-out even when the answer keeps coming a byte at a time', async () => {
    const body = JSON.stringify({ resident: null }).padEnd(60, ' ');
    script = (response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      let at = 0;
      // Each write is a TLS record of its own: the connection is never idle for long.
      const timer = setInterval(() => {
        if (response.destroyed || at >= body.length) return clearInterval(timer);
        response.write(body[at++]);
        if (at === body.length) response.end();
      }, 50);
    };
    const gateway = client({ timeoutMs: 400 });
    const started = performance.now();
    // The whole answer would take 3 s; an idle time-out would never fire.
    await expect(gateway.lookupResident('AB12')).rejects.toMatchObject({ failure: 'timeout' });
    expect(performance.now() - started).toBeLessThan(1_200);
    gateway.close();
  });

  it('calls an answer that breaks off in the middle unavailable, and tries again', async () => {
    const before = requests;
    let first = true;
    script = (response) => {
      if (first) {
        first = false;
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        response.write('{"resident":');
        setTimeout(() => response.socket?.destroy(), 50);
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ resident: null }));
    };
    const gateway = client({ attempts: 2 });
    expect(await gateway.lookupResident('AB12')).toBeUndefined();
    expect(requests - before).toBe(2);
    first = true;
    const once = client({ attempts: 1 });
    await expect(once.lookupResident('AB12')).rejects.toMatchObject({ failure: 'unavailable', message: /broke off/ });
    gateway.close();
    once.close();
  });
});
