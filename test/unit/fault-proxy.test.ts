import { generateKeyPair as generateKeyPairCallback, randomBytes, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { japanDate } from '../../main/domain/japan-calendar';
import type { RenewalRequest } from '../../main/issuance/gateway';
import { listPersonas } from '../../main/simulation/personas';
import { openSimulatedWorld, type SimulatedWorld } from '../../main/simulation/world';
import type { KeyPairPem } from '../../main/service/terminal-pki';
import { FaultProxy } from '../support/fault-proxy';
import { cardKeysOf, proven } from '../support/card-proofs';
import { serviceRig, type ServiceRig } from '../support/service-rig';
import { scratchForFile } from '../support/scratch';

// The fault proxy itself (test/support/fault-proxy.ts): what each fault does
// to a request between the kiosk's client and a real issuing service over
// mutual TLS, and above all that "cut after the answer" cuts exactly the
// answer: the service carried the request out and answered, the client got
// none of it.

const generateKeyPair = promisify(generateKeyPairCallback);
const work = scratchForFile('myna-kiosk-fault-proxy-');
let world: SimulatedWorld;
let service: ServiceRig;
let proxy: FaultProxy;
let terminal: KeyPairPem;
const ISSUE = '/v1/renewals/:renewalId/issue';
const LOOKUP = '/v1/residents/lookup';

beforeAll(async () => {
  world = await openSimulatedWorld({ terminalId: 'fault-proxy-test', simDir: join(work, 'sim'), dbPath: join(work, 'kiosk.sqlite') });
  service = await serviceRig(world.jlis, join(work, 'service'));
  terminal = await service.terminal('lobby-01');
  proxy = await FaultProxy.start({ targetPort: service.port, maxConnectionMs: 20_000 });
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await service?.close();
  world?.close();
});

const viaProxy = (options: { attempts?: number; timeoutMs?: number } = {}) =>
  service.client(terminal, { url: proxy.url, attempts: options.attempts ?? 1, timeoutMs: options.timeoutMs ?? 5_000 });

/** A renewal request with the card's proof of possession, asked for straight from the service (not through the proxy). */
async function renewalRequest(): Promise<RenewalRequest> {
  const persona = listPersonas().find((candidate) => candidate.id === 'standard-in-window')!;
  const { image } = await world.freshCard(persona);
  const serial = new X509Certificate(Buffer.from(image.jpki!.authentication.certificate!, 'base64')).serialNumber.toUpperCase();
  const key = async () =>
    new Uint8Array((await generateKeyPair('rsa', { modulusLength: 2048 })).publicKey.export({ type: 'spki', format: 'der' }));
  const direct = service.client(terminal);
  const unproven = {
    renewalId: `proxy-${randomBytes(6).toString('hex')}`,
    authenticationSerial: serial,
    publicKeys: { authentication: await key(), signature: await key() },
    renewedOn: japanDate(new Date()),
    route: 'in-person' as const,
  };
  return proven(direct, unproven, cardKeysOf(image));
}

/** The simulated J-LIS as the terminal of these tests sees it (renewals are answered only to the terminal that made them). */
const asTerminal = () => world.jlis.forTerminal({ id: 'lobby-01', role: 'lobby' });

const settle = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error as { failure?: string } }),
  );

