import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ViewState } from '../../preload/contract';
import { VirtualReader } from '../../main/card/virtual-reader';
import { parseTerminalConfig } from '../../main/kiosk/config';
import type { TimerClock } from '../../main/kiosk/inactivity-timer';
import { Kiosk } from '../../main/kiosk/kiosk';
import { silentLogger } from '../../main/base/log';
import { openSimulatedWorld, type SimulatedWorld } from '../../main/simulation/world';
import { hashPasscode } from '../../main/base/passcode';
import { personaPinsOf } from '../support/persona-pins';

/**
 * The kiosk's own flows around a session — the lobby's idle reset, the
 * counter's staff sign-in and lock, the trainer's faults — on the real
 * session machine and the simulated world, with a hand-driven clock.
 */

class ManualClock implements TimerClock {
  time = Date.parse('2026-12-01T01:00:00Z');
  private timers: Array<{ at: number; callback: () => void; id: number }> = [];
  private nextId = 1;
  now = () => this.time;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }
  /** Moves time on, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.callback();
    }
    this.time = end;
  }
}

const SIM_DIR = mkdtempSync(join(tmpdir(), 'myna-kiosk-flows-sim-'));
// Service hours on a weekday, so sessions reach the PIN screens.
const WORLD_NOW = () => new Date('2026-12-01T10:00:00+09:00');
let world: SimulatedWorld;
let reader: VirtualReader;
const kiosks: Kiosk[] = [];

beforeAll(async () => {
  reader = new VirtualReader();
  world = await openSimulatedWorld({ reader, simDir: SIM_DIR, terminalId: 'unit', now: WORLD_NOW });
});
afterAll(() => world.close());
afterEach(async () => {
  world.demo!.reset();
  for (const kiosk of kiosks.splice(0)) await kiosk.stop();
});

function start(config: Record<string, unknown>) {
  const clock = new ManualClock();
  const kiosk = new Kiosk(parseTerminalConfig({ cardSource: 'virtual', ...config }), reader, silentLogger, {
    sessions: world.sessions,
    demo: world.demo!,
    clock,
  });
  const states: ViewState[] = [];
  kiosk.subscribe((event) => {
    if (event.type === 'snapshot') states.push(event.state);
  });
  kiosk.start();
  kiosks.push(kiosk);
  return { kiosk, clock, states, latest: () => kiosk.snapshot() };
}

async function until(kiosk: Kiosk, predicate: (state: ViewState) => boolean, what: string): Promise<ViewState> {
  for (let tries = 0; tries < 1500; tries++) {
    const state = kiosk.snapshot();
    if (predicate(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never reached: ${what}; last ${JSON.stringify(kiosk.snapshot().session ?? kiosk.snapshot().screen)}`);
}

const onScreen = (screen: string) => (state: ViewState) => state.session?.screen === screen;

/** Types the persona's PINs, each when its screen is shown, then confirms the renewal and waits for it to run. */
async function enterPinsAndRenew(
  kiosk: Kiosk,
  persona: string,
  order: ReadonlyArray<'registry' | 'authentication' | 'signature'>,
): Promise<void> {
  await enterPins(kiosk, persona, order);
  await until(kiosk, onScreen('confirm'), 'the confirm screen');
  kiosk.receive({ type: 'SESSION', intent: { type: 'CONFIRM_RENEWAL' } }, 'web');
}

async function enterPins(kiosk: Kiosk, persona: string, order: ReadonlyArray<'registry' | 'authentication' | 'signature'>): Promise<void> {
  const pins = personaPinsOf(persona);
  for (const pin of order) {
    await until(kiosk, (state) => state.session?.screen === 'pin-entry' && state.session.pin?.name === pin, `the ${pin} PIN screen`);
    kiosk.receive({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: pins[pin] } }, 'web');
  }
}

