import { describe, expect, it } from 'vitest';
import { ReaderError } from '../../main/card/reader-errors';
import type { RenewalStep } from '../../main/store/journal';
import type { RenewalOutcome } from '../../main/session/renewal';
import { sessionMachine } from '../../main/session/session-machine';
import {
  cardSessionOf,
  progressStepOf,
  projectSessionView,
  sessionReference,
  type SessionView,
  type SessionViewExtras,
} from '../../main/session/view';
import { sessionViewSchema } from '../../preload/contract';
import { drive, HOLDER, PROXY_OK, reading, RENEWED } from './helpers/session-drive';

// What the screens are shown of a session (main/session/view.ts): the session
// machines driven with stub actors, each view checked whole, so a field the
// renderer must not get cannot slip in unnoticed, and against the contract's
// schema, which the renderer trusts.

const REFERENCE = 'K7QM-4XRT';

function viewOf(session: ReturnType<typeof drive>, extras: Partial<SessionViewExtras> = {}) {
  const view = projectSessionView(session.actor.getSnapshot(), { reference: REFERENCE, ...extras });
  expect(sessionViewSchema.safeParse(view).success).toBe(true);
  return view;
}

/** The card of `reading()`: a My Number Card whose authentication certificate expires on 2026-03-01 (23:59:59 in Japan). */
const CARD = { kind: 'my-number', authenticationExpires: '2026-03-01', signatureCertificate: true } as const;
/** The rules' decision for the test holder at NOW, inside the window (docs/domain.md: 5 years, to the birthday; capped by nothing). */
const RENEW = {
  outcome: 'renew',
  newExpiry: { authentication: '2031-07-15', signature: '2031-07-15' },
  reasons: ['inside-window', 'signature-renewed'],
} as const;
/** RENEWED's certificates end at 2031-07-15T14:59:59Z: 23:59:59 on the 15th in Japan. */
const RENEWED_VIEW = { authenticationExpires: '2031-07-15', signatureExpires: '2031-07-15' } as const;

