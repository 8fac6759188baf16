import { describe, expect, it, vi } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import type { VerifyResult } from '../../main/card/jpki-client';
import { ReaderError } from '../../main/card/reader-errors';
import { RenewalError, type RenewalOutcome } from '../../main/session/renewal';
import { cardSessionMachine, failureName, proxyRejection, sessionMachine } from '../../main/session/session-machine';
import { projectSessionView } from '../../main/session/view';
import { drive, HOLDER, reading, RENEWED } from './helpers/session-drive';

// The session machines driven alone with stub actors (test/unit/helpers/session-drive.ts).

describe('the session machine, driven alone with stub actors', () => {
  it('renews in the lobby: status, the three PINs in order, confirm, renewing, done, and the card taken', async () => {
    const session = drive('lobby', { readings: [reading()] });
    await session.reach('status');
    // Nothing is queued before the PIN screens: the runner takes what is typed only for the PIN at the head of a queue.
    expect(session.cardContext()).toMatchObject({ pinQueue: [], resetQueue: [], verified: [] });
    session.send({ type: 'CONTINUE' });
    for (const pin of ['registry', 'authentication', 'signature']) {
      await session.reach('pins.ask');
      expect(session.cardContext().pinQueue[0]).toBe(pin);
      session.send({ type: 'PIN_ENTERED' });
    }
    await session.reach('confirm');
    expect(session.calls.verified).toEqual(['registry', 'authentication', 'signature']);
    expect(session.cardContext()).toMatchObject({ pinQueue: [], verified: ['registry', 'authentication', 'signature'] });
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
    // A verified entry clears what the screens said about the last one.
    expect(session.cardContext().lastAttempt).toBeUndefined();
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
    expect(session.cardContext()).toMatchObject({ route: 'voluntary-proxy', handOff: 'form-expired', ended: 'handed-off' });
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

  it('ends as an error, saying why, when a bug in the card session asks for a PIN with none queued', async () => {
    // A guard that lets the keypad open on an empty queue: the card session must fail loudly, not ask for nothing.
    const broken = cardSessionMachine.provide({ guards: { pinsDone: () => false } });
    const card = createActor(broken, { input: { profile: 'lobby', route: 'in-person', reading: reading({ pins: NO_PINS }) } });
    const failed = new Promise<unknown>((resolve) => card.subscribe({ error: resolve }));
    card.start();
    card.send({ type: 'CONTINUE' });
    await expect(failed).resolves.toEqual(new Error('the session machine asked for a PIN with none queued'));

    const session = createActor(
      sessionMachine.provide({ actors: { readCard: fromPromise(async () => reading({ pins: NO_PINS })), cardSession: broken } }),
      { input: { profile: 'lobby' } },
    );
    session.start();
    await vi.waitFor(() => expect(session.getSnapshot().value).toBe('withCard'), { timeout: 1000, interval: 2 });
    session.send({ type: 'CONTINUE' });
    await vi.waitFor(() => expect(session.getSnapshot().status).toBe('done'), { timeout: 1000, interval: 2 });
    expect(session.getSnapshot().context).toMatchObject({ ended: 'error', failure: 'Error' });
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

describe('proxyRejection: the first failed check of a voluntary proxy names the hand-off (docs/domain.md, "Voluntary proxy")', () => {
  const ALL_PASS = {
    envelopeSealed: true,
    formWithinValidity: true,
    handedInPerson: true,
    proxyIdentity: 'document-b',
    relationship: 'family',
  } as const;

  it('accepts a sealed envelope, a valid form handed in by the proxy, and the proxy identified by either kind of document', () => {
    expect(proxyRejection(ALL_PASS)).toBeUndefined();
    expect(proxyRejection({ ...ALL_PASS, proxyIdentity: 'document-a', relationship: 'other' })).toBeUndefined();
  });

  it('names each failed check on its own', () => {
    expect(proxyRejection({ ...ALL_PASS, envelopeSealed: false })).toBe('envelope-unsealed');
    expect(proxyRejection({ ...ALL_PASS, formWithinValidity: false })).toBe('form-expired');
    expect(proxyRejection({ ...ALL_PASS, handedInPerson: false })).toBe('form-not-handed-in-person');
    expect(proxyRejection({ ...ALL_PASS, proxyIdentity: 'none' })).toBe('proxy-without-identity');
  });

  it('names the first in the table when several fail', () => {
    const allFail = {
      envelopeSealed: false,
      formWithinValidity: false,
      handedInPerson: false,
      proxyIdentity: 'none',
      relationship: 'other',
    } as const;
    expect(proxyRejection(allFail)).toBe('envelope-unsealed');
    expect(proxyRejection({ ...allFail, envelopeSealed: true })).toBe('form-expired');
    expect(proxyRejection({ ...allFail, envelopeSealed: true, formWithinValidity: true })).toBe('form-not-handed-in-person');
  });
});

describe('failureName: a failure by its kind, never its message (it could quote card data)', () => {
  it('names a reader error by its code and a renewal error by its step', () => {
    expect(failureName(new ReaderError('transmit-failed', 'quoted 1234'))).toBe('ReaderError(transmit-failed)');
    expect(failureName(new RenewalError('keys-generated', 'quoted 1234'))).toBe('RenewalError(keys-generated)');
  });

  it('names any other error by its name, with a string code when it has one (a Node system error)', () => {
    expect(failureName(new TypeError('quoted 1234'))).toBe('TypeError');
    expect(failureName(Object.assign(new Error('quoted 1234'), { code: 'ECONNRESET' }))).toBe('Error(ECONNRESET)');
    expect(failureName(Object.assign(new RangeError('quoted 1234'), { code: 42 }))).toBe('RangeError');
  });

  it('calls anything thrown that is not an error just "Error"', () => {
    expect(failureName('quoted 1234')).toBe('Error');
    expect(failureName({ name: 'Pretender', code: 'x' })).toBe('Error');
    expect(failureName(undefined)).toBe('Error');
  });
});

const IDENTITY_ACCEPTED = { documentsA: 1, documentsB: 0, oralQuestioning: false, accepted: true } as const;
const IDENTITY_REFUSED = { documentsA: 0, documentsB: 1, oralQuestioning: false, accepted: false } as const;
const NO_PINS = { registry: { state: 'absent' }, authentication: { state: 'absent' }, signature: { state: 'absent' } } as const;
const UNDER_15 = { ...HOLDER, dateOfBirth: '2015-01-01' };

describe('routing a card that was read', () => {
  it('sends a card that ends before its certificates to the card renewal, ending not-eligible, with no PIN asked', async () => {
    const session = drive('lobby', { readings: [reading({ resident: { ...HOLDER, cardExpires: '2026-02-01' } })] });
    await session.reach('cardRenewal');
    session.send({ type: 'CARD_REMOVED' });
    await session.reach('ended');
    expect(session.ending()).toMatchObject({ ended: 'not-eligible' });
    expect(session.ending().handOff).toBeUndefined();
    expect(session.calls.verified).toEqual([]);
  });

  it("hands off a card it cannot renew at all by the decision's reason, and keeps that ending when the card is taken", async () => {
    for (const [options, reason] of [
      [{ kind: 'juki' }, 'juki-card'],
      [{ expires: null }, 'no-valid-authentication-certificate'],
      [{ pins: { registry: { state: 'blocked' } } }, 'pin-locked'],
    ] as const) {
      const session = drive('lobby', { readings: [reading(options)] });
      await session.reach('handOff');
      expect(session.cardContext()).toMatchObject({ handOff: reason, ended: 'handed-off' });
      session.send({ type: 'TIMEOUT' });
      await session.reach('ended');
      expect(session.ending()).toMatchObject({ handOff: reason, ended: 'handed-off' });
      expect(session.calls.verified).toEqual([]);
    }
  });

  it('hands off at the counter too a card staff cannot act on', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter', kind: 'juki' })] });
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ handOff: 'juki-card', ended: 'handed-off' });
    expect(session.cardContext().resetQueue).toEqual([]);
  });

  it('hands off in the lobby what only staff can do: a face-authentication card, a legal representative, PINs to reset', async () => {
    const faceAuth = drive('lobby', { readings: [reading({ kind: 'face-auth', pins: NO_PINS, signature: { state: 'absent' } })] });
    await faceAuth.reach('handOff');
    expect(faceAuth.cardContext()).toMatchObject({ handOff: 'face-auth-staff-only', ended: 'handed-off' });

    const under15 = drive('lobby', { readings: [reading({ resident: UNDER_15 })] });
    await under15.reach('handOff');
    expect(under15.cardContext()).toMatchObject({ route: 'in-person', handOff: 'legal-representative-required', ended: 'handed-off' });

    // Even a decision that lists PINs to reset (the counter's) starts no identity check where there are no staff.
    const locked = { registry: { state: 'blocked' } } as const;
    const counterDecision = reading({ profile: 'counter', pins: locked }).decision;
    const resets = drive('lobby', { readings: [reading({ pins: locked, decision: counterDecision })] });
    await resets.reach('status');
    expect(resets.cardContext().resetQueue).toEqual([]);
  });

  it('leaves a resident alone at the status screen; the counter chooses the route first', async () => {
    const lobby = drive('lobby', { readings: [reading()] });
    await lobby.reach('status');
    const counter = drive('counter', { readings: [reading({ profile: 'counter' })] });
    await counter.reach('routeChoice');
    counter.send({ type: 'CONTINUE' });
    expect(counter.where()).toBe('routeChoice');
  });

  it('shows the counter the status screen too when the issuing service is down, then the PINs, then the hand-off', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter', resident: null })] });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.typePins();
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ handOff: 'service-unavailable', ended: 'handed-off' });
    expect(session.calls.verified).toEqual(['registry', 'authentication', 'signature']);
    expect(session.calls.substituteChecks).toBe(0);
  });

  it('has the counter reset the PINs the decision lists before anything else, after an identity check', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter', pins: { registry: { state: 'blocked' } } })] });
    await session.reach('identityCheck');
    expect(session.cardContext().resetQueue).toEqual(['registry']);
    session.send({ type: 'IDENTITY_CHECKED', check: IDENTITY_ACCEPTED });
    await session.reach('resettingPins.newPin');
    session.send({ type: 'PIN_MALFORMED' });
    expect(session.where()).toBe('resettingPins.newPin');
    expect(session.cardContext().lastAttempt).toBe('malformed');
    session.send({ type: 'NEW_PIN_ENTERED' });
    await session.reach('resettingPins.newPinAgain');
    session.send({ type: 'NEW_PIN_AGAIN', matches: true });
    await session.reach('pins.ask');
    expect(session.calls.reset).toEqual(['registry']);
    // The reset PIN is then verified with the others, its tries full again.
    expect(session.cardContext()).toMatchObject({ pinQueue: ['registry', 'authentication', 'signature'], triesLeft: 3 });
    expect(session.cardContext().lastAttempt).toBeUndefined();
  });

  it('hands off when staff do not accept the identity check', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter', pins: { registry: { state: 'blocked' } } })] });
    await session.reach('identityCheck');
    session.send({ type: 'IDENTITY_CHECKED', check: IDENTITY_REFUSED });
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ handOff: 'identity-not-confirmed', ended: 'handed-off' });
    expect(session.calls.reset).toEqual([]);
  });

  it('hands off as a card error when the card refuses the reset', async () => {
    const session = drive('counter', {
      readings: [reading({ profile: 'counter', pins: { registry: { state: 'blocked' } } })],
      reset: () => {
        throw new ReaderError('transmit-failed', 'refused');
      },
    });
    await session.reach('identityCheck');
    session.send({ type: 'IDENTITY_CHECKED', check: IDENTITY_ACCEPTED });
    await session.reach('resettingPins.newPin');
    session.send({ type: 'NEW_PIN_ENTERED' });
    session.send({ type: 'NEW_PIN_AGAIN', matches: true });
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ handOff: 'card-error', ended: 'handed-off' });
  });

  describe('at the counter, on a decision the rules make for the lobby (staff act on what the lobby hands off)', () => {
    it('takes a face-authentication card, which has no PINs, straight to the confirmation', async () => {
      const decision = reading({ kind: 'face-auth', pins: NO_PINS, signature: { state: 'absent' } }).decision;
      const session = drive('counter', {
        readings: [reading({ kind: 'face-auth', pins: NO_PINS, signature: { state: 'absent' }, decision })],
      });
      await session.reach('confirm');
      session.send({ type: 'CONFIRM_RENEWAL' });
      await session.reach('done');
      expect(session.calls.verified).toEqual([]);
      expect(session.calls.renewed).toEqual([{ route: 'in-person', signature: false }]);
    });

    it("checks a legal representative's authority, then asks the PINs a renewal without the signature certificate needs", async () => {
      const decision = reading({ resident: UNDER_15 }).decision;
      const session = drive('counter', { readings: [reading({ resident: UNDER_15, decision })] });
      await session.reach('authorityCheck');
      expect(session.cardContext().route).toBe('legal-representative');
      session.send({ type: 'AUTHORITY_CHECKED', proven: true });
      await session.typePins(2);
      await session.reach('confirm');
      expect(session.calls.verified).toEqual(['registry', 'authentication']);
      expect(session.calls.substituteChecks).toBe(0);
      session.send({ type: 'CONFIRM_RENEWAL' });
      await session.reach('done');
      expect(session.calls.renewed).toEqual([{ route: 'legal-representative', signature: false }]);
    });

    it('resets the locked PINs after an identity check', async () => {
      const locked = { registry: { state: 'blocked' }, signature: { state: 'blocked' } } as const;
      const decision = reading({ pins: locked }).decision;
      const session = drive('counter', { readings: [reading({ pins: locked, decision })] });
      await session.reach('identityCheck');
      expect(session.cardContext().resetQueue).toEqual(['registry', 'signature']);
      session.send({ type: 'IDENTITY_CHECKED', check: IDENTITY_ACCEPTED });
      for (let pin = 0; pin < 2; pin++) {
        await session.reach('resettingPins.newPin');
        session.send({ type: 'NEW_PIN_ENTERED' });
        session.send({ type: 'NEW_PIN_AGAIN', matches: true });
      }
      await session.reach('pins.ask');
      expect(session.calls.reset).toEqual(['registry', 'signature']);
    });
  });

  it('hands off a legal representative whose authority is not proven', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })] });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'legal-representative' });
    await session.reach('authorityCheck');
    session.send({ type: 'AUTHORITY_CHECKED', proven: false });
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ route: 'legal-representative', handOff: 'authority-not-proven', ended: 'handed-off' });
  });

  it('lets a voluntary proxy that passes every check on to the PINs and renews on that route', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })] });
    await session.asProxy();
    await session.typePins();
    await session.reach('confirm');
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('done');
    expect(session.calls.renewed).toEqual([{ route: 'voluntary-proxy', signature: true }]);
  });
});

