import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CustomerSession } from '../../main/session/session-runner';
import { AVAILABILITY } from '../../main/simulation/card/build-card-image';
import { connectTo, resident, runSession } from '../support/customer-session';
import { countingLookups, renewalRig, type Rig } from '../support/renewal-rig';

// What the session runner itself does between the screens and the card
// (main/session/session-runner.ts): which cards it asks the issuing service
// about, what it does with PINs typed at the wrong moment or in the wrong
// form, which clock it decides by, and that listeners hear each view once.

let rig: Rig;
beforeAll(async () => {
  rig = await renewalRig();
}, 60_000);
afterAll(() => rig.close());

const pinRows = (session: CustomerSession) =>
  rig.audit
    .rowsAfter(0, 1_000_000)
    .filter((row) => row.sessionId === session.sessionId && row.event.startsWith('pin-'))
    .map((row) => row.event);

describe('the resident look-up', () => {
  it.each([
    ['standard-in-window', 'renewed'],
    ['face-authentication-card', 'handed-off'],
  ] as const)(
    '%s: the issuing service is asked once, by the authentication certificate; the session ends %s',
    async (persona, end) => {
      const card = await rig.card(persona);
      const { gateway, asked } = countingLookups(rig.jlis);
      const { result } = await runSession(rig, card, resident(card), { gateway });
      expect(result.end).toBe(end);
      expect(asked()).toBe(1);
    },
    60_000,
  );
});

describe('what the card says of its signature certificate', () => {
  it('on the card: the status screen gives the signature certificate the same new expiry, and both are renewed', async () => {
    const card = await rig.card('standard-in-window');
    const { result, views } = await runSession(rig, card, resident(card));
    const status = views.find((view) => view.screen === 'status')!;
    expect(status.card?.signatureCertificate).toBe(true);
    // Renewed in its window with the authentication certificate (both on the card end the same day): the same new expiry.
    const { newExpiry } = status.eligibility!;
    expect(newExpiry).toEqual({ authentication: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), signature: newExpiry!.authentication });
    expect(status.eligibility?.reasons).toContain('signature-renewed');
    expect(result.outcome?.signature).toBeDefined();
  }, 60_000);

  it('not on the card of an adult: the authentication certificate alone, its PIN alone asked, no signature one added', async () => {
    const card = await rig.cardAs((jpki) => ({
      ...jpki,
      availability: AVAILABILITY.withoutSignature,
      signature: { ...jpki.signature, certificate: undefined },
    }));
    const { result, views } = await runSession(rig, card, resident(card));
    const status = views.find((view) => view.screen === 'status')!;
    expect(status.card?.signatureCertificate).toBe(false);
    expect(Object.keys(status.eligibility!.newExpiry!)).toEqual(['authentication']);
    expect(status.eligibility?.reasons).toContain('signature-absent');
    expect(views.filter((view) => view.screen === 'pin-entry').map((view) => view.pin?.name)).not.toContain('signature');
    expect(result.end).toBe('renewed');
    expect(result.outcome?.signature).toBeUndefined();
  }, 60_000);
});

describe('PINs typed at the wrong moment or in the wrong form', () => {
  it('a malformed PIN is refused before the card sees it: no try spent, and the right one then renews', async () => {
    const card = await rig.card('standard-in-window');
    let malformedSent = false;
    const { result, session, views } = await runSession(rig, card, (view) => {
      if (view.screen === 'pin-entry' && !malformedSent) {
        malformedSent = true;
        return { type: 'SUBMIT_PIN', value: '12ab' };
      }
      return resident(card)(view);
    });
    expect(result.end).toBe('renewed');
    expect(views.some((view) => view.screen === 'pin-entry' && view.pin?.lastAttempt === 'malformed')).toBe(true);
    expect(pinRows(session)).toEqual(['pin-verified', 'pin-verified', 'pin-verified']);
  }, 60_000);

  it('PINs sent before any is asked, and a second new PIN before the first, are dropped: nothing is verified with them', async () => {
    const card = await rig.card('standard-in-window');
    const { result, session } = await runSession(rig, card, resident(card), {
      onStart: (started) => {
        started.send({ type: 'SUBMIT_PIN', value: '9999' });
        started.send({ type: 'SUBMIT_NEW_PIN', value: '9999' });
        started.send({ type: 'SUBMIT_NEW_PIN_AGAIN', value: '9999' });
      },
    });
    expect(result.end).toBe('renewed');
    expect(pinRows(session)).toEqual(['pin-verified', 'pin-verified', 'pin-verified']);
  }, 60_000);
});

describe('the session as its listeners and the terminal see it', () => {
  it('tells each listener each view once, in order', async () => {
    const card = await rig.card('standard-in-window');
    const heard: string[] = [];
    const { result } = await runSession(rig, card, resident(card), {
      onStart: (session) => session.subscribe((view) => heard.push(JSON.stringify(view))),
    });
    expect(result.end).toBe('renewed');
    expect(heard.length).toBeGreaterThan(5);
    heard.forEach((view, index) => expect(view, `view ${index}`).not.toBe(heard[index - 1]));
  }, 60_000);

  it.each(['given', 'none'] as const)(
    'decides by the clock it is given, or else the terminal’s own (%s): the same card two years earlier is not yet in its window',
    async (clock) => {
      const card = await rig.card('standard-in-window');
      const twoYearsEarlier = new Date(`${card.persona.resolvedOn}T01:00:00Z`);
      twoYearsEarlier.setUTCFullYear(twoYearsEarlier.getUTCFullYear() - 2);
      // Only Date is faked: the card, the database and the transports keep their real timers.
      if (clock === 'none') vi.useFakeTimers({ toFake: ['Date'], now: twoYearsEarlier });
      try {
        const { result, session } = await runSession(rig, card, resident(card), {
          now: clock === 'none' ? 'none' : () => twoYearsEarlier,
        });
        expect(result.end).toBe('not-eligible');
        const decided = rig.audit
          .rowsAfter(0, 1_000_000)
          .find((row) => row.sessionId === session.sessionId && row.event === 'eligibility-decided');
        expect(decided?.detail).toEqual({ decision: 'not-yet-in-window' });
      } finally {
        vi.useRealTimers();
      }
    },
    60_000,
  );

  it('a power cut before the card was even read: the session stops without an error', async () => {
    const card = await rig.card('standard-in-window');
    const session = new CustomerSession({
      profile: 'lobby',
      connect: connectTo(card),
      gateway: rig.jlis,
      journal: rig.journal,
      audit: rig.audit,
    });
    expect(() => session.abandon()).not.toThrow();
  });
});
