import { createPublicKey, X509Certificate } from 'node:crypto';
import { expect } from 'vitest';
import type { IssuanceGateway } from '../../main/issuance/gateway';
import { runRenewal, type RenewalOutcome } from '../../main/session/renewal';
import type { CardIdentity } from '../../main/store/journal';
import type { FaultProxy, ProxyFault } from './fault-proxy';
import type { Rig, RigCard } from './renewal-rig';

/**
 * Renewals driven through the kiosk's HTTPS client while the network or the
 * service fails (test/unit/renewal-network-faults.test.ts,
 * test/integration/service-process-faults.test.ts): one session at a time,
 * as a resident at the terminal would go through them, and what must hold
 * after each whatever failed.
 */

type Operation = keyof IssuanceGateway;

/**
 * The gateway as a test sees it: `before` runs once, just before the first
 * call of `operation` (arming the proxy for that very call, killing the
 * service, …); `after` runs once after its first call returned.
 */
export function hooked(
  gateway: IssuanceGateway,
  operation: Operation,
  hooks: { before?: () => void | Promise<void>; after?: () => void | Promise<void> },
): IssuanceGateway {
  let before = hooks.before;
  let after = hooks.after;
  return new Proxy(gateway, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== operation || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        const run = before;
        before = undefined;
        await run?.();
        const result = (await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as unknown;
        const then = after;
        after = undefined;
        await then?.();
        return result;
      };
    },
  });
}

/** The gateway with `fault` armed on the proxy for the first call of `operation`, for `times` requests. */
export function faultAt(gateway: IssuanceGateway, proxy: FaultProxy, operation: Operation, fault: ProxyFault, times = 1) {
  return hooked(gateway, operation, { before: () => proxy.arm(fault, times) });
}

/** What a card holds: each certificate, and whether each key has its own certificate (a complete set). */
export interface HeldSet {
  complete: boolean;
  authentication: Buffer;
  signature: Buffer | undefined;
  serial: string;
}

