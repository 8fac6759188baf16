import { describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import type { CardStatus, VerifyResult } from '../../main/card/jpki-client';
import { ReaderError } from '../../main/card/reader-errors';
import { decideEligibility, type ResidentFacts } from '../../main/domain/eligibility';
import type { PinId, PinStatus } from '../../main/domain/pin-rules';
import { RenewalError, type RenewalOutcome } from '../../main/session/renewal';
import { projectSessionView } from '../../main/session/view';
import {
  cardSessionMachine,
  sessionMachine,
  type CardReading,
  type RenewInput,
  type SessionEvent,
} from '../../main/session/session-machine';

// The session machines driven alone (no card, no database, no network): every
// actor is a stub supplied through machine.provide, so each test reads as the
// transitions it protects.

const NOW = new Date('2026-01-13T01:00:00Z'); // A Tuesday morning in Japan.
const HOLDER: ResidentFacts = { dateOfBirth: '1985-07-15', cardExpires: '2031-07-15', adultWard: false };

type Pins = Partial<Record<'authentication' | 'signature' | 'registry', PinStatus>>;

function reading(
  options: { expires?: string; pins?: Pins; resident?: ResidentFacts | null; profile?: 'lobby' | 'counter'; resumeRenewalId?: string } = {},
): CardReading {
  const pins = {
    authentication: { state: 'available', triesLeft: 3 },
    signature: { state: 'available', triesLeft: 5 },
    registry: { state: 'available', triesLeft: 3 },
    ...options.pins,
  } satisfies CardStatus['pins'];
  const expires = options.expires ?? '2026-03-01';
  const status: CardStatus = {
    kind: 'my-number',
    tokenLabel: 'JPKIAPICCTOKEN2',
    signatureCertificatePresent: true,
    authenticationCertificate: {
      serialNumber: 'AB12',
      issuer: 'CN=test',
      subject: 'CN=test',
      notBefore: new Date('2021-03-01T00:00:00+09:00'),
      notAfter: new Date(`${expires}T23:59:59+09:00`),
      der: new Uint8Array(),
    },
    pins,
  };
  const resident = options.resident === null ? undefined : (options.resident ?? HOLDER);
  const decision = decideEligibility({
    at: NOW,
    card: { kind: 'my-number', authentication: { expires }, signature: { state: 'present' }, pins },
    ...(resident ? { resident } : {}),
    profile: options.profile ?? 'lobby',
  });
  return {
    status,
    decision,
    gatewayDown: resident === undefined,
    ...(options.resumeRenewalId ? { resumeRenewalId: options.resumeRenewalId } : {}),
  };
}

const RENEWED: RenewalOutcome = {
  renewalId: 'renewal-1',
  authentication: { serialNumber: 'CD34', notAfter: '2031-07-15T14:59:59.000Z' },
  signature: { serialNumber: 'EF56', notAfter: '2031-07-15T14:59:59.000Z' },
};

interface Stubs {
  readings: (CardReading | Error)[];
  verify?: (pin: PinId) => VerifyResult;
  renew?: (input: RenewInput) => RenewalOutcome | Error | Promise<RenewalOutcome>;
  substitutes?: boolean;
}

/** The machine with stub actors; every call they get is recorded. */
function drive(profile: 'lobby' | 'counter', stubs: Stubs) {
  const calls = { reads: 0, verified: [] as PinId[], reset: [] as PinId[], renewed: [] as RenewInput[] };
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
          }),
          checkSubstitutes: fromPromise(async () => stubs.substitutes ?? false),
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
  /** From the status screen through the three PINs to the confirmation. */
  const toConfirm = async () => {
    await reach('status');
    send({ type: 'CONTINUE' });
    await typePins();
    await reach('confirm');
  };
  return { actor, calls, where, reach, send, typePins, toConfirm, cardContext, ending: () => actor.getSnapshot().context };
}

