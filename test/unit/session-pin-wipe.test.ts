import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SessionView } from '../../preload/contract';
import { CustomerSession, type SessionIntent } from '../../main/session/session-runner';
import type * as PinRules from '../../main/domain/pin-rules';
import { connectTo } from '../support/customer-session';
import { renewalRig, type Rig, type RigCard } from '../support/renewal-rig';

/**
 * docs/card-protocol.md, "Handling PIN bytes": the session keeps a typed
 * PIN only in bytes of its own, and zeroes them the moment their use is
 * over, on every path. Checked on every buffer main makes from a typed value
 * (captured as pin-rules makes them), the card client's copies included.
 */

const made = vi.hoisted(() => [] as Uint8Array[]);
vi.mock('../../main/domain/pin-rules', async (importOriginal) => {
  const actual = await importOriginal<typeof PinRules>();
  return {
    ...actual,
    ownedPinBytes: (typed: string | Uint8Array) => {
      const bytes = actual.ownedPinBytes(typed);
      made.push(bytes);
      return bytes;
    },
  };
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

let rig: Rig;
beforeAll(async () => {
  rig = await renewalRig();
}, 60_000);
afterAll(() => rig?.close());

/**
 * A session on the card: `script` sees each new view with the session and
 * acts a microtask later, as the kiosk's transports do; 'end' cancels the
 * session. `pullAtVerify` makes the next VERIFY with a PIN find the card gone.
 */
function drive(card: RigCard, profile: 'lobby' | 'counter', script: (view: SessionView, session: CustomerSession) => 'end' | void) {
  const control = { pullAtVerify: false };
  const session = new CustomerSession({
    profile,
    connect: connectTo(
      card,
      (command) => control.pullAtVerify && command[1] === 0x20 && command.length > 5,
      () => session.cardRemoved(),
    ),
    gateway: rig.jlis,
    journal: rig.journal,
    audit: rig.audit,
    ...(profile === 'counter' ? { staffId: () => 'clerk-1' } : {}),
    now: () => new Date(`${card.persona.resolvedOn}T01:00:00Z`),
  });
  let last = '';
  session.subscribe((view) => {
    const key = JSON.stringify(view);
    if (key === last) return;
    last = key;
    queueMicrotask(() => {
      if (script(view, session) === 'end') session.send({ type: 'CANCEL' });
    });
  });
  return { session, control };
}

/** Every buffer main made from a typed value since `start`, as hex: all zeros once wiped. */
const madeSince = (start: number): string[] => made.slice(start).map(hex);

/** What main held at one moment: the buffers made from typed values so far, as they were then. */
interface Moment {
  at: string;
  buffers: string[];
}

/** A fresh card of the persona, and the moments noted while a session runs on it. */
async function watched(personaId: string) {
  const card = await rig.card(personaId);
  const start = made.length;
  const moments: Moment[] = [];
  const note = (at: string) => void moments.push({ at, buffers: madeSince(start) });
  return { card, moments, note };
}

function expectWipedAt(moments: Moment[], expectedAt: string[]): void {
  expect(moments.map(({ at }) => at)).toEqual(expectedAt);
  for (const { at, buffers } of moments) {
    expect(buffers.length, `${at}: the typed values became buffers main owns`).toBeGreaterThan(0);
    expect(buffers, at).toEqual(buffers.map((bytes) => '0'.repeat(bytes.length)));
  }
}

/** The persona's own value for the PIN the screen asks. */
function typedRightly(card: RigCard, view: SessionView): string {
  return card.persona.pins![view.pin!.name as 'authentication' | 'signature' | 'registry']!.value;
}

/** The counter's way to the new-PIN screens for a card with a locked PIN. */
const TOWARDS_RESET: Partial<Record<SessionView['screen'], SessionIntent>> = {
  'route-choice': { type: 'CHOOSE_ROUTE', route: 'in-person' },
  status: { type: 'CONTINUE' },
  'identity-check': { type: 'IDENTITY_CHECKED', check: { documentsA: 1, documentsB: 0, oralQuestioning: false, accepted: true } },
};

function towardsReset(view: SessionView, session: CustomerSession): boolean {
  const intent = TOWARDS_RESET[view.screen];
  if (intent) session.send(intent);
  return intent !== undefined;
}

describe('the session keeps no PIN past its use', () => {
  it('wipes at once a PIN typed on a screen that does not take one (before the PINs; at the last try, before confirming)', async () => {
    const { card, moments, note } = await watched('authentication-pin-one-try-left');
    const typedWhereIgnored = (view: SessionView, session: CustomerSession) => {
      session.send({ type: 'SUBMIT_PIN', value: card.persona.pins!.authentication!.value });
      note(view.screen);
    };
    const { session } = drive(card, 'lobby', (view, current) => {
      if (view.screen === 'status') {
        typedWhereIgnored(view, current);
        current.send({ type: 'CONTINUE' });
      }
      if (view.screen === 'pin-entry') current.send({ type: 'SUBMIT_PIN', value: typedRightly(card, view) });
      if (view.screen === 'last-try') {
        typedWhereIgnored(view, current);
        return 'end';
      }
    });
    expect((await session.done).end).toBe('cancelled');
    expectWipedAt(moments, ['status', 'last-try']);
  }, 60_000);

  it('wipes the PIN of a VERIFY once the card answered, and when the card was pulled during it', async () => {
    const { card, moments, note } = await watched('standard-in-window');
    let entries = 0;
    const { session, control } = drive(card, 'lobby', (view, current) => {
      if (view.screen === 'status') current.send({ type: 'CONTINUE' });
      if (view.screen !== 'pin-entry') return;
      entries++;
      if (entries === 1) return current.send({ type: 'SUBMIT_PIN', value: '0000' });
      note(`after a wrong PIN (${view.pin?.lastAttempt})`);
      control.pullAtVerify = true;
      current.send({ type: 'SUBMIT_PIN', value: typedRightly(card, view) });
    });
    expect((await session.done).end).toBe('card-removed');
    // The pull ended the session while the VERIFY was still in flight; the failed transmit settles a few ticks later.
    await new Promise((resolve) => setImmediate(resolve));
    note('after the pull');
    expectWipedAt(moments, ['after a wrong PIN (wrong)', 'after the pull']);
  }, 60_000);

  it('wipes the new-PIN pair when the two entries differ, and after the reset', async () => {
    const { card, moments, note } = await watched('authentication-pin-locked');
    const { session } = drive(card, 'counter', (view, current) => {
      if (towardsReset(view, current)) return;
      switch (view.screen) {
        case 'new-pin':
          if (view.pin?.lastAttempt === 'mismatch') note('mismatch');
          return current.send({ type: 'SUBMIT_NEW_PIN', value: '8642' });
        case 'new-pin-again':
          return current.send({ type: 'SUBMIT_NEW_PIN_AGAIN', value: moments.length === 0 ? '8643' : '8642' });
        case 'pin-entry':
          note('reset');
          return 'end';
      }
    });
    expect((await session.done).end).toBe('cancelled');
    expectWipedAt(moments, ['mismatch', 'reset']);
    // The reset did happen: the new PIN is the card's now.
    const { client } = await card.client();
    expect(await client.verify('authentication', '8642')).toEqual({ result: 'verified' });
  }, 60_000);

  it('wipes the first new PIN when the power goes while the second is asked', async () => {
    const { card, moments, note } = await watched('authentication-pin-locked');
    await new Promise<void>((resolve) => {
      drive(card, 'counter', (view, current) => {
        if (towardsReset(view, current)) return;
        if (view.screen === 'new-pin') return current.send({ type: 'SUBMIT_NEW_PIN', value: '8642' });
        if (view.screen !== 'new-pin-again') return;
        note('before the power cut');
        current.abandon();
        note('after the power cut');
        resolve();
      });
    });
    // Held for the comparison until then (so this test watches the right buffer), wiped by the power cut.
    expect(moments[0]!.buffers.some((bytes) => /[^0]/.test(bytes))).toBe(true);
    expectWipedAt(moments.slice(1), ['after the power cut']);
  }, 60_000);
});