export function heldSet(card: RigCard): HeldSet {
  const jpki = card.card.snapshot().jpki!;
  const slots = card.hasSignature ? (['authentication', 'signature'] as const) : (['authentication'] as const);
  const complete = slots.every((slot) => {
    const { privateKey, certificate } = jpki[slot];
    if (!privateKey || !certificate) return false;
    const certificateKey = new X509Certificate(Buffer.from(certificate, 'base64')).publicKey.export({ type: 'spki', format: 'der' });
    return certificateKey.equals(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  });
  const der = (slot: 'authentication' | 'signature') => {
    const base64 = jpki[slot].certificate;
    return base64 ? Buffer.from(base64, 'base64') : undefined;
  };
  const authentication = der('authentication')!;
  return {
    complete,
    authentication,
    signature: card.hasSignature ? der('signature') : undefined,
    serial: new X509Certificate(authentication).serialNumber.toUpperCase(),
  };
}

/** The card as the terminal identifies it now (its current authentication certificate). */
function identityNow(card: RigCard): CardIdentity {
  return { tokenLabel: card.identity.tokenLabel, authenticationSerial: heldSet(card).serial };
}

/** A session's end: the renewal's outcome or its error, and the renewal id it began or resumed. */
export type SessionResult = { renewalId: string } & (
  { outcome: RenewalOutcome; error?: undefined } | { outcome?: undefined; error: Error }
);

/**
 * One session at the terminal: the card powered up afresh, its PINs
 * verified, and the renewal run — the card's unfinished one resumed, or a
 * new one begun — as the session runner does it.
 */
export async function renewalSession(rig: Rig, card: RigCard, gateway: IssuanceGateway): Promise<SessionResult> {
  card.card.powerDown();
  const { client } = await card.client();
  await card.verifyPins(client);
  const identity = identityNow(card);
  const open = rig.journal.unfinishedFor(identity);
  const renewalId = open?.renewalId ?? rig.journal.beginRenewal(identity, 'in-person');
  try {
    const outcome = await runRenewal(
      {
        client,
        gateway,
        journal: rig.journal,
        now: () => new Date(),
        replaceRenewal: (old) => {
          rig.journal.abandon(old, 'rolled-back');
          return rig.journal.beginRenewal(identity, 'in-person');
        },
      },
      {
        renewalId,
        oldAuthenticationSerial: open?.card.authenticationSerial ?? identity.authenticationSerial,
        signature: card.hasSignature,
        route: 'in-person',
      },
    );
    return { renewalId, outcome };
  } catch (error) {
    return { renewalId, error: error as Error };
  }
}

/**
 * What must hold after any session, failed or not: the card holds a
 * complete set, the old one or the new one; the old certificates are
 * revoked exactly when the service took the new set as confirmed, and only
 * if the card holds it; the set on the card is valid; the service issued at
 * most once under each renewal id. `issuing` is asked about statuses (the
 * issuing side itself, not through the faulty network).
 */
export async function expectWhole(
  rig: Rig,
  card: RigCard,
  before: HeldSet,
  issuing: IssuanceGateway,
  earlierRenewals: ReadonlySet<string> = new Set(),
): Promise<'old' | 'new'> {
  const now = heldSet(card);
  expect(now.complete, 'the card holds a complete set').toBe(true);
  const held = now.authentication.equals(before.authentication) ? 'old' : 'new';
  if (held === 'old') expect(now.signature?.equals(before.signature!) ?? true, 'never an old certificate beside a new one').toBe(true);
  const confirmed = (await issuing.lookupResident(before.serial))?.authenticationSerial !== before.serial;
  if (held === 'old') expect(confirmed, 'the old set is not replaced while the card still holds it').toBe(false);
  const oldStatus = confirmed ? 'revoked' : 'valid';
  expect(await issuing.certificateStatus(before.authentication)).toBe(oldStatus);
  if (before.signature) expect(await issuing.certificateStatus(before.signature)).toBe(oldStatus);
  if (held === 'new') {
    expect(await issuing.certificateStatus(now.authentication)).toBe('valid');
    if (now.signature) expect(await issuing.certificateStatus(now.signature)).toBe('valid');
  }
  for (const [renewalId, issues] of await rig.issuesPerRenewal())
    if (!earlierRenewals.has(renewalId)) expect(issues, `issues under ${renewalId}`).toBe(1);
  return held;
}

/**
 * Sessions until the renewal is done, one per entry of `sessions` (the
 * gateway of that session, or what happens before it and gives it), each
 * checked; then the new set is in force.
 */
export async function renewUntilDone(
  rig: Rig,
  card: RigCard,
  sessions: (IssuanceGateway | (() => Promise<IssuanceGateway>))[],
  issuing: IssuanceGateway,
): Promise<{ results: SessionResult[]; outcome: RenewalOutcome }> {
  const before = heldSet(card);
  // Only this renewal's ids are checked, so one case's failure does not fail the cases after it.
  const earlier = new Set((await rig.issuesPerRenewal()).keys());
  const results: SessionResult[] = [];
  for (const session of sessions) {
    const gateway = typeof session === 'function' ? await session() : session;
    const result = await renewalSession(rig, card, gateway);
    results.push(result);
    await expectWhole(rig, card, before, issuing, earlier);
    if (result.outcome) {
      expect(await expectWhole(rig, card, before, issuing, earlier)).toBe('new');
      expect(heldSet(card).serial).toBe(result.outcome.authentication.serialNumber);
      expect(rig.journal.get(result.outcome.renewalId)?.state).toBe('done');
      expect(rig.journal.unfinishedFor(identityNow(card))).toBeUndefined();
      return { results, outcome: result.outcome };
    }
  }
  throw new Error(`not renewed after ${sessions.length} sessions: ${results.map((result) => result.error?.message).join(' | ')}`);
}