describe('the session machine, driven alone with stub actors', () => {
  it('renews in the lobby: status, the three PINs in order, confirm, renewing, done, and the card taken', async () => {
    const session = drive('lobby', { readings: [reading()] });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    for (const pin of ['registry', 'authentication', 'signature']) {
      await session.reach('pins.ask');
      expect(session.cardContext().pinQueue[0]).toBe(pin);
      session.send({ type: 'PIN_ENTERED' });
    }
    await session.reach('confirm');
    expect(session.calls.verified).toEqual(['registry', 'authentication', 'signature']);
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('done');
    expect(session.calls.renewed).toEqual([{ route: 'in-person', signature: true }]);
    session.send({ type: 'CARD_REMOVED' });
    await session.reach('ended');
    expect(session.actor.getSnapshot().status).toBe('done');
    expect(session.ending()).toMatchObject({ ended: 'renewed', outcome: RENEWED });
  });

  it('asks again after a wrong PIN, and confirms before the last try', async () => {
    let tries = 3;
    const session = drive('lobby', {
      readings: [reading()],
      verify: (pin) => (pin === 'registry' && tries > 1 ? { result: 'wrong', triesLeft: --tries } : { result: 'verified' }),
    });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.reach('pins.ask');
    session.send({ type: 'PIN_ENTERED' });
    await session.reach('pins.ask');
    expect(session.cardContext()).toMatchObject({ triesLeft: 2, lastAttempt: 'wrong' });
    session.send({ type: 'PIN_ENTERED' });
    await session.reach('pins.lastTry');
    // Nothing is verified from the last-try screen: only its confirmation leads back to the keypad.
    session.send({ type: 'PIN_ENTERED' });
    expect(session.where()).toBe('pins.lastTry');
    session.send({ type: 'CONFIRM_LAST_TRY' });
    await session.reach('pins.ask');
    session.send({ type: 'PIN_ENTERED' });
    await session.reach('pins.ask');
    expect(session.cardContext().pinQueue[0]).toBe('authentication');
    expect(session.calls.verified).toEqual(['registry', 'registry', 'registry']);
  });

  it('keeps a malformed value from the card: no try spent, the keypad again', async () => {
    const session = drive('lobby', { readings: [reading()] });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.reach('pins.ask');
    session.send({ type: 'PIN_MALFORMED' });
    expect(session.where()).toBe('pins.ask');
    expect(session.cardContext().lastAttempt).toBe('malformed');
    expect(session.calls.verified).toEqual([]);
  });

  it('hands off a PIN blocked by the last try in the lobby; at the counter it goes to the identity check and the reset', async () => {
    const lobby = drive('lobby', { readings: [reading()], verify: () => ({ result: 'blocked' }) });
    await lobby.reach('status');
    lobby.send({ type: 'CONTINUE' });
    await lobby.reach('pins.ask');
    lobby.send({ type: 'PIN_ENTERED' });
    await lobby.reach('handOff');
    expect(lobby.cardContext()).toMatchObject({ handOff: 'pin-blocked', ended: 'handed-off' });

    let blocked = false;
    const counter = drive('counter', {
      readings: [reading({ profile: 'counter' })],
      verify: (pin) => (pin === 'registry' && !blocked ? ((blocked = true), { result: 'blocked' }) : { result: 'verified' }),
    });
    await counter.reach('routeChoice');
    counter.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await counter.reach('pins.ask');
    counter.send({ type: 'PIN_ENTERED' });
    await counter.reach('identityCheck');
    expect(counter.cardContext().resetQueue).toEqual(['registry']);
    counter.send({ type: 'IDENTITY_CHECKED', check: { documentsA: 1, documentsB: 0, oralQuestioning: false, accepted: true } });
    await counter.reach('resettingPins.newPin');
    counter.send({ type: 'NEW_PIN_ENTERED' });
    await counter.reach('resettingPins.newPinAgain');
    counter.send({ type: 'NEW_PIN_AGAIN', matches: false });
    await counter.reach('resettingPins.newPin');
    expect(counter.cardContext().lastAttempt).toBe('mismatch');
    counter.send({ type: 'NEW_PIN_ENTERED' });
    counter.send({ type: 'NEW_PIN_AGAIN', matches: true });
    await counter.reach('pins.ask');
    expect(counter.calls.reset).toEqual(['registry']);
    // The reset PIN is asked again with its full tries.
    expect(counter.cardContext()).toMatchObject({ pinQueue: ['registry', 'authentication', 'signature'], triesLeft: 3 });
  });

  it('names the hand-off by the error type when a renewal step fails', async () => {
    for (const [error, handOff] of [
      [new RenewalError('certificates-issued', 'the service refused'), 'gateway-failure'],
      [new ReaderError('transmit-failed', 'the reader broke'), 'card-error'],
      [new TypeError('anything else'), 'card-error'],
    ] as const) {
      const session = drive('lobby', { readings: [reading()], renew: () => error });
      await session.toConfirm();
      session.send({ type: 'CONFIRM_RENEWAL' });
      await session.reach('handOff');
      expect(session.cardContext()).toMatchObject({ handOff, ended: 'handed-off' });
      expect(session.cardContext().failure).toMatch(new RegExp(`^${error.name}`));
    }
  });

  it('waits for a card pulled during a renewal step, reads it again and resumes the renewal', async () => {
    let renewals = 0;
    const session = drive('lobby', {
      readings: [reading(), reading({ resumeRenewalId: 'renewal-1' })],
      renew: () => (renewals++ === 0 ? new ReaderError('card-removed', 'pulled') : RENEWED),
    });
    const view = () => projectSessionView(session.actor.getSnapshot(), { reference: 'K7QM-4XRT' });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.reach('pins.ask');
    // The first time the PINs are asked, there is nothing to explain.
    expect(view()).toMatchObject({ screen: 'pin-entry' });
    expect(view().resumed).toBeUndefined();
    await session.typePins();
    await session.reach('confirm');
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('cardAway');
    // The reader may say the card is gone once more: it is already being waited for.
    session.send({ type: 'CARD_REMOVED' });
    expect(session.where()).toBe('cardAway');
    session.send({ type: 'CARD_INSERTED' });
    // The same card: PINs again (the power cycle cleared them), then the renewal goes on without a second confirmation.
    // The PIN screens say why they ask again (view \`resumed\`).
    await session.reach('pins.ask');
    expect(view()).toMatchObject({ screen: 'pin-entry', resumed: true });
    await session.typePins();
    await session.reach('done');
    expect(session.calls.reads).toBe(2);
    expect(session.calls.renewed.at(-1)).toEqual({ resumeRenewalId: 'renewal-1', route: 'in-person', signature: true });
  });

  it('lets nothing interrupt a renewal step: a time-out, a cancel or a pull wait for the step to end', async () => {
    let finish: (outcome: RenewalOutcome) => void = () => undefined;
    const session = drive('lobby', { readings: [reading()], renew: () => new Promise((resolve) => (finish = resolve)) });
    await session.toConfirm();
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('renewing');
    session.send({ type: 'TIMEOUT' });
    session.send({ type: 'CANCEL' });
    session.send({ type: 'CARD_REMOVED' });
    expect(session.where()).toBe('renewing');
    finish(RENEWED);
    await session.reach('done');
    // After it, the idle reset closes the session and keeps "renewed" as its ending.
    session.send({ type: 'TIMEOUT' });
    await session.reach('ended');
    expect(session.ending().ended).toBe('renewed');
  });

  it('hands off a card it cannot read, and ends when the card is taken', async () => {
    const session = drive('lobby', { readings: [new ReaderError('card-unresponsive', 'mute')] });
    await session.reach('unreadable');
    expect(session.ending()).toMatchObject({ handOff: 'card-error', ended: 'handed-off', failure: 'ReaderError(card-unresponsive)' });
    session.send({ type: 'CARD_REMOVED' });
    await session.reach('ended');
    expect(session.ending().ended).toBe('handed-off');
  });

  it('hands off a voluntary proxy at the first failed check, and names it', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })] });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'voluntary-proxy' });
    await session.reach('proxyCheck');
    session.send({
      type: 'PROXY_CHECKED',
      checks: { envelopeSealed: true, formWithinValidity: false, handedInPerson: false, proxyIdentity: 'none', relationship: 'other' },
    });
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ route: 'voluntary-proxy', handOff: 'form-expired' });
  });

  it('sends a card not yet in its window to "not yet", ending not-eligible', async () => {
    const session = drive('lobby', { readings: [reading({ expires: '2026-12-31' })] });
    await session.reach('notYet');
    session.send({ type: 'CARD_REMOVED' });
    await session.reach('ended');
    expect(session.ending().ended).toBe('not-eligible');
    expect(session.calls.verified).toEqual([]);
  });

  it('checks the PINs offline when the issuing service cannot be reached, then hands off', async () => {
    const session = drive('lobby', { readings: [reading({ resident: null })] });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.typePins();
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ handOff: 'service-unavailable', ended: 'handed-off' });
    expect(session.calls.renewed).toEqual([]);
  });

  it('has the resident confirm substitute characters at the counter after the password, and hands off when declined', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })], substitutes: true });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await session.typePins();
    await session.reach('substitutes');
    session.send({ type: 'SUBSTITUTES_CONFIRMED', accepted: false });
    await session.reach('handOff');
    expect(session.cardContext().handOff).toBe('substitute-characters-declined');
  });

  it('lets the resident cancel before the renewal, and a card pulled early ends the session as pulled', async () => {
    const cancelled = drive('lobby', { readings: [reading()] });
    await cancelled.reach('status');
    cancelled.send({ type: 'CANCEL' });
    await cancelled.reach('ended');
    expect(cancelled.ending().ended).toBe('cancelled');

    const pulled = drive('lobby', { readings: [reading()] });
    await pulled.reach('status');
    pulled.send({ type: 'CONTINUE' });
    await pulled.reach('pins.ask');
    pulled.send({ type: 'CARD_REMOVED' });
    await pulled.reach('ended');
    expect(pulled.ending().ended).toBe('card-removed');
  });

  it('ends as an error, not in a hang, when the card session itself breaks', async () => {
    const machine = sessionMachine.provide({
      actors: {
        readCard: fromPromise(async () => reading()),
        cardSession: cardSessionMachine.provide({
          actions: {
            queuePinsToVerify: () => {
              throw new TypeError('a bug in the card session');
            },
          },
        }),
      },
    });
    const actor = createActor(machine, { input: { profile: 'lobby' } });
    actor.start();
    await vi.waitFor(() => expect(actor.getSnapshot().value).toBe('withCard'), { timeout: 1000, interval: 2 });
    actor.send({ type: 'CONTINUE' });
    await vi.waitFor(() => expect(actor.getSnapshot().status).toBe('done'), { timeout: 1000, interval: 2 });
    expect(actor.getSnapshot().context).toMatchObject({ ended: 'error', failure: 'TypeError' });
  });
});