describe('the view of the session around the card', () => {
  it('shows the card being read, with nothing from the card yet', () => {
    const session = drive('lobby', { readings: [new Promise(() => undefined)] });
    expect(viewOf(session)).toStrictEqual({ screen: 'reading', reference: REFERENCE, route: 'in-person' });
    expect(cardSessionOf(session.actor.getSnapshot())).toBeUndefined();
  });

  it('shows the card still being read while a card session that just ended has not yet handed back its ending', () => {
    // Between the card session's end and the session hearing of it, the session is `withCard` with no card session running.
    const snapshot = sessionMachine.resolveState({ value: 'withCard', context: { profile: 'counter', route: 'legal-representative' } });
    expect(cardSessionOf(snapshot)).toBeUndefined();
    expect(projectSessionView(snapshot, { reference: REFERENCE })).toStrictEqual({
      screen: 'reading',
      reference: REFERENCE,
      route: 'legal-representative',
    });
  });

  it('shows nothing of a card session that has ended, even in the instant before the session hears of it', async () => {
    const session = drive('lobby', { readings: [reading({ expires: '2026-12-31' })] });
    await session.reach('notYet');
    const views: SessionView[] = [];
    session.actor.subscribe((snapshot) => views.push(projectSessionView(snapshot, { reference: REFERENCE })));
    session.send({ type: 'CARD_REMOVED' });
    await session.reach('ended');
    expect(views).toStrictEqual([
      // The card session is done; the session is still with the card.
      { screen: 'reading', reference: REFERENCE, route: 'in-person' },
      { screen: 'ended', reference: REFERENCE, route: 'in-person', ended: 'not-eligible' },
    ]);
  });

  it('shows an unreadable card as a card-error hand-off, and the ending once it is taken', async () => {
    const session = drive('lobby', { readings: [new ReaderError('card-unresponsive', 'mute')] });
    const handedOff = { reference: REFERENCE, route: 'in-person', handOff: 'card-error', ended: 'handed-off' } as const;
    await session.reach('unreadable');
    expect(viewOf(session)).toStrictEqual({ screen: 'hand-off', ...handedOff });
    session.send({ type: 'CARD_REMOVED' });
    await session.reach('ended');
    expect(viewOf(session)).toStrictEqual({ screen: 'ended', ...handedOff });
  });

  it('shows the ended session with the new expiry dates, as Japan dates', async () => {
    const outcome: RenewalOutcome = {
      renewalId: 'renewal-2',
      authentication: { serialNumber: 'CD34', notAfter: '2031-07-15T14:59:59.000Z' },
      // 15:00 UTC is midnight in Japan: already the next day there.
      signature: { serialNumber: 'EF56', notAfter: '2030-12-31T15:00:00.000Z' },
    };
    const session = drive('lobby', { readings: [reading()], renew: () => outcome });
    await session.toConfirm();
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('done');
    expect(viewOf(session).renewed).toStrictEqual({ authenticationExpires: '2031-07-15', signatureExpires: '2031-01-01' });
    session.send({ type: 'CARD_REMOVED' });
    await session.reach('ended');
    expect(viewOf(session)).toStrictEqual({
      screen: 'ended',
      reference: REFERENCE,
      route: 'in-person',
      renewed: { authenticationExpires: '2031-07-15', signatureExpires: '2031-01-01' },
      ended: 'renewed',
    });
    expect(cardSessionOf(session.actor.getSnapshot())).toBeUndefined();
  });

  it('names no signature expiry when only the authentication certificate was renewed', async () => {
    const { signature: _none, ...authenticationOnly } = RENEWED;
    const session = drive('lobby', { readings: [reading()], renew: () => authenticationOnly });
    await session.toConfirm();
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('done');
    expect(viewOf(session).renewed).toStrictEqual({ authenticationExpires: '2031-07-15' });
  });

  it('shows the wait for a card pulled mid-renewal, then the PINs again saying why, and not beyond them', async () => {
    let renewals = 0;
    let finish: (outcome: RenewalOutcome) => void = () => undefined;
    const session = drive('lobby', {
      readings: [reading(), reading({ resumeRenewalId: 'renewal-1' })],
      renew: () => (renewals++ === 0 ? new ReaderError('card-removed', 'pulled') : new Promise((resolve) => (finish = resolve))),
    });
    await session.toConfirm();
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('cardAway');
    expect(viewOf(session)).toStrictEqual({ screen: 'card-away', reference: REFERENCE, route: 'in-person' });
    session.send({ type: 'CARD_INSERTED' });
    await session.reach('pins.ask');
    expect(viewOf(session)).toMatchObject({ screen: 'pin-entry', resumed: true });
    await session.typePins();
    await session.reach('renewing');
    expect(viewOf(session, { progress: { step: 'writing' } })).toStrictEqual({
      screen: 'renewing',
      reference: REFERENCE,
      route: 'in-person',
      card: CARD,
      eligibility: RENEW,
      progress: { step: 'writing' },
    });
    finish(RENEWED);
    await session.reach('done');
    expect(viewOf(session)).toMatchObject({ screen: 'done', renewed: RENEWED_VIEW });
  });
});