describe('the PINs', () => {
  it('asks only the PINs the card has, in order, and the signature password only when that certificate is renewed', async () => {
    const noRegistry = drive('lobby', { readings: [reading({ pins: { registry: { state: 'absent' } } })] });
    await noRegistry.reach('status');
    noRegistry.send({ type: 'CONTINUE' });
    await noRegistry.reach('pins.ask');
    expect(noRegistry.cardContext().pinQueue).toEqual(['authentication', 'signature']);

    const under15 = drive('counter', { readings: [reading({ profile: 'counter', resident: UNDER_15 })] });
    await under15.reach('routeChoice');
    under15.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await under15.reach('pins.ask');
    expect(under15.cardContext().pinQueue).toEqual(['registry', 'authentication']);
  });

  it('asks the signature password offline only when the card holds that certificate', async () => {
    const without = drive('lobby', { readings: [reading({ resident: null, signature: { state: 'absent' } })] });
    await without.reach('status');
    without.send({ type: 'CONTINUE' });
    await without.reach('pins.ask');
    expect(without.cardContext().pinQueue).toEqual(['registry', 'authentication']);

    const withIt = drive('lobby', { readings: [reading({ resident: null })] });
    await withIt.reach('status');
    withIt.send({ type: 'CONTINUE' });
    await withIt.reach('pins.ask');
    expect(withIt.cardContext().pinQueue).toEqual(['registry', 'authentication', 'signature']);
  });

  it('starts each PIN with the tries the card reports, and one already verified with its full count', async () => {
    const session = drive('lobby', {
      readings: [reading({ pins: { registry: { state: 'available', triesLeft: 2 }, authentication: { state: 'verified' } } })],
    });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.reach('pins.ask');
    expect(session.cardContext().triesLeft).toBe(2);
    session.send({ type: 'PIN_ENTERED' });
    await vi.waitFor(() => expect(session.cardContext().pinQueue[0]).toBe('authentication'), { timeout: 1000, interval: 2 });
    await session.reach('pins.ask');
    expect(session.cardContext().triesLeft).toBe(3);
    session.send({ type: 'PIN_ENTERED' });
    await vi.waitFor(() => expect(session.cardContext().pinQueue[0]).toBe('signature'), { timeout: 1000, interval: 2 });
    expect(session.cardContext().triesLeft).toBe(5);
  });

  it('shows 0 tries for a PIN the card reports blocked when the counter checks offline, and resets it once the card says so', async () => {
    // With the issuing service down the counter gets no renew decision listing the PINs to reset: the keypad shows 0.
    const session = drive('counter', {
      readings: [reading({ profile: 'counter', resident: null, pins: { registry: { state: 'blocked' } } })],
      verify: (pin) => (pin === 'registry' ? { result: 'blocked' } : { result: 'verified' }),
    });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.reach('pins.ask');
    expect(session.cardContext()).toMatchObject({ pinQueue: ['registry', 'authentication', 'signature'], triesLeft: 0 });
    session.send({ type: 'PIN_ENTERED' });
    await session.reach('identityCheck');
    expect(session.cardContext().resetQueue).toEqual(['registry']);
  });

  it('asks for confirmation first when the card has one try left, and forgets the confirmation for the next PIN', async () => {
    const session = drive('lobby', {
      readings: [
        reading({ pins: { registry: { state: 'available', triesLeft: 1 }, authentication: { state: 'available', triesLeft: 1 } } }),
      ],
    });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.reach('pins.lastTry');
    session.send({ type: 'CONFIRM_LAST_TRY' });
    await session.reach('pins.ask');
    session.send({ type: 'PIN_ENTERED' });
    await session.reach('pins.lastTry');
    expect(session.cardContext().pinQueue[0]).toBe('authentication');
    expect(session.calls.verified).toEqual(['registry']);
  });

  it('asks for confirmation again when a wrong entry leaves one try', async () => {
    const session = drive('lobby', {
      readings: [reading({ pins: { registry: { state: 'available', triesLeft: 2 } } })],
      verify: () => ({ result: 'wrong', triesLeft: 1 }),
    });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.reach('pins.ask');
    session.send({ type: 'PIN_ENTERED' });
    await session.reach('pins.lastTry');
    expect(session.cardContext()).toMatchObject({ triesLeft: 1, lastAttempt: 'wrong', lastTryConfirmed: false });
  });

  it('hands off a forgotten PIN in the lobby, from the keypad or the last-try screen', async () => {
    for (const triesLeft of [3, 1]) {
      const session = drive('lobby', { readings: [reading({ pins: { registry: { state: 'available', triesLeft } } })] });
      await session.reach('status');
      session.send({ type: 'CONTINUE' });
      await session.reach(triesLeft === 1 ? 'pins.lastTry' : 'pins.ask');
      session.send({ type: 'FORGOT_PIN' });
      await session.reach('handOff');
      expect(session.cardContext()).toMatchObject({ handOff: 'pin-forgotten', ended: 'handed-off' });
    }
  });

  it('has the counter reset a forgotten PIN after an identity check, from the keypad or the last-try screen', async () => {
    for (const triesLeft of [3, 1]) {
      const session = drive('counter', {
        readings: [reading({ profile: 'counter', pins: { authentication: { state: 'available', triesLeft } } })],
      });
      await session.reach('routeChoice');
      session.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
      await session.typePins(1);
      await session.reach(triesLeft === 1 ? 'pins.lastTry' : 'pins.ask');
      expect(session.cardContext().pinQueue[0]).toBe('authentication');
      session.send({ type: 'FORGOT_PIN' });
      await session.reach('identityCheck');
      expect(session.cardContext().resetQueue).toEqual(['authentication']);
      expect(session.cardContext().handOff).toBeUndefined();
    }
  });

  it("hands off as a card error, by the failure's kind, when verifying fails", async () => {
    const session = drive('lobby', {
      readings: [reading()],
      verify: () => {
        throw new ReaderError('transmit-failed', 'the reader broke');
      },
    });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.typePins(1);
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ handOff: 'card-error', ended: 'handed-off', failure: 'ReaderError(transmit-failed)' });
  });

  it('at the counter, a PIN blocked by the last entry is reset with no tries left shown', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })], verify: () => ({ result: 'blocked' }) });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await session.typePins(1);
    await session.reach('identityCheck');
    expect(session.cardContext()).toMatchObject({ resetQueue: ['registry'], triesLeft: 0 });
    expect(session.cardContext().handOff).toBeUndefined();
  });
});

