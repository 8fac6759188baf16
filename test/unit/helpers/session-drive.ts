import { expect, vi } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import type { CardStatus, VerifyResult } from '../../../main/card/jpki-client';
import { decideEligibility, type CardFacts, type EligibilityDecision, type ResidentFacts } from '../../../main/domain/eligibility';
import type { PinId, PinStatus } from '../../../main/domain/pin-rules';
import type { RenewalOutcome } from '../../../main/session/renewal';
import {
  cardSessionMachine,
  sessionMachine,
  type CardReading,
  type RenewInput,
  type SessionEvent,
} from '../../../main/session/session-machine';

// The session machines driven alone (no card, no database, no network): every
// actor is a stub supplied through machine.provide, so each test reads as the
// transitions it protects. Shared by the machine's tests and the view's.

export const NOW = new Date('2026-01-13T01:00:00Z'); // A Tuesday morning in Japan.
export const HOLDER: ResidentFacts = { dateOfBirth: '1985-07-15', cardExpires: '2031-07-15', adultWard: false };

export type Pins = Partial<Record<'authentication' | 'signature' | 'registry', PinStatus>>;

export interface ReadingOptions {
  /** The authentication certificate's expiry (a Japan date); `null`: the card has none. */
  expires?: string | null;
  pins?: Pins;
  /** The holder's record; `null`: the issuing service could not be reached. */
  resident?: ResidentFacts | null;
  /** The profile the eligibility rules decide for (the machine's own profile is `drive`'s). */
  profile?: 'lobby' | 'counter';
  kind?: CardFacts['kind'];
  signature?: CardFacts['signature'];
  resumeRenewalId?: string;
  /** A decision of the test's own, instead of the rules' (a case the rules reach only elsewhere). */
  decision?: EligibilityDecision;
}

/** What the runner would read from a test card at NOW, with the rules' decision. */
export function reading(options: ReadingOptions = {}): CardReading {
  const pins = {
    authentication: { state: 'available', triesLeft: 3 },
    signature: { state: 'available', triesLeft: 5 },
    registry: { state: 'available', triesLeft: 3 },
    ...options.pins,
  } satisfies CardStatus['pins'];
  const expires = options.expires === null ? undefined : (options.expires ?? '2026-03-01');
  const kind = options.kind ?? 'my-number';
  const signature = options.signature ?? { state: 'present' };
  const status: CardStatus = {
    kind,
    tokenLabel: 'JPKIAPICCTOKEN2',
    signatureCertificatePresent: signature.state !== 'absent',
    ...(expires
      ? {
          authenticationCertificate: {
            serialNumber: 'AB12',
            issuer: 'CN=test',
            subject: 'CN=test',
            notBefore: new Date('2021-03-01T00:00:00+09:00'),
            notAfter: new Date(`${expires}T23:59:59+09:00`),
            der: new Uint8Array(),
          },
        }
      : {}),
    pins,
  };
  const resident = options.resident === null ? undefined : (options.resident ?? HOLDER);
  const decision =
    options.decision ??
    decideEligibility({
      at: NOW,
      card: { kind, ...(expires ? { authentication: { expires } } : {}), signature, pins },
      ...(resident ? { resident } : {}),
      profile: options.profile ?? 'lobby',
    });
  return {
    status,
    decision,
    ...(options.resumeRenewalId ? { resumeRenewalId: options.resumeRenewalId } : {}),
  };
}

/** A voluntary proxy's checks that all pass (docs/domain.md, "Voluntary proxy"). */
export const PROXY_OK = {
  envelopeSealed: true,
  formWithinValidity: true,
  handedInPerson: true,
  proxyIdentity: 'document-a',
  relationship: 'family',
} as const;

export const RENEWED: RenewalOutcome = {
  renewalId: 'renewal-1',
  authentication: { serialNumber: 'CD34', notAfter: '2031-07-15T14:59:59.000Z' },
  signature: { serialNumber: 'EF56', notAfter: '2031-07-15T14:59:59.000Z' },
};

