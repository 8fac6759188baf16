import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IssuanceGateway } from '../../main/issuance/gateway';
import type { KeyPairPem } from '../../main/service/terminal-pki';
import { FaultProxy, type ProxyFault } from '../support/fault-proxy';
import { faultAt, renewUntilDone, type SessionResult } from '../support/network-renewal';
import { renewalRig, type Rig } from '../support/renewal-rig';
import { serviceRig, type ServiceRig } from '../support/service-rig';

// Renewals through the kiosk's HTTPS client, a fault proxy and a real
// issuing service over mutual TLS (docs/issuing-service.md, "Network
// faults"). Each case breaks one gateway call on the network; whatever
// happens, after every session the card holds a complete set (old or new),
// the old certificates are revoked only once the new set is confirmed, the
// service issued once per renewal id; the renewal ends done within a few
// sessions on the same card, and the card's next renewal succeeds.

let rig: Rig;
let service: ServiceRig;
let proxy: FaultProxy;
let terminal: KeyPairPem;
// Long enough that no answer on loopback misses it by chance on a loaded machine, short enough for the slow cases.
const TIMEOUT_MS = 2_000;
const ATTEMPTS = 3;

beforeAll(async () => {
  rig = await renewalRig();
  service = await serviceRig(rig.jlis, join(rig.dir, 'service'));
  terminal = await service.terminal('lobby-01');
  proxy = await FaultProxy.start({ targetPort: service.port, maxConnectionMs: 30_000 });
}, 60_000);

afterEach(() => {
  proxy.disarm();
  proxy.setMode('pass');
});

afterAll(async () => {
  await proxy?.close();
  await service?.close();
  await rig?.close();
});

/** The terminal's gateway through the proxy, as a session gets it. */
const viaProxy = (): IssuanceGateway =>
  service.client(terminal, { url: proxy.url, attempts: ATTEMPTS, timeoutMs: TIMEOUT_MS, backoffMs: 20 });

const CUT: ProxyFault = { kind: 'cut-after-answer' };
const ISSUE = '/v1/renewals/:renewalId/issue';
const VOID = '/v1/renewals/:renewalId/void';
const CONFIRM = '/v1/renewals/:renewalId/confirm';

/** The renewal, then the card's next renewal through the same (now quiet) network. */
async function renewThenAgain(card: Awaited<ReturnType<Rig['card']>>, sessions: IssuanceGateway[]) {
  const first = await renewUntilDone(rig, card, sessions, rig.jlis);
  const next = await renewUntilDone(rig, card, [viaProxy()], rig.jlis);
  expect(next.outcome.authentication.serialNumber).not.toBe(first.outcome.authentication.serialNumber);
  expect(proxy.problems).toEqual([]);
  return first;
}

const failedAt = (result: SessionResult | undefined) => result?.error?.message.split(':')[0];