describe('after the PINs', () => {
  it('checks substitute characters only at the counter and only when the signature password was verified', async () => {
    const lobby = drive('lobby', { readings: [reading()], substitutes: true });
    await lobby.toConfirm();
    expect(lobby.calls.substituteChecks).toBe(0);

    const none = drive('counter', { readings: [reading({ profile: 'counter' })], substitutes: false });
    await none.reach('routeChoice');
    none.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await none.typePins();
    await none.reach('confirm');
    expect(none.calls.substituteChecks).toBe(1);
  });

  it('goes on to the confirmation when the resident accepts the substitute characters', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })], substitutes: true });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await session.typePins();
    await session.reach('substitutes');
    session.send({ type: 'SUBSTITUTES_CONFIRMED', accepted: true });
    await session.reach('confirm');
    expect(session.cardContext().handOff).toBeUndefined();
  });

  it('hands off as a card error when the substitute check fails', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })], substitutes: new ReaderError('transmit-failed', 'x') });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await session.typePins();
    await session.reach('handOff');
    expect(session.cardContext()).toMatchObject({ handOff: 'card-error', ended: 'handed-off' });
  });

  it('waits on the confirmation screen until the resident confirms', async () => {
    const session = drive('lobby', { readings: [reading()] });
    await session.toConfirm();
    session.send({ type: 'CONTINUE' });
    session.send({ type: 'PIN_ENTERED' });
    expect(session.where()).toBe('confirm');
    expect(session.calls.renewed).toEqual([]);
  });

  it('hands the ending, the hand-off and the failure to the session around when the card is taken', async () => {
    const session = drive('lobby', { readings: [reading()], renew: () => new RenewalError('certificates-issued', 'refused') });
    await session.toConfirm();
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('handOff');
    session.send({ type: 'CARD_REMOVED' });
    await session.reach('ended');
    expect(session.ending()).toEqual({
      profile: 'lobby',
      route: 'in-person',
      ended: 'handed-off',
      handOff: 'gateway-failure',
      failure: 'RenewalError(certificates-issued)',
    });
  });
});