describe('the fault proxy', () => {
  it('passes mutual TLS through untouched when nothing is armed: the service still sees the terminal', async () => {
    const client = viaProxy();
    const before = proxy.exchanges.length;
    expect(await client.lookupResident('AB12')).toBeUndefined();
    expect(await client.lookupResident('AB13')).toBeUndefined();
    // Two requests on one kept-alive connection, each seen and answered.
    expect(proxy.exchanges.slice(before)).toMatchObject([
      { fault: 'none', answered: true, answerCut: false },
      { fault: 'none', answered: true, answerCut: false },
    ]);
    expect(proxy.exchanges[before]!.connection).toBe(proxy.exchanges[before + 1]!.connection);
    expect(service.log.at(-1)).toMatchObject({ event: 'service-request', terminal: 'lobby-01', status: 200 });
    expect(proxy.problems).toEqual([]);
    client.close();
  });

  it('cuts after the answer: the service issued and answered, the client got nothing, and asking again gets the same set', async () => {
    const request = await renewalRequest();
    const client = viaProxy({ attempts: 1 });
    // A kept-alive connection first, so the cut request is not the first on its connection.
    await client.lookupResident('AB12');
    const answeredBefore = service.answered(ISSUE, 200);
    proxy.arm({ kind: 'cut-after-answer' });
    const cut = await settle(client.issue(request));

    expect(cut.error).toMatchObject({ failure: 'unavailable' });
    expect(proxy.exchanges.at(-1)).toMatchObject({ fault: 'cut-after-answer', answered: true, answerCut: true });
    // The service did commit: it answered 200, and it holds the set under the renewal id.
    expect(service.answered(ISSUE, 200) - answeredBefore).toBe(1);
    const stored = await asTerminal().issuedFor(request.renewalId);
    expect(stored).toBeDefined();
    expect(await world.jlis.certificateStatus(stored!.authentication.der)).toBe('valid');
    // Asking again (what the client's retry does) gets those very certificates, not a second issue.
    const again = await client.issue(request);
    expect(Buffer.from(again.authentication.der).equals(Buffer.from(stored!.authentication.der))).toBe(true);
    expect(proxy.armed).toBe(0);
    expect(proxy.problems).toEqual([]);
    client.close();
  }, 30_000);

  it('cuts a request as it arrives: the service never sees it', async () => {
    const client = viaProxy();
    const before = service.answered(LOOKUP);
    proxy.arm({ kind: 'cut' });
    expect((await settle(client.lookupResident('AB12'))).error).toMatchObject({ failure: 'unavailable' });
    expect(service.answered(LOOKUP)).toBe(before);
    expect(proxy.exchanges.at(-1)).toMatchObject({ fault: 'cut', answered: false });
    client.close();
  });

  it('drops a request (never forwarded, never answered): the attempt times out', async () => {
    const client = viaProxy({ timeoutMs: 300 });
    const before = service.answered(LOOKUP);
    proxy.arm({ kind: 'drop' });
    const started = performance.now();
    expect((await settle(client.lookupResident('AB12'))).error).toMatchObject({ failure: 'timeout' });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(service.answered(LOOKUP)).toBe(before);
    client.close();
  });

  it('delays an answer past the time-out: the service answered, the client gave up', async () => {
    const client = viaProxy({ timeoutMs: 300 });
    const before = service.answered(LOOKUP);
    proxy.arm({ kind: 'delay-answer', ms: 1_000 });
    expect((await settle(client.lookupResident('AB12'))).error).toMatchObject({ failure: 'timeout' });
    expect(service.answered(LOOKUP) - before).toBe(1);
    client.close();
  });

  it('delays a request past the time-out: it still reaches the service after the client gave up', async () => {
    const client = viaProxy({ timeoutMs: 300 });
    const before = service.answered(LOOKUP);
    proxy.arm({ kind: 'delay-request', ms: 800 });
    expect((await settle(client.lookupResident('AB12'))).error).toMatchObject({ failure: 'timeout' });
    expect(service.answered(LOOKUP)).toBe(before);
    await expect.poll(() => service.answered(LOOKUP) - before, { timeout: 3_000 }).toBe(1);
    client.close();
  });

  it('trickles an answer slower than the time-out allows: the attempt times out', async () => {
    const client = viaProxy({ timeoutMs: 500 });
    proxy.arm({ kind: 'trickle-answer', bytes: 8, everyMs: 50 });
    const started = performance.now();
    expect((await settle(client.lookupResident('AB12'))).error).toMatchObject({ failure: 'timeout' });
    // The answer (a few hundred bytes) would take several seconds at this pace.
    expect(performance.now() - started).toBeLessThan(1_500);
    client.close();
  });

  it('refuses or swallows whole connections, and a retry after that succeeds', async () => {
    const client = viaProxy({ timeoutMs: 300 });
    proxy.setMode('refuse');
    expect((await settle(client.lookupResident('AB12'))).error).toMatchObject({ failure: 'unavailable' });
    proxy.setMode('blackhole');
    expect((await settle(client.lookupResident('AB12'))).error).toMatchObject({ failure: 'timeout' });
    proxy.setMode('pass');
    expect(await client.lookupResident('AB12')).toBeUndefined();
    client.close();
  });

  it('applies an armed fault to as many requests as asked, in order', async () => {
    const client = service.client(terminal, { url: proxy.url, attempts: 3, timeoutMs: 2_000, backoffMs: 1 });
    const before = proxy.exchanges.length;
    proxy.arm({ kind: 'cut' }, 2);
    expect(await client.lookupResident('AB12')).toBeUndefined();
    expect(proxy.exchanges.slice(before).map((exchange) => exchange.fault)).toEqual(['cut', 'cut', 'none']);
    client.close();
  });

  it('refuses to guess on TLS 1.3, where the answer cannot be told from the handshake', async () => {
    const tls13 = service.client(terminal, { url: proxy.url, attempts: 1, maxTlsVersion: 'TLSv1.3' });
    const problems = proxy.problems.length;
    expect((await settle(tls13.lookupResident('AB12'))).error).toMatchObject({ failure: 'unavailable' });
    expect(proxy.problems.slice(problems).join()).toMatch(/not TLS 1\.2/);
    proxy.problems.length = problems;
    tls13.close();
  });
});
