import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionViewSchema, type SessionView } from '../../preload/contract';
import type { CustomerSession } from '../../main/session/session-runner';
import { resident, runSession as runSessionOn, type SessionAnswer } from '../support/customer-session';
import { renewalRig, type Rig, type RigCard } from '../support/renewal-rig';

let rig: Rig;
beforeAll(async () => {
  rig = await renewalRig();
}, 60_000);
afterAll(() => rig.close());

/** Runs a session on the rig's card, answering screens with `answer`; returns every view and the result. */
const runSession = (
  card: RigCard,
  answer: (view: SessionView) => SessionAnswer,
  profile: 'lobby' | 'counter' = 'lobby',
  onStart: (session: CustomerSession) => void = () => {},
) => runSessionOn(rig, card, answer, { profile, onStart });

describe('a customer session', () => {
  it('renews, and every view it shows is the strict, sanitised contract shape', async () => {
    const card = await rig.card('standard-in-window');
    const { views, result, session } = await runSession(card, resident(card));
    expect(result.end).toBe('renewed');
    expect(views.map((view) => view.screen)).toEqual(
      expect.arrayContaining(['reading', 'pin-entry', 'verifying', 'confirm', 'renewing', 'done', 'ended']),
    );
    for (const view of views) expect(() => sessionViewSchema.parse(view)).not.toThrow();
    const text = JSON.stringify(views);
    const { holder, pins, myNumber } = card.persona;
    for (const secret of [holder!.name, holder!.address, myNumber!, pins!.signature!.value]) expect(text).not.toContain(secret);
    expect(views.at(-2)).toMatchObject({
      screen: 'done',
      renewed: { authenticationExpires: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) },
    });
    expect(session.view.screen).toBe('ended');
  }, 60_000);

  it('never holds a PIN in the machine: no persisted snapshot contains one', async () => {
    const card = await rig.card('different-pins-per-application');
    const snapshots: string[] = [];
    let current: CustomerSession | undefined;
    const { result, session } = await runSession(
      card,
      (view) => {
        if (current) snapshots.push(JSON.stringify(current.persistedSnapshot()));
        return resident(card)(view);
      },
      'lobby',
      (started) => (current = started),
    );
    snapshots.push(JSON.stringify(session.persistedSnapshot()));
    expect(result.end).toBe('renewed');
    expect(snapshots.length).toBeGreaterThan(10);
    const pins = card.persona.pins!;
    // Distinct values, so a match could only be the PIN itself (the password also cannot occur in hex).
    for (const snapshot of snapshots) {
      expect(snapshot).not.toContain(pins.signature!.value);
      expect(snapshot).not.toMatch(new RegExp(`"${pins.authentication!.value}"|"${pins.registry!.value}"`));
    }
  }, 60_000);

  it('hands off in the lobby on a blocked PIN, after spending only the tries typed', async () => {
    const card = await rig.card('authentication-pin-one-try-left');
    const typed: string[] = [];
    const { result, views } = await runSession(card, (view) => {
      if (view.screen === 'pin-entry' && view.pin?.name === 'authentication') {
        typed.push('0000');
        return { type: 'SUBMIT_PIN', value: '0000' };
      }
      return resident(card)(view);
    });
    expect(result).toMatchObject({ end: 'handed-off', handOff: 'pin-blocked' });
    expect(typed).toHaveLength(1);
    expect(views.map((view) => view.screen)).toContain('last-try');
    // The hand-off names the PIN this entry locked, for the screen and the slip.
    expect(views.find((view) => view.screen === 'hand-off')).toMatchObject({ lockedPins: ['authentication'] });
  }, 60_000);

  it('hands off a card read with a locked PIN, naming that PIN', async () => {
    const card = await rig.card('authentication-pin-locked');
    const { result, views } = await runSession(card, resident(card));
    expect(result).toMatchObject({ end: 'handed-off', handOff: 'pin-locked' });
    expect(views.find((view) => view.screen === 'hand-off')).toMatchObject({ lockedPins: ['authentication'] });
  }, 60_000);

  it('is stopped on a PIN screen with nothing typed: no try spent', async () => {
    const card = await rig.card('standard-in-window');
    const { result } = await runSession(card, (view) => (view.screen === 'pin-entry' ? { type: 'CANCEL' } : resident(card)(view)));
    expect(result.end).toBe('cancelled');
    const { client } = await card.client();
    for (const pin of ['registry', 'authentication', 'signature'] as const) {
      expect(await client.pinStatus(pin)).toMatchObject({ state: 'available', triesLeft: pin === 'signature' ? 5 : 3 });
    }
  }, 60_000);

  it('refuses a malformed PIN before sending anything, so no try is spent', async () => {
    const card = await rig.card('standard-in-window');
    let refused = false;
    const { result, views } = await runSession(card, (view) => {
      if (view.screen === 'pin-entry' && view.pin?.name === 'authentication' && !refused) {
        refused = true;
        return { type: 'SUBMIT_PIN', value: '12' };
      }
      return resident(card)(view);
    });
    expect(result.end).toBe('renewed');
    const refusal = views.find((view) => view.pin?.lastAttempt === 'malformed');
    expect(refusal).toMatchObject({ screen: 'pin-entry', pin: { name: 'authentication', triesLeft: 3 } });
    expect(rig.audit.verify()).toMatchObject({ ok: true });
  }, 60_000);

  it('is cancelled by the resident before the renewal, and unpowers the card', async () => {
    const card = await rig.card('standard-in-window');
    const { result } = await runSession(card, (view) => (view.screen === 'confirm' ? { type: 'CANCEL' } : resident(card)(view)));
    expect(result.end).toBe('cancelled');
    // The power-down cleared the verified PINs.
    const { client } = await card.client();
    expect(await client.pinStatus('authentication')).toEqual({ state: 'available', triesLeft: 3 });
  }, 60_000);

  it('at the counter, sends a card with a locked PIN to the identity check and the reset before the PINs', async () => {
    const card = await rig.card('authentication-pin-locked');
    const pins = card.persona.pins!;
    const { views, result } = await runSession(
      card,
      (view) => {
        switch (view.screen) {
          case 'identity-check':
            return { type: 'IDENTITY_CHECKED', check: { documentsA: 1, documentsB: 0, oralQuestioning: false, accepted: true } };
          case 'new-pin':
            return { type: 'SUBMIT_NEW_PIN', value: '8642' };
          case 'new-pin-again':
            return { type: 'SUBMIT_NEW_PIN_AGAIN', value: '8642' };
          case 'route-choice':
            return { type: 'CHOOSE_ROUTE', route: 'in-person' };
          case 'substitutes':
            return { type: 'SUBSTITUTES_CONFIRMED', accepted: true };
          case 'pin-entry':
            return {
              type: 'SUBMIT_PIN',
              value: view.pin!.name === 'authentication' ? '8642' : pins[view.pin!.name as 'signature' | 'registry']!.value,
            };
          default:
            return resident(card)(view);
        }
      },
      'counter',
    );
    const screens = views.map((view) => view.screen);
    expect(screens.indexOf('identity-check')).toBeGreaterThan(-1);
    expect(screens.indexOf('identity-check')).toBeLessThan(screens.indexOf('pin-entry'));
    expect(views.find((view) => view.screen === 'new-pin')?.pin?.name).toBe('authentication');
    expect(result.end).toBe('renewed');
  }, 60_000);

  it('keeps "renewed" as the ending when the resident walks away from the done screen and the idle reset closes it', async () => {
    const card = await rig.card('standard-in-window');
    const { result } = await runSession(card, (view) => (view.screen === 'done' ? { type: 'TIMEOUT' } : resident(card)(view)));
    expect(result.end).toBe('renewed');
  }, 60_000);
});