describe('the session around the card', () => {
  it('ends a session cancelled or timed out while the card is still being read', async () => {
    for (const [type, ended] of [
      ['CANCEL', 'cancelled'],
      ['TIMEOUT', 'timed-out'],
      ['CARD_REMOVED', 'card-removed'],
    ] as const) {
      const session = drive('lobby', { readings: [reading()] });
      expect(session.where()).toBe('reading');
      session.send({ type });
      await session.reach('ended');
      expect(session.ending().ended).toBe(ended);
    }
  });

  it('ends a card session timed out, keeping the route staff chose', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })] });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'voluntary-proxy' });
    await session.reach('proxyCheck');
    session.send({ type: 'TIMEOUT' });
    await session.reach('ended');
    expect(session.ending()).toEqual({ profile: 'counter', route: 'voluntary-proxy', ended: 'timed-out' });
  });

  it("keeps an unreadable card's hand-off when the session times out", async () => {
    const session = drive('lobby', { readings: [new ReaderError('card-unresponsive', 'mute')] });
    await session.reach('unreadable');
    session.send({ type: 'TIMEOUT' });
    await session.reach('ended');
    expect(session.ending()).toMatchObject({ ended: 'handed-off', handOff: 'card-error' });
  });

  /** A voluntary proxy's renewal at the counter whose card is pulled during the first renewal step. */
  const pulledMidRenewal = async () => {
    let renewals = 0;
    const session = drive('counter', {
      readings: [reading({ profile: 'counter' }), reading({ profile: 'counter', resumeRenewalId: 'renewal-1' })],
      renew: () => (renewals++ === 0 ? new ReaderError('card-removed', 'pulled') : RENEWED),
    });
    await session.asProxy();
    await session.typePins();
    await session.reach('confirm');
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('cardAway');
    // Waiting for the card is no ending: the card session handed back its route alone.
    expect(session.ending()).toEqual({ profile: 'counter', route: 'voluntary-proxy' });
    return session;
  };

  it('keeps the route across a card pulled mid-renewal: read again, the PINs again, the renewal resumed on that route', async () => {
    const session = await pulledMidRenewal();
    session.send({ type: 'CARD_INSERTED' });
    await session.reach('pins.ask');
    expect(session.cardContext().route).toBe('voluntary-proxy');
    await session.typePins();
    await session.reach('done');
    expect(session.calls.renewed.at(-1)).toEqual({ resumeRenewalId: 'renewal-1', route: 'voluntary-proxy', signature: true });
    session.send({ type: 'CANCEL' });
    await session.reach('ended');
    expect(session.ending().ended).toBe('renewed');
  });

  it('routes a card put back with no renewal left unfinished afresh: staff choose who is at the counter again', async () => {
    let renewals = 0;
    const session = drive('counter', {
      readings: [reading({ profile: 'counter' }), reading({ profile: 'counter' })],
      renew: () => (renewals++ === 0 ? new ReaderError('card-removed', 'pulled') : RENEWED),
    });
    await session.asProxy();
    await session.typePins();
    await session.reach('confirm');
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('cardAway');
    session.send({ type: 'CARD_INSERTED' });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await session.typePins();
    await session.reach('confirm');
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('done');
    expect(session.calls.renewed).toEqual([
      { route: 'voluntary-proxy', signature: true },
      { route: 'in-person', signature: true },
    ]);
  });

  it('ends the wait for a pulled card on a cancel or a time-out', async () => {
    for (const [type, ended] of [
      ['CANCEL', 'cancelled'],
      ['TIMEOUT', 'timed-out'],
    ] as const) {
      const session = await pulledMidRenewal();
      session.send({ type });
      await session.reach('ended');
      expect(session.ending()).toEqual({ profile: 'counter', route: 'voluntary-proxy', ended });
    }
  });
});