describe('the lobby idle reset', () => {
  it('asks "need more time?" after the quiet period, counts down, and resets to attract with the default language', async () => {
    const { kiosk, clock } = start({ profile: 'lobby', idle: { warnAfterSeconds: 60, countdownSeconds: 20 } });
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    kiosk.receive({ type: 'SET_LANGUAGE', language: 'en' }, 'web');
    clock.advance(59_000);
    expect(kiosk.snapshot().idle).toBeUndefined();
    clock.advance(1_000);
    expect(kiosk.snapshot().idle).toEqual({ secondsLeft: 20 });
    clock.advance(5_000);
    expect(kiosk.snapshot().idle).toEqual({ secondsLeft: 15 });
    clock.advance(15_000);
    const reset = await until(kiosk, (state) => state.screen === 'attract', 'the attract screen');
    expect(reset).toMatchObject({ screen: 'attract', language: 'ja', takeCard: true });
    expect(reset.idle).toBeUndefined();
  });

  it('keeps the session when someone touches the screen during the countdown', async () => {
    const { kiosk, clock } = start({ profile: 'lobby' });
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    clock.advance(65_000);
    expect(kiosk.snapshot().idle?.secondsLeft).toBe(25);
    expect(kiosk.receive({ type: 'STILL_HERE' }, 'web')).toEqual({ ok: true });
    expect(kiosk.snapshot().idle).toBeUndefined();
    clock.advance(59_000);
    expect(kiosk.snapshot()).toMatchObject({ screen: 'session', session: { screen: 'status' } });
  });

  it('never times out while a renewal step runs', async () => {
    const { kiosk, clock } = start({ profile: 'lobby' });
    // A slower service keeps the renewal step running while the clock is moved on.
    world.jlis.setFault('*', { kind: 'latency', ms: 200 });
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    kiosk.receive({ type: 'SESSION', intent: { type: 'CONTINUE' } }, 'web');
    await enterPinsAndRenew(kiosk, 'standard-in-window', ['registry', 'authentication', 'signature']);
    await until(kiosk, onScreen('renewing'), 'the renewing screen');
    clock.advance(10 * 60_000);
    expect(kiosk.snapshot().idle).toBeUndefined();
    expect(kiosk.snapshot().session?.screen).toBe('renewing');
  }, 30_000);
});

describe('the counter staff session', () => {
  const passcodeHash = hashPasscode('s3cret-pass', { log2N: 10 });
  const counter = { profile: 'counter', staff: { lockAfterSeconds: 120, accounts: [{ id: 'tanaka', passcodeHash }] } };

  it('starts no session until staff sign in, and refuses a wrong passcode without saying which part was wrong', async () => {
    const { kiosk } = start(counter);
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, (state) => state.reader.state === 'card_present', 'the card in the reader');
    expect(kiosk.snapshot()).toMatchObject({ screen: 'attract', staff: { state: 'signed-out' } });
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 'wrong' }, 'web');
    expect(kiosk.snapshot().staff).toEqual({ state: 'signed-out', refusal: 'wrong-credentials' });
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'nobody', passcode: 's3cret-pass' }, 'web');
    expect(kiosk.snapshot().staff).toEqual({ state: 'signed-out', refusal: 'wrong-credentials' });
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 's3cret-pass' }, 'web');
    expect(kiosk.snapshot().staff).toEqual({ state: 'signed-in', staffId: 'tanaka' });
    // The card that was waiting starts its session now.
    await until(kiosk, onScreen('route-choice'), 'the route choice');
  });

  it('refuses sign-in for a minute after five wrong passcodes in a row', () => {
    const { kiosk, clock } = start(counter);
    for (let attempt = 0; attempt < 5; attempt++)
      kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: `wrong${attempt}` }, 'web');
    expect(kiosk.snapshot().staff?.refusal).toBe('too-many-attempts');
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 's3cret-pass' }, 'web');
    expect(kiosk.snapshot().staff?.state).toBe('signed-out');
    clock.advance(60_000);
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 's3cret-pass' }, 'web');
    expect(kiosk.snapshot().staff?.state).toBe('signed-in');
  });

  it('locks after inactivity, refuses session intents while locked, and unlocks where it was', async () => {
    const { kiosk, clock } = start(counter);
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 's3cret-pass' }, 'web');
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('route-choice'), 'the route choice');
    clock.advance(119_000);
    expect(kiosk.snapshot().staff?.state).toBe('signed-in');
    clock.advance(1_000);
    expect(kiosk.snapshot().staff).toEqual({ state: 'locked', staffId: 'tanaka' });
    expect(kiosk.receive({ type: 'SESSION', intent: { type: 'CHOOSE_ROUTE', route: 'in-person' } }, 'web')).toEqual({
      ok: false,
      error: 'not-now',
    });
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 's3cret-pass' }, 'web');
    expect(kiosk.snapshot()).toMatchObject({ staff: { state: 'signed-in' }, session: { screen: 'route-choice' } });
  });

  it('waits with the lock until a renewal step has ended', async () => {
    const { kiosk, clock } = start(counter);
    // A slower service keeps the renewal step running while the clock is moved on.
    world.jlis.setFault('*', { kind: 'latency', ms: 200 });
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 's3cret-pass' }, 'web');
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'adult-ward-no-signature' }, 'web');
    await until(kiosk, onScreen('route-choice'), 'the route choice');
    kiosk.receive({ type: 'SESSION', intent: { type: 'CHOOSE_ROUTE', route: 'legal-representative' } }, 'web');
    await until(kiosk, onScreen('authority-check'), 'the authority check');
    kiosk.receive({ type: 'SESSION', intent: { type: 'AUTHORITY_CHECKED', proven: true } }, 'web');
    await enterPinsAndRenew(kiosk, 'adult-ward-no-signature', ['registry', 'authentication']);
    await until(kiosk, onScreen('renewing'), 'the renewing screen');
    clock.advance(10 * 60_000);
    expect(kiosk.snapshot().staff?.state).toBe('signed-in');
    await until(kiosk, onScreen('done'), 'the done screen');
    expect(kiosk.snapshot().staff?.state).toBe('locked');
  }, 30_000);
});

