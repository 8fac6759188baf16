import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayFault, GatewayOperation } from '../../main/simulation/jlis/service';
import { RenewalError, runRenewal } from '../../main/session/renewal';
import { renewalRig, type Rig } from '../support/renewal-rig';

// Each call the renewal makes to the issuing service, failing in each way.
// Whatever happens, the card holds a complete set (old or new), the service
// issued at most once per renewal id, the audit chain verifies, and the next
// attempt on the same card completes the renewal.

let rig: Rig;
beforeAll(async () => {
  rig = await renewalRig();
}, 60_000);
afterAll(() => rig.close());

const OPERATIONS: GatewayOperation[] = ['issuerProof', 'issuedFor', 'issue', 'confirmWritten', 'certificateStatus'];
const FAULTS: GatewayFault[] = [
  { kind: 'timeout', ms: 20, times: 1 },
  { kind: 'server-error', times: 1 },
  { kind: 'unavailable', times: 1 },
  { kind: 'garbled-answer', times: 1 },
  { kind: 'garbled-answer', garble: 'wrong-key', times: 1 },
];

describe('the issuing service failing during a renewal', () => {
  const cases = OPERATIONS.flatMap((operation) => FAULTS.map((fault) => [operation, fault] as const));
  it.each(
    cases.map(
      ([operation, fault]) => [`${operation}: ${fault.kind}${'garble' in fault ? ` (${fault.garble})` : ''}`, operation, fault] as const,
    ),
  )(
    '%s',
    async (_label, operation, fault) => {
      const card = await rig.card('standard-in-window');
      const first = await card.client();
      await card.verifyPins(first.client);
      const renewalId = rig.journal.beginRenewal(card.identity, 'in-person');
      const plan = { renewalId, oldAuthenticationSerial: card.identity.authenticationSerial, signature: true, route: 'in-person' as const };

      rig.jlis.setFault(operation, fault);
      const failure = await runRenewal(card.context(first.client), plan).then(
        () => undefined,
        (error: unknown) => error,
      );
      rig.jlis.clearFaults();
      // A fault may be absorbed (e.g. a garbled status answer after the work was done): then it renewed anyway.
      if (failure !== undefined) expect(failure).toBeInstanceOf(RenewalError);
      expect(card.heldSet()).not.toBe('mixed');

      if (failure !== undefined) {
        // The resident (or staff) tries again with the same card: a new power cycle, PINs again.
        card.card.powerDown();
        const again = await card.client();
        await card.verifyPins(again.client);
        const open = rig.journal.unfinishedFor(card.identity);
        const outcome = await runRenewal(card.context(again.client), { ...plan, renewalId: open!.renewalId });
        expect(rig.journal.get(outcome.renewalId)?.state).toBe('done');
      }
      expect(card.heldSet()).toBe('new');
      expect([...(await rig.issuesPerRenewal()).values()].every((count) => count === 1)).toBe(true);
      expect(rig.audit.verify()).toMatchObject({ ok: true });
    },
    60_000,
  );
});