describe('a runner that forgot to provide an actor', () => {
  // The machines' own actors refuse: the session hands off or is unreadable, named as a plain Error, instead of going on.
  const cardAlone = (machine: typeof cardSessionMachine, profile: 'lobby' | 'counter', options: Parameters<typeof reading>[0] = {}) => {
    const card = createActor(machine, { input: { profile, route: 'in-person', reading: reading({ profile, ...options }) } });
    card.start();
    return card;
  };
  const settlesIn = (card: ReturnType<typeof cardAlone>, state: string | object) =>
    vi.waitFor(() => expect(card.getSnapshot().value).toEqual(state), { timeout: 1000, interval: 2 });

  it('cannot read the card without readCard', async () => {
    const session = createActor(sessionMachine, { input: { profile: 'lobby' } });
    session.start();
    await vi.waitFor(() => expect(session.getSnapshot().value).toBe('unreadable'), { timeout: 1000, interval: 2 });
    expect(session.getSnapshot().context).toMatchObject({ handOff: 'card-error', ended: 'handed-off', failure: 'Error' });
  });

  it('hands off at the first PIN without verifyPin', async () => {
    const card = cardAlone(cardSessionMachine, 'lobby');
    card.send({ type: 'CONTINUE' });
    card.send({ type: 'PIN_ENTERED' });
    await settlesIn(card, 'handOff');
    expect(card.getSnapshot().context).toMatchObject({ handOff: 'card-error', failure: 'Error' });
  });

  it('hands off the renewal without renew', async () => {
    const card = cardAlone(cardSessionMachine, 'lobby', { pins: NO_PINS });
    card.send({ type: 'CONTINUE' });
    card.send({ type: 'CONFIRM_RENEWAL' });
    await settlesIn(card, 'handOff');
    expect(card.getSnapshot().context).toMatchObject({ handOff: 'card-error', failure: 'Error' });
    expect(card.getSnapshot().context.outcome).toBeUndefined();
  });

  it('hands off the substitute check without checkSubstitutes', async () => {
    const verifying = cardSessionMachine.provide({
      actors: { verifyPin: fromPromise(async (): Promise<VerifyResult> => ({ result: 'verified' })) },
    });
    const card = cardAlone(verifying, 'counter');
    card.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    for (let pin = 0; pin < 3; pin++) {
      await settlesIn(card, { pins: 'ask' });
      card.send({ type: 'PIN_ENTERED' });
    }
    await settlesIn(card, 'handOff');
    expect(card.getSnapshot().context.handOff).toBe('card-error');
  });

  it('hands off the PIN reset without resetPin', async () => {
    const card = cardAlone(cardSessionMachine, 'counter', { pins: { registry: { state: 'blocked' } } });
    card.send({ type: 'IDENTITY_CHECKED', check: IDENTITY_ACCEPTED });
    card.send({ type: 'NEW_PIN_ENTERED' });
    card.send({ type: 'NEW_PIN_AGAIN', matches: true });
    await settlesIn(card, 'handOff');
    expect(card.getSnapshot().context.handOff).toBe('card-error');
  });
});