export interface Stubs {
  /** What each reading of the card gives, in turn (the last one again after the end); a promise holds the reading back. */
  readings: (CardReading | Error | Promise<CardReading>)[];
  verify?: (pin: PinId) => VerifyResult;
  /** What resetting a PIN does: nothing (done) unless this throws or waits. */
  reset?: (pin: PinId) => void | Promise<void>;
  renew?: (input: RenewInput) => RenewalOutcome | Error | Promise<RenewalOutcome>;
  /** What the substitute-character check finds (a promise: it is still running). */
  substitutes?: boolean | Error | Promise<boolean>;
}

/** The machine with stub actors; every call they get is recorded. */
export function drive(profile: 'lobby' | 'counter', stubs: Stubs) {
  const calls = { reads: 0, verified: [] as PinId[], reset: [] as PinId[], renewed: [] as RenewInput[], substituteChecks: 0 };
  const machine = sessionMachine.provide({
    actors: {
      readCard: fromPromise(async () => {
        const next = stubs.readings[Math.min(calls.reads, stubs.readings.length - 1)];
        calls.reads++;
        if (!next || next instanceof Error) throw next ?? new Error('no reading staged');
        return next;
      }),
      cardSession: cardSessionMachine.provide({
        actors: {
          verifyPin: fromPromise(async ({ input }: { input: { pin: PinId } }) => {
            calls.verified.push(input.pin);
            return stubs.verify?.(input.pin) ?? { result: 'verified' as const };
          }),
          resetPin: fromPromise(async ({ input }: { input: { pin: PinId } }): Promise<void> => {
            calls.reset.push(input.pin);
            await stubs.reset?.(input.pin);
          }),
          checkSubstitutes: fromPromise(async () => {
            calls.substituteChecks++;
            if (stubs.substitutes instanceof Error) throw stubs.substitutes;
            return (await stubs.substitutes) ?? false;
          }),
          renew: fromPromise(async ({ input }: { input: RenewInput }) => {
            calls.renewed.push(input);
            const outcome = await (stubs.renew?.(input) ?? RENEWED);
            if (outcome instanceof Error) throw outcome;
            return outcome;
          }),
        },
      }),
    },
  });
  const actor = createActor(machine, { input: { profile } });
  actor.start();
  /** Where the session stands: the card session's state path while it runs, else the session's own state. */
  const where = (): string => {
    const snapshot = actor.getSnapshot();
    const card = snapshot.value === 'withCard' ? snapshot.children.card?.getSnapshot() : undefined;
    const value = card?.status === 'active' ? card.value : snapshot.value;
    return typeof value === 'string' ? value : Object.entries(value).map(([outer, inner]) => `${outer}.${String(inner)}`)[0]!;
  };
  const cardContext = () => {
    const card = actor.getSnapshot().children.card?.getSnapshot();
    if (!card) throw new Error('no card session');
    return card.context;
  };
  const reach = (state: string) => vi.waitFor(() => expect(where()).toBe(state), { timeout: 1000, interval: 2 });
  const send = (event: SessionEvent) => actor.send(event);
  /** The resident types each PIN asked for (the stubs decide what the card answers). */
  const typePins = async (count = 3) => {
    for (let pin = 0; pin < count; pin++) {
      await reach('pins.ask');
      send({ type: 'PIN_ENTERED' });
    }
  };
  /** At the counter: staff choose the voluntary-proxy route and every check passes; the keypad comes next. */
  const asProxy = async () => {
    await reach('routeChoice');
    send({ type: 'CHOOSE_ROUTE', route: 'voluntary-proxy' });
    await reach('proxyCheck');
    send({ type: 'PROXY_CHECKED', checks: PROXY_OK });
  };
  /** From the status screen through the three PINs to the confirmation. */
  const toConfirm = async () => {
    await reach('status');
    send({ type: 'CONTINUE' });
    await typePins();
    await reach('confirm');
  };
  return { actor, calls, where, reach, send, typePins, asProxy, toConfirm, cardContext, ending: () => actor.getSnapshot().context };
}