describe('the view of a card session', () => {
  it('walks a lobby renewal screen by screen, each view whole', async () => {
    let finish: (outcome: RenewalOutcome) => void = () => undefined;
    const session = drive('lobby', {
      readings: [reading({ pins: { registry: { state: 'available', triesLeft: 2 } } })],
      verify: (pin) =>
        pin === 'registry' && session.calls.verified.length === 1 ? { result: 'wrong', triesLeft: 1 } : { result: 'verified' },
      renew: () => new Promise((resolve) => (finish = resolve)),
    });
    const base = { reference: REFERENCE, route: 'in-person', card: CARD, eligibility: RENEW } as const;
    await session.reach('status');
    expect(session.cardContext().reading.decision.outcome).toBe('renew');
    expect(viewOf(session, { progress: { step: 'preparing' }, substitutes: { name: 'x', address: 'y' } })).toStrictEqual({
      screen: 'status',
      ...base,
    });
    expect(cardSessionOf(session.actor.getSnapshot())?.value).toBe('status');
    session.send({ type: 'CONTINUE' });
    await session.reach('pins.ask');
    expect(viewOf(session)).toStrictEqual({
      screen: 'pin-entry',
      ...base,
      pin: { name: 'registry', triesLeft: 2, maxTries: 3 },
      pinTypedBy: 'resident',
    });
    session.send({ type: 'PIN_MALFORMED' });
    expect(viewOf(session).pin).toStrictEqual({ name: 'registry', triesLeft: 2, maxTries: 3, lastAttempt: 'malformed' });
    session.send({ type: 'PIN_ENTERED' });
    await session.reach('pins.lastTry');
    expect(viewOf(session)).toStrictEqual({
      screen: 'last-try',
      ...base,
      pin: { name: 'registry', triesLeft: 1, maxTries: 3, lastAttempt: 'wrong' },
      pinTypedBy: 'resident',
    });
    session.send({ type: 'CONFIRM_LAST_TRY' });
    await session.typePins(3);
    await session.reach('confirm');
    expect(viewOf(session)).toStrictEqual({ screen: 'confirm', ...base });
    session.send({ type: 'CONFIRM_RENEWAL' });
    await session.reach('renewing');
    expect(viewOf(session)).toStrictEqual({ screen: 'renewing', ...base });
    expect(viewOf(session, { progress: { step: 'issuing' } }).progress).toStrictEqual({ step: 'issuing' });
    finish(RENEWED);
    await session.reach('done');
    expect(viewOf(session, { progress: { step: 'finishing' } })).toStrictEqual({
      screen: 'done',
      ...base,
      renewed: RENEWED_VIEW,
      ended: 'renewed',
    });
    expect(session.calls.verified).toStrictEqual(['registry', 'registry', 'authentication', 'signature']);
  });

  it('shows the signature password with its five tries (docs/card-protocol.md), and the PIN being verified', async () => {
    let answer: () => void = () => undefined;
    const session = drive('lobby', {
      readings: [reading()],
      verify: (pin) => (pin === 'signature' ? (answer(), { result: 'verified' }) : { result: 'verified' }),
    });
    await session.reach('status');
    session.send({ type: 'CONTINUE' });
    await session.typePins(2);
    await session.reach('pins.ask');
    expect(viewOf(session).pin).toStrictEqual({ name: 'signature', triesLeft: 5, maxTries: 5 });
    await new Promise<void>((resolve) => {
      answer = () => {
        expect(viewOf(session)).toMatchObject({ screen: 'verifying', pin: { name: 'signature', triesLeft: 5, maxTries: 5 } });
        resolve();
      };
      session.send({ type: 'PIN_ENTERED' });
    });
  });

  it('shows the eligibility dates of a card not yet in its window, and of a card to renew first', async () => {
    const notYet = drive('lobby', { readings: [reading({ expires: '2026-12-31' })] });
    await notYet.reach('notYet');
    expect(viewOf(notYet)).toStrictEqual({
      screen: 'not-yet',
      reference: REFERENCE,
      route: 'in-person',
      card: { ...CARD, authenticationExpires: '2026-12-31' },
      // docs/domain.md, "Window": from the day after expiry − 3 months.
      eligibility: { outcome: 'not-yet', opensOn: '2026-10-01', reasons: ['window-not-open'] },
      ended: 'not-eligible',
    });

    const cardFirst = drive('lobby', { readings: [reading({ resident: { ...HOLDER, cardExpires: '2026-02-01' } })] });
    await cardFirst.reach('cardRenewal');
    expect(viewOf(cardFirst)).toStrictEqual({
      screen: 'card-renewal',
      reference: REFERENCE,
      route: 'in-person',
      card: CARD,
      eligibility: { outcome: 'card-renewal-needed', cardExpires: '2026-02-01', reasons: ['card-expires-before-certificates'] },
      ended: 'not-eligible',
    });
  });

  it('shows a card without an authentication certificate with no expiry, handed off', async () => {
    const session = drive('lobby', { readings: [reading({ expires: null, signature: { state: 'absent' } })] });
    await session.reach('handOff');
    expect(viewOf(session)).toStrictEqual({
      screen: 'hand-off',
      reference: REFERENCE,
      route: 'in-person',
      card: { kind: 'my-number', signatureCertificate: false },
      eligibility: { outcome: 'hand-off', reasons: ['no-valid-authentication-certificate'] },
      handOff: 'no-valid-authentication-certificate',
      ended: 'handed-off',
    });
  });

  it('names the PINs the card reported locked on a pin-locked hand-off', async () => {
    const session = drive('lobby', { readings: [reading({ pins: { registry: { state: 'blocked' }, signature: { state: 'blocked' } } })] });
    await session.reach('handOff');
    expect(viewOf(session)).toMatchObject({ screen: 'hand-off', handOff: 'pin-locked', lockedPins: ['registry', 'signature'] });
  });

  it('names the PIN the last wrong entry blocked, and none on other hand-offs', async () => {
    const blocked = drive('lobby', {
      readings: [reading()],
      verify: (pin) => (pin === 'authentication' ? { result: 'blocked' } : { result: 'verified' }),
    });
    await blocked.reach('status');
    blocked.send({ type: 'CONTINUE' });
    await blocked.typePins(2);
    await blocked.reach('handOff');
    expect(viewOf(blocked)).toMatchObject({ handOff: 'pin-blocked', lockedPins: ['authentication'] });
    expect(viewOf(blocked).pin).toBeUndefined();

    const forgotten = drive('lobby', { readings: [reading()] });
    await forgotten.reach('status');
    forgotten.send({ type: 'CONTINUE' });
    await forgotten.reach('pins.ask');
    forgotten.send({ type: 'FORGOT_PIN' });
    await forgotten.reach('handOff');
    expect(viewOf(forgotten).handOff).toBe('pin-forgotten');
    expect(viewOf(forgotten).lockedPins).toBeUndefined();
  });

  it("has staff type a voluntary proxy's PINs from the sealed form, and shows the counter's screens", async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })], substitutes: true });
    await session.reach('routeChoice');
    expect(viewOf(session).screen).toBe('route-choice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'voluntary-proxy' });
    await session.reach('proxyCheck');
    expect(viewOf(session)).toMatchObject({ screen: 'proxy-check', route: 'voluntary-proxy' });
    session.send({ type: 'PROXY_CHECKED', checks: PROXY_OK });
    await session.reach('pins.ask');
    expect(viewOf(session)).toMatchObject({ screen: 'pin-entry', pin: { name: 'registry' }, pinTypedBy: 'staff' });
    await session.typePins();
    await session.reach('substitutes');
    const substitutes = { name: 'name as written', address: 'address as written' };
    expect(viewOf(session, { substitutes, progress: { step: 'preparing' } })).toStrictEqual({
      screen: 'substitutes',
      reference: REFERENCE,
      route: 'voluntary-proxy',
      card: CARD,
      eligibility: RENEW,
      substitutes,
    });
    expect(viewOf(session).substitutes).toBeUndefined();
    session.send({ type: 'SUBSTITUTES_CONFIRMED', accepted: true });
    await session.reach('confirm');
    expect(viewOf(session, { substitutes }).substitutes).toBeUndefined();
  });

  it("shows the legal representative's authority check", async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })] });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'legal-representative' });
    await session.reach('authorityCheck');
    expect(viewOf(session)).toMatchObject({ screen: 'authority-check', route: 'legal-representative' });
  });

  it('shows the checking of substitute characters while it runs', async () => {
    const session = drive('counter', { readings: [reading({ profile: 'counter' })], substitutes: new Promise<boolean>(() => undefined) });
    await session.reach('routeChoice');
    session.send({ type: 'CHOOSE_ROUTE', route: 'in-person' });
    await session.typePins();
    await session.reach('checkingSubstitutes');
    expect(viewOf(session)).toStrictEqual({
      screen: 'checking-substitutes',
      reference: REFERENCE,
      route: 'in-person',
      card: CARD,
      eligibility: RENEW,
    });
  });

  it('walks a PIN reset at the counter: the new PIN twice, no tries shown until it is set, typed by the resident', async () => {
    let set: () => void = () => undefined;
    const session = drive('counter', {
      readings: [reading({ profile: 'counter' })],
      verify: () => ({ result: 'blocked' }),
      reset: () => new Promise<void>((resolve) => (set = resolve)),
    });
    await session.asProxy();
    await session.typePins(1);
    await session.reach('identityCheck');
    expect(viewOf(session)).toStrictEqual({
      screen: 'identity-check',
      reference: REFERENCE,
      route: 'voluntary-proxy',
      card: CARD,
      eligibility: RENEW,
    });
    session.send({ type: 'IDENTITY_CHECKED', check: { documentsA: 1, documentsB: 0, oralQuestioning: false, accepted: true } });
    await session.reach('resettingPins.newPin');
    // The blocked PIN shows no tries while a new one is chosen; a new PIN is the resident's own, whoever brought the card.
    expect(viewOf(session)).toMatchObject({ screen: 'new-pin', pin: { name: 'registry', maxTries: 3 }, pinTypedBy: 'resident' });
    expect(viewOf(session).pin?.triesLeft).toBeUndefined();
    session.send({ type: 'NEW_PIN_ENTERED' });
    await session.reach('resettingPins.newPinAgain');
    expect(viewOf(session)).toMatchObject({ screen: 'new-pin-again', pin: { name: 'registry', maxTries: 3 }, pinTypedBy: 'resident' });
    expect(viewOf(session).pin?.triesLeft).toBeUndefined();
    session.send({ type: 'NEW_PIN_AGAIN', matches: false });
    await session.reach('resettingPins.newPin');
    expect(viewOf(session).pin).toStrictEqual({ name: 'registry', maxTries: 3, lastAttempt: 'mismatch' });
    session.send({ type: 'NEW_PIN_ENTERED' });
    session.send({ type: 'NEW_PIN_AGAIN', matches: true });
    await session.reach('resettingPins.setting');
    expect(viewOf(session)).toMatchObject({
      screen: 'setting-pin',
      pin: { name: 'registry', triesLeft: 0, maxTries: 3 },
      pinTypedBy: 'resident',
    });
    set();
    await session.reach('pins.ask');
    expect(viewOf(session)).toMatchObject({
      screen: 'pin-entry',
      pin: { name: 'registry', triesLeft: 3, maxTries: 3 },
      pinTypedBy: 'staff',
    });
  });
});

