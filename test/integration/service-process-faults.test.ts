import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuanceGateway } from '../../main/issuance/gateway';
import { startPostgres, type PostgresHandle } from '../../main/harness/postgres-sandbox';
import { listPersonas } from '../../main/simulation/personas';
import { CLI } from '../support/cli-harness';
import { FaultProxy } from '../support/fault-proxy';
import { hooked, renewUntilDone } from '../support/network-renewal';
import { renewalRig, type Rig } from '../support/renewal-rig';
import { ServiceProcess } from '../support/service-rig';

// `npx myna-kiosk service` in its own process, SIGKILLed in the middle of a
// renewal and started again (docs/issuing-service.md, "Network faults"). The
// kiosk reaches it through the fault proxy, which follows it to its new
// port. The service's records are on a PostgreSQL server this test starts
// (Debian's, main/harness/postgres-sandbox.ts), shared with this test's
// simulated J-LIS (which enrols the residents and is asked for statuses);
// the server itself is also restarted mid-renewal. After every session the card holds a whole set, the old
// one is revoked only once the new one is confirmed, one issue per renewal
// id; the renewal ends done, and the card's next renewal succeeds.

let rig: Rig;
let service: ServiceProcess;
let proxy: FaultProxy;
let postgres: PostgresHandle;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  postgres = await startPostgres();
  const database = await postgres.createDatabase('jlis');
  rig = await renewalRig({ database });
  service = await ServiceProcess.start(join(rig.dir, 'service'), join(rig.dir, 'jlis'), database);
  proxy = await FaultProxy.start({ targetPort: service.port, maxConnectionMs: 30_000 });
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await service?.stop();
  await rig?.close();
  await postgres?.stop();
});

const viaProxy = (): IssuanceGateway => service.client({ url: proxy.url, attempts: 3, timeoutMs: 3_000, backoffMs: 20 });

/**
 * SIGKILLs the service. The kiosk's session can see its connection cut before this process has seen the
 * child's exit, so whoever restarts it waits for that first.
 */
let killed: Promise<void> = Promise.resolve();
function killService(): Promise<void> {
  killed = service.kill();
  return killed;
}

/** Starts the killed service again, points the proxy at it, and gives the next session its gateway. */
async function restarted(): Promise<IssuanceGateway> {
  await killed;
  expect(service.running).toBe(false);
  await service.restart();
  proxy.retarget(service.port);
  return viaProxy();
}

/** The renewal whose first session meets the kill and whose second comes after the restart, then the card's next renewal. */
async function renewAcrossKill(first: IssuanceGateway) {
  const card = await rig.card();
  const renewal = await renewUntilDone(rig, card, [first, restarted], rig.jlis);
  expect(renewal.results).toHaveLength(2);
  await renewUntilDone(rig, card, [viaProxy()], rig.jlis);
  expect(proxy.problems).toEqual([]);
  return renewal.results[0]!;
}

const failedAt = (error: Error | undefined) => error?.message.split(':')[0];

describe('the issuing service process killed mid-renewal', () => {
  it('between issue and confirmWritten: the card committed the new set, the old stays valid; after the restart it finishes', async () => {
    const first = await renewAcrossKill(hooked(viaProxy(), 'issue', { after: () => killService() }));
    // The next call after issue is the status check of the new certificates read back from the card.
    expect(failedAt(first.error)).toBe('verified');
    expect(first.error).toMatchObject({ cause: { failure: 'unavailable' } });
  }, 120_000);

  it('during issue, after it committed, before its answer arrived: the set survives; the next session voids it and renews', async () => {
    let cut = 0;
    const killedAtAnswer = hooked(viaProxy(), 'issue', {
      before: () => {
        proxy.arm({ kind: 'cut-after-answer' });
        proxy.once('answer-cut', () => {
          cut++;
          void killService();
        });
      },
    });
    const first = await renewAcrossKill(killedAtAnswer);
    expect(cut).toBe(1);
    expect(failedAt(first.error)).toBe('certificates-issued');
    // What the killed service issued was on disk: the restarted one voided it, and the renewal went on under a new id.
    expect(rig.journal.get(first.renewalId)).toMatchObject({ state: 'abandoned', abandonReason: 'rolled-back' });
    expect((await rig.issuesPerRenewal()).get(first.renewalId)).toBe(1);
  }, 120_000);

  it('during issue, as the request reaches it: whether or not it issued, the renewal finishes after the restart', async () => {
    const killedOnArrival = hooked(viaProxy(), 'issue', {
      before: () => {
        proxy.once('request', () => setImmediate(() => void killService()));
      },
    });
    const first = await renewAcrossKill(killedOnArrival);
    expect(failedAt(first.error)).toBe('certificates-issued');
  }, 120_000);

  it('the database restarted between issue and confirmWritten: the service answers again, and the renewal finishes', async () => {
    const card = await rig.card();
    // A crash-like restart of PostgreSQL (immediate: clients cut) while the card is being written.
    const databaseRestarted = hooked(viaProxy(), 'issue', { after: () => postgres.restart() });
    const renewal = await renewUntilDone(rig, card, [databaseRestarted, viaProxy()], rig.jlis);
    // The first session may ride through the restart (the client tries again) or fail and leave it to the next.
    expect(renewal.results.length).toBeGreaterThanOrEqual(1);
    await renewUntilDone(rig, card, [viaProxy()], rig.jlis);
    expect(service.running).toBe(true);
    expect(proxy.problems).toEqual([]);
  }, 120_000);

  it("logged every request with its terminal, and no resident's PIN, My Number, name or address", () => {
    const lines = service.log
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((line) => line.event === 'service-request');
    expect(requests.length).toBeGreaterThan(20);
    expect(new Set(requests.map((line) => line.terminal))).toEqual(new Set(['lobby-01']));
    const persona = listPersonas().find((candidate) => candidate.id === 'standard-in-window')!;
    // Every text the log holds (numbers are times and statuses), searched for each secret as a whole token.
    const texts = lines.flatMap((line) => Object.values(line).filter((value): value is string => typeof value === 'string'));
    const secrets = [
      ...Object.values(persona.pins ?? {}).map((pin) => pin.value),
      persona.myNumber,
      persona.holder?.name,
      persona.holder?.address,
    ].filter((value): value is string => typeof value === 'string' && value !== '');
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const secret of secrets) {
      const token = new RegExp(`(?<![0-9A-Za-z])${secret}(?![0-9A-Za-z])`);
      expect(
        texts.filter((text) => token.test(text)),
        'a secret in the service log',
      ).toEqual([]);
    }
  });
});
