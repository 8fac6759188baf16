import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldSet, renewalSession } from '../support/network-renewal';
import { renewalRig, type Rig, type RigCard } from '../support/renewal-rig';
import { serviceRig, type ServiceRig } from '../support/service-rig';

// Many terminals renewing at once against one issuing service over mutual
// TLS (docs/issuing-service.md, "Network faults"): each terminal with its
// own enrolled certificate and its own resident's card. Every renewal
// succeeds, each is issued once and confirmed once, and each confirmation
// revokes that card's old set and nobody else's.

const TERMINALS = 24;
let rig: Rig;
let service: ServiceRig;

beforeAll(async () => {
  rig = await renewalRig();
  service = await serviceRig(rig.jlis, join(rig.dir, 'service'));
}, 60_000);

afterAll(async () => {
  await service?.close();
  await rig?.close();
});

describe('terminals renewing at once', () => {
  it(`${TERMINALS} terminals, one card each: every renewal done, no double issue, no double revoke`, async () => {
    const terminals: { id: string; card: RigCard; gateway: ReturnType<ServiceRig['client']> }[] = [];
    for (let n = 1; n <= TERMINALS; n++) {
      const id = `lobby-${String(n).padStart(2, '0')}`;
      terminals.push({
        id,
        card: await rig.card(),
        // A generous time-out: the cards' key generation shares this process's event loop, and a retry would blur the counts below.
        gateway: service.client(await service.terminal(id), { timeoutMs: 30_000, backoffMs: 100 }),
      });
    }
    const before = terminals.map(({ card }) => heldSet(card));
    const started = performance.now();
    const results = await Promise.all(terminals.map(({ card, gateway }) => renewalSession(rig, card, gateway)));
    const elapsed = performance.now() - started;

    expect(results.map((result) => result.error?.message)).toEqual(results.map(() => undefined));
    const renewalIds = new Set(results.map((result) => result.outcome!.renewalId));
    expect(renewalIds.size).toBe(TERMINALS);
    const issues = await rig.issuesPerRenewal();
    for (const renewalId of renewalIds) expect(issues.get(renewalId), renewalId).toBe(1);
    // Confirmed once each, with no retry needed: every old set revoked by its own renewal.
    expect(service.answered('/v1/renewals/:renewalId/confirm', 200)).toBe(TERMINALS);
    expect(service.answered('/v1/renewals/:renewalId/issue', 200)).toBe(TERMINALS);

    for (const [index, { card }] of terminals.entries()) {
      const now = heldSet(card);
      const old = before[index]!;
      expect(now.complete).toBe(true);
      expect(now.serial).toBe(results[index]!.outcome!.authentication.serialNumber);
      expect(await rig.jlis.certificateStatus(old.authentication)).toBe('revoked');
      expect(await rig.jlis.certificateStatus(old.signature!)).toBe('revoked');
      // No other terminal's confirmation touched this card's new set.
      expect(await rig.jlis.certificateStatus(now.authentication)).toBe('valid');
      expect(await rig.jlis.certificateStatus(now.signature!)).toBe('valid');
      expect((await rig.jlis.lookupResident(old.serial))?.authenticationSerial).toBe(now.serial);
    }
    // Every request came from, and was put down to, the terminal that made it.
    const seen = new Set(service.log.filter((line) => line.event === 'service-request').map((line) => line.terminal));
    expect(seen).toEqual(new Set(terminals.map(({ id }) => id)));
    expect(elapsed).toBeLessThan(90_000);
  }, 180_000);
});