describe('the view at the counter on a decision made for the lobby', () => {
  it('names no locked PINs while staff reset them, and shows no tries for a PIN being set that the card reported locked', async () => {
    let set: () => void = () => undefined;
    const locked = { registry: { state: 'blocked' } } as const;
    const session = drive('counter', {
      readings: [reading({ pins: locked, decision: reading({ pins: locked }).decision })],
      reset: () => new Promise<void>((resolve) => (set = resolve)),
    });
    await session.reach('identityCheck');
    const base = { reference: REFERENCE, route: 'in-person', card: CARD } as const;
    const eligibility = { outcome: 'hand-off', reasons: ['inside-window', 'signature-renewed', 'pin-locked'] } as const;
    expect(viewOf(session)).toStrictEqual({ screen: 'identity-check', ...base, eligibility });
    session.send({ type: 'IDENTITY_CHECKED', check: { documentsA: 1, documentsB: 0, oralQuestioning: false, accepted: true } });
    await session.reach('resettingPins.newPin');
    session.send({ type: 'NEW_PIN_ENTERED' });
    session.send({ type: 'NEW_PIN_AGAIN', matches: true });
    await session.reach('resettingPins.setting');
    expect(viewOf(session)).toStrictEqual({
      screen: 'setting-pin',
      ...base,
      eligibility,
      pin: { name: 'registry', maxTries: 3 },
      pinTypedBy: 'resident',
    });
    set();
    await session.reach('pins.ask');
  });
});