describe('the connection cut after the service answered', () => {
  it('issue: the retry gets the same certificates, and the renewal goes on in the same session', async () => {
    const card = await rig.card();
    const before = { answered: service.answered(ISSUE, 200), cut: proxy.exchanges.filter((e) => e.answerCut).length };
    const { results } = await renewThenAgain(card, [faultAt(viaProxy(), proxy, 'issue', CUT)]);
    expect(results).toHaveLength(1);
    expect(proxy.exchanges.filter((e) => e.answerCut).length - before.cut).toBe(1);
    // Answered twice (the cut answer and the retry's), then once for the next renewal; issued once per renewal id.
    expect(service.answered(ISSUE, 200) - before.answered).toBe(3);
  }, 60_000);

  it('issue, on every attempt: the session fails; the next voids that set and renews under a new renewal id', async () => {
    const card = await rig.card();
    const { results, outcome } = await renewThenAgain(card, [faultAt(viaProxy(), proxy, 'issue', CUT, ATTEMPTS), viaProxy()]);
    expect(failedAt(results[0])).toBe('certificates-issued');
    expect(results[0]!.error).toMatchObject({ cause: { failure: 'unavailable' } });
    // The set whose answer was lost never reached the card: voided, and the renewal went on under another id.
    expect(outcome.renewalId).not.toBe(results[0]!.renewalId);
    expect(rig.journal.get(results[0]!.renewalId)).toMatchObject({ state: 'abandoned', abandonReason: 'rolled-back' });
    expect(await rig.jlis.forTerminal({ id: 'lobby-01', role: 'lobby' }).issuedFor(results[0]!.renewalId)).toBeUndefined();
  }, 60_000);

  it('voidUnconfirmed: the retry finds it voided, and the renewal goes on', async () => {
    const card = await rig.card();
    const voidsBefore = service.answered(VOID, 200);
    const { results } = await renewThenAgain(card, [
      faultAt(viaProxy(), proxy, 'issue', CUT, ATTEMPTS),
      faultAt(viaProxy(), proxy, 'voidUnconfirmed', CUT),
    ]);
    expect(results.map((result) => result.outcome !== undefined)).toEqual([false, true]);
    expect(service.answered(VOID, 200) - voidsBefore).toBe(2);
  }, 60_000);

  it('voidUnconfirmed, on every attempt: no second issue under the voided renewal id; a later session renews', async () => {
    const card = await rig.card();
    const { results } = await renewThenAgain(card, [
      faultAt(viaProxy(), proxy, 'issue', CUT, ATTEMPTS),
      faultAt(viaProxy(), proxy, 'voidUnconfirmed', CUT, ATTEMPTS),
      viaProxy(),
    ]);
    expect(results.map(failedAt)).toEqual(['certificates-issued', 'certificates-issued', undefined]);
  }, 60_000);

  it('confirmWritten: the retry confirms again, which changes nothing', async () => {
    const card = await rig.card();
    const before = service.answered(CONFIRM, 200);
    const { results } = await renewThenAgain(card, [faultAt(viaProxy(), proxy, 'confirmWritten', CUT)]);
    expect(results).toHaveLength(1);
    // The cut answer, the retry's, and the next renewal's.
    expect(service.answered(CONFIRM, 200) - before).toBe(3);
  }, 60_000);

  it('confirmWritten, on every attempt: the card holds the new set, confirmed; the next session finishes the renewal', async () => {
    const card = await rig.card();
    const { results } = await renewThenAgain(card, [faultAt(viaProxy(), proxy, 'confirmWritten', CUT, ATTEMPTS), viaProxy()]);
    expect(failedAt(results[0])).toBe('old-revoked');
  }, 60_000);
});

describe('answers slower than the time-out, and requests dropped', () => {
  it('issue answered after the time-out: the retry gets the stored set', async () => {
    const card = await rig.card();
    const { results } = await renewThenAgain(card, [faultAt(viaProxy(), proxy, 'issue', { kind: 'delay-answer', ms: TIMEOUT_MS + 500 })]);
    expect(results).toHaveLength(1);
  }, 60_000);

  it('issue arriving after the client gave up and retried: the late one and the retry get one set', async () => {
    const card = await rig.card();
    const { results } = await renewThenAgain(card, [faultAt(viaProxy(), proxy, 'issue', { kind: 'delay-request', ms: TIMEOUT_MS + 300 })]);
    expect(results).toHaveLength(1);
  }, 60_000);

  it('confirmWritten arriving late, after the retry confirmed: nothing changes twice', async () => {
    const card = await rig.card();
    const { results } = await renewThenAgain(card, [
      faultAt(viaProxy(), proxy, 'confirmWritten', { kind: 'delay-request', ms: TIMEOUT_MS + 300 }),
    ]);
    expect(results).toHaveLength(1);
  }, 60_000);

  it('issue dropped on every attempt: the session times out with nothing issued; the next renews under the same id', async () => {
    const card = await rig.card();
    const { results } = await renewThenAgain(card, [faultAt(viaProxy(), proxy, 'issue', { kind: 'drop' }, ATTEMPTS), viaProxy()]);
    expect(failedAt(results[0])).toBe('certificates-issued');
    expect(results[0]!.error).toMatchObject({ cause: { failure: 'timeout' } });
  }, 60_000);

  it('confirmWritten answered too late on every attempt: the next session finishes the renewal', async () => {
    const card = await rig.card();
    const { results } = await renewThenAgain(card, [
      faultAt(viaProxy(), proxy, 'confirmWritten', { kind: 'delay-answer', ms: TIMEOUT_MS + 500 }, ATTEMPTS),
      viaProxy(),
    ]);
    expect(failedAt(results[0])).toBe('old-revoked');
    expect(results[0]!.error).toMatchObject({ cause: { failure: 'timeout' } });
  }, 60_000);
});