describe("the trainer's faults", () => {
  it('unplugs and plugs in the reader, and takes the service down and up', async () => {
    const { kiosk } = start({ profile: 'demo' });
    kiosk.receive({ type: 'DEMO_FAULT', fault: 'unplug-reader' }, 'web');
    expect(kiosk.snapshot()).toMatchObject({ reader: { state: 'no_reader' }, demo: { faults: { reader: 'unplugged' } } });
    kiosk.receive({ type: 'DEMO_FAULT', fault: 'plug-in-reader' }, 'web');
    expect(kiosk.snapshot()).toMatchObject({ reader: { state: 'waiting_for_card' }, demo: { faults: { reader: 'plugged-in' } } });
    kiosk.receive({ type: 'DEMO_FAULT', fault: 'service-down' }, 'web');
    expect(kiosk.snapshot().demo?.faults.service).toBe('down');
    await expect(world.jlis.lookupResident('00')).rejects.toThrow();
    kiosk.receive({ type: 'DEMO_FAULT', fault: 'service-up' }, 'web');
    expect(kiosk.snapshot().demo?.faults.service).toBe('up');
  });

  it('survives a power cut in the middle of the renewal: the card still in the reader resumes it', async () => {
    const { kiosk } = start({ profile: 'demo' });
    // A slower service keeps the renewal step running while the clock is moved on.
    world.jlis.setFault('*', { kind: 'latency', ms: 200 });
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    kiosk.receive({ type: 'SESSION', intent: { type: 'CONTINUE' } }, 'web');
    await enterPinsAndRenew(kiosk, 'standard-in-window', ['registry', 'authentication', 'signature']);
    await until(kiosk, (state) => state.session?.screen === 'renewing' && state.session.progress !== undefined, 'a renewal step');
    kiosk.receive({ type: 'DEMO_FAULT', fault: 'power-cut' }, 'web');
    world.jlis.clearFaults();
    // Back up: a new session on the same card, which asks the PINs again (the power cleared them) and finishes the renewal.
    await enterPins(kiosk, 'standard-in-window', ['registry', 'authentication', 'signature']);
    const done = await until(kiosk, onScreen('done'), 'the done screen');
    expect(done.session?.renewed?.authenticationExpires).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  }, 30_000);

  it('resets in one command: no session, no card, no fault, the default language', async () => {
    const { kiosk } = start({ profile: 'demo' });
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    kiosk.receive({ type: 'SET_LANGUAGE', language: 'ko' }, 'web');
    kiosk.receive({ type: 'DEMO_FAULT', fault: 'service-down' }, 'web');
    kiosk.receive({ type: 'DEMO_RESET' }, 'web');
    expect(kiosk.snapshot()).toMatchObject({
      screen: 'attract',
      language: 'ja',
      takeCard: false,
      reader: { state: 'waiting_for_card' },
      demo: { faults: { reader: 'plugged-in', service: 'up', cardPulled: false } },
    });
    expect(kiosk.snapshot().session).toBeUndefined();
    expect(kiosk.snapshot().demo?.persona).toBeUndefined();
  });
});