describe('the renewal steps as the resident is told them', () => {
  it('groups the journal\'s steps (docs/architecture.md, "Renewal procedure") under the five the screens name', () => {
    // The screens' words (renderer/src/locales/en.json): "Connecting to the issuing service", "Creating new keys on your
    // card", "Issuing the new certificates", "Writing them to your card", "Checking and finishing".
    const told: [RenewalStep, string][] = [
      ['issuer-proof', 'preparing'], // the gateway signs the issuer proof
      ['keys-generated', 'creating-keys'], // a new key pair on the card
      ['certificates-requested', 'issuing'],
      ['certificates-issued', 'issuing'], // gateway.issue
      ['certificates-written', 'writing'], // WRITE STAGED CERTIFICATE
      ['committed', 'writing'], // COMMIT on the card
      ['pins-set', 'finishing'],
      ['verified', 'finishing'],
      ['old-revoked', 'finishing'],
      ['done', 'finishing'],
    ];
    for (const [step, shown] of told) expect(progressStepOf(step), step).toBe(shown);
  });
});

describe('sessionReference: 8 characters from the session id, none misread (no I, O, 0 or 1)', () => {
  it("reads the id's last 40 bits five at a time, lowest first, in the alphabet A–H, J–N, P–Z, 2–9", () => {
    expect(sessionReference('00000000-0000-0000-0000-000000000000')).toBe('AAAA-AAAA');
    expect(sessionReference('ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe('9999-9999');
    // 0x3841fc5da8 is, five bits at a time from the lowest: 8, 13, 23, 24, 31, 0, 1, 7 → J P Z 2 9 A B H.
    expect(sessionReference('ffffffff-ffff-ffff-ffff-ff3841fc5da8')).toBe('JPZ2-9ABH');
    expect(sessionReference('00000000-0000-0000-0000-003841fc5da8')).toBe('JPZ2-9ABH');
  });

  it('gives references the contract accepts', () => {
    for (const id of ['6f1c2a9e-8d4b-4c3e-9a7f-0b5d2e8c1f43', '00000000-0000-4000-8000-000000000001']) {
      expect(sessionReference(id)).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    }
    expect(sessionReference('00000000-0000-4000-8000-000000000001')).toBe('BAAA-AAAA');
  });
});
