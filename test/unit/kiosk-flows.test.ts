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
import type { AuditChain } from '../../main/store/audit';
import type { AuditRow } from '../../main/domain/audit-record';
import { MemorySignInLimits, type SignInLimitStore } from '../../main/store/staff-sign-in-limits';
import { openTerminalRecords } from '../../main/store/terminal-records';
import { scratchForFile } from '../support/scratch';

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

const SIM_DIR = scratchForFile('myna-kiosk-flows-sim-');
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

function start(config: Record<string, unknown>, records: { signInLimits?: SignInLimitStore; audit?: AuditChain } = {}) {
  const clock = new ManualClock();
  const kiosk = new Kiosk(parseTerminalConfig({ cardSource: 'virtual', ...config }), reader, silentLogger, {
    sessions: { ...world.sessions, ...(records.audit ? { audit: records.audit } : {}) },
    demo: world.demo!,
    clock,
    // Each kiosk its own counts unless a test shares them: the world's database outlives the tests.
    signInLimits: records.signInLimits ?? new MemorySignInLimits(),
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

/** Sends a sign-in and waits for its passcode to be checked; the staff view after it. */
async function signIn(kiosk: Kiosk, staffId: string, passcode: string): Promise<NonNullable<ViewState['staff']>> {
  kiosk.receive({ type: 'STAFF_SIGN_IN', staffId, passcode }, 'web');
  return (await until(kiosk, (state) => !state.staff?.checking, 'the passcode checked')).staff!;
}

/** The world's audit rows after `seq`. */
const auditFrom = (seq: number): AuditRow[] => world.audit.rowsAfter(seq, 10_000);
const failuresOf = (staff: string, rows: AuditRow[]) =>
  rows.filter((row) => row.event === 'staff-sign-in-failed' && row.staff === staff).length;

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

/** A standard renewal in `profile`, under a slower service, stopped at its first renewal step (the renewing screen). */
async function renewingSlowly(profile: 'lobby' | 'demo') {
  const running = start({ profile });
  const { kiosk } = running;
  // A slower service keeps the renewal step running while the test acts.
  world.jlis.setFault('*', { kind: 'latency', ms: 200 });
  kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
  await until(kiosk, onScreen('status'), 'the status screen');
  kiosk.receive({ type: 'SESSION', intent: { type: 'CONTINUE' } }, 'web');
  await enterPinsAndRenew(kiosk, 'standard-in-window', ['registry', 'authentication', 'signature']);
  await until(kiosk, (state) => state.session?.screen === 'renewing' && state.session.progress !== undefined, 'a renewal step');
  return running;
}

describe("the demo's idle reset", () => {
  it('resets a demo left alone, as the lobby does', async () => {
    const { kiosk, clock } = start({ profile: 'demo', idle: { warnAfterSeconds: 60, countdownSeconds: 20 } });
    expect(kiosk.snapshot().demo?.idleReset).toBe(true);
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    clock.advance(60_000);
    expect(kiosk.snapshot().idle).toEqual({ secondsLeft: 20 });
    clock.advance(20_000);
    await until(kiosk, (state) => state.screen === 'attract', 'the attract screen');
  });

  it('stays put once the trainer turns it off, and the overlay showing goes at once', async () => {
    const { kiosk, clock } = start({ profile: 'demo', idle: { warnAfterSeconds: 60, countdownSeconds: 20 } });
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    clock.advance(60_000);
    expect(kiosk.snapshot().idle).toBeDefined();
    expect(kiosk.receive({ type: 'DEMO_IDLE_RESET', on: false }, 'web')).toEqual({ ok: true });
    expect(kiosk.snapshot()).toMatchObject({ demo: { idleReset: false } });
    expect(kiosk.snapshot().idle).toBeUndefined();
    clock.advance(30 * 60_000);
    expect(kiosk.snapshot()).toMatchObject({ screen: 'session', session: { screen: 'status' } });
    expect(kiosk.snapshot().idle).toBeUndefined();
  });
});

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
    const { kiosk, clock } = await renewingSlowly('lobby');
    clock.advance(10 * 60_000);
    expect(kiosk.snapshot().idle).toBeUndefined();
    expect(kiosk.snapshot().session?.screen).toBe('renewing');
  }, 30_000);
});

describe('the counter staff session', () => {
  const passcodeHash = hashPasscode('s3cret-pass');
  const supervisorHash = hashPasscode('super-visor-pass');
  const counter = {
    profile: 'counter',
    staff: {
      lockAfterSeconds: 120,
      accounts: [
        { id: 'tanaka', passcodeHash },
        { id: 'sato', passcodeHash: supervisorHash, role: 'supervisor' },
      ],
    },
  };

  it('starts no session until staff sign in, and refuses a wrong passcode without saying which part was wrong', async () => {
    const { kiosk } = start(counter);
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, (state) => state.reader.state === 'card_present', 'the card in the reader');
    expect(kiosk.snapshot()).toMatchObject({ screen: 'attract', staff: { state: 'signed-out' } });
    expect(await signIn(kiosk, 'tanaka', 'wrong')).toEqual({ state: 'signed-out', refusal: 'wrong-credentials' });
    expect(await signIn(kiosk, 'nobody', 's3cret-pass')).toEqual({ state: 'signed-out', refusal: 'wrong-credentials' });
    expect(await signIn(kiosk, 'tanaka', 's3cret-pass')).toEqual({ state: 'signed-in', staffId: 'tanaka', role: 'clerk' });
    // The card that was waiting starts its session now.
    await until(kiosk, onScreen('route-choice'), 'the route choice');
  });

  it('checks one passcode at a time: an attempt while one is being checked is refused, not queued', async () => {
    const { kiosk } = start(counter);
    expect(kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 'wrong-1' }, 'web')).toEqual({ ok: true });
    expect(kiosk.snapshot().staff?.checking).toBe(true);
    expect(kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 'wrong-2' }, 'web')).toEqual({
      ok: false,
      error: 'not-now',
    });
    await until(kiosk, (state) => !state.staff?.checking, 'the passcode checked');
    expect(failuresOf('tanaka', auditFrom(0))).toBeGreaterThan(0);
  });

  it('limits one account: waits that double after three wrong passcodes, then a lock only a supervisor clears', async () => {
    const { kiosk, clock } = start(counter);
    const from = world.audit.head().seq;
    expect((await signIn(kiosk, 'tanaka', 'wrong')).refusal).toBe('wrong-credentials');
    expect((await signIn(kiosk, 'tanaka', 'wrong')).refusal).toBe('wrong-credentials');
    expect(await signIn(kiosk, 'tanaka', 'wrong')).toMatchObject({ refusal: 'too-many-attempts', retryInSeconds: 15 });
    // While the wait runs even the right passcode is refused, unchecked.
    kiosk.receive({ type: 'STAFF_SIGN_IN', staffId: 'tanaka', passcode: 's3cret-pass' }, 'web');
    expect(kiosk.snapshot().staff).toEqual({ state: 'signed-out', refusal: 'too-many-attempts', retryInSeconds: 15 });
    let wait = 15;
    for (const next of [30, 60, 120, 240]) {
      clock.advance(wait * 1000);
      expect(await signIn(kiosk, 'tanaka', 'wrong')).toMatchObject({ refusal: 'too-many-attempts', retryInSeconds: next });
      wait = next;
    }
    clock.advance(wait * 1000);
    expect(await signIn(kiosk, 'tanaka', 'wrong')).toEqual({ state: 'signed-out', refusal: 'account-locked' });
    clock.advance(24 * 3600_000);
    expect(await signIn(kiosk, 'tanaka', 's3cret-pass')).toEqual({ state: 'signed-out', refusal: 'account-locked' });

    // A supervisor sees the lock and clears it; a clerk cannot.
    expect(await signIn(kiosk, 'sato', 'super-visor-pass')).toEqual({
      state: 'signed-in',
      staffId: 'sato',
      role: 'supervisor',
      lockedAccounts: ['tanaka'],
    });
    expect(kiosk.receive({ type: 'STAFF_CLEAR_LOCKOUT', staffId: 'tanaka' }, 'web')).toEqual({ ok: true });
    expect(kiosk.snapshot().staff?.lockedAccounts).toEqual([]);
    kiosk.receive({ type: 'STAFF_SIGN_OUT' }, 'web');
    expect((await signIn(kiosk, 'tanaka', 's3cret-pass')).state).toBe('signed-in');
    expect(kiosk.receive({ type: 'STAFF_CLEAR_LOCKOUT', staffId: 'sato' }, 'web')).toEqual({ ok: false, error: 'not-now' });

    const rows = auditFrom(from);
    expect(failuresOf('tanaka', rows)).toBe(8);
    expect(rows.filter((row) => row.event === 'staff-sign-in-refused' && row.staff === 'tanaka').map((row) => row.detail)).toEqual([
      { account: 'known', reason: 'delayed' },
      { account: 'known', reason: 'account-locked' },
    ]);
    expect(rows.filter((row) => row.event === 'staff-locked-out' && row.staff === 'tanaka').map((row) => row.detail)).toEqual([
      { scope: 'account', seconds: 15 },
      { scope: 'account', seconds: 30 },
      { scope: 'account', seconds: 60 },
      { scope: 'account', seconds: 120 },
      { scope: 'account', seconds: 240 },
      { scope: 'account' },
    ]);
    expect(rows.find((row) => row.event === 'staff-lockout-cleared')).toMatchObject({ staff: 'sato', detail: { account: 'tanaka' } });
    expect(rows.filter((row) => row.event === 'staff-signed-in').map((row) => [row.staff, row.detail])).toEqual([
      ['sato', { role: 'supervisor' }],
      ['tanaka', { role: 'clerk' }],
    ]);
    expect(rows.find((row) => row.event === 'staff-signed-out')).toMatchObject({ staff: 'sato', detail: { cause: 'signed-out' } });
  }, 30_000);

  it('slows guessing across ids on the terminal, up to a ceiling, without locking any account out', async () => {
    const { kiosk, clock } = start(counter);
    const from = world.audit.head().seq;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 12; attempt++) {
      const view = await signIn(kiosk, `guess-${attempt}`, 's3cret-pass');
      waits.push(view.retryInSeconds ?? 0);
      clock.advance((view.retryInSeconds ?? 0) * 1000);
    }
    expect(waits).toEqual([0, 0, 0, 0, 15, 30, 60, 120, 240, 480, 900, 900]);
    expect((await signIn(kiosk, 'tanaka', 's3cret-pass')).state).toBe('signed-in');
    const rows = auditFrom(from);
    expect(rows.filter((row) => row.event === 'staff-sign-in-failed')).toHaveLength(12);
    // What was typed as an id that no account has is never kept: it may be a passcode typed in the wrong field.
    for (const row of rows) expect(JSON.stringify(row)).not.toMatch(/guess-/);
    expect(rows.filter((row) => row.event === 'staff-locked-out').every((row) => row.staff === undefined)).toBe(true);
  }, 30_000);

  it('keeps the counts across a restart of the terminal', async () => {
    const records = openTerminalRecords({ terminalId: 'unit-restart' });
    try {
      const first = start(counter, { signInLimits: records.signInLimits, audit: records.audit });
      for (let attempt = 0; attempt < 3; attempt++) await signIn(first.kiosk, 'tanaka', 'wrong');
      await first.kiosk.stop();
      const second = start(counter, { signInLimits: records.signInLimits, audit: records.audit });
      second.clock.time = first.clock.time;
      expect(await signIn(second.kiosk, 'tanaka', 's3cret-pass')).toMatchObject({ state: 'signed-out', refusal: 'too-many-attempts' });
    } finally {
      records.close();
    }
  }, 30_000);

  it('locks after inactivity, refuses session intents while locked, and unlocks where it was', async () => {
    const { kiosk, clock } = start(counter);
    const from = world.audit.head().seq;
    await signIn(kiosk, 'tanaka', 's3cret-pass');
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
    await signIn(kiosk, 'tanaka', 's3cret-pass');
    expect(kiosk.snapshot()).toMatchObject({ staff: { state: 'signed-in' }, session: { screen: 'route-choice' } });
    expect(
      auditFrom(from)
        .filter((row) => row.event.startsWith('staff-'))
        .map((row) => [row.event, row.staff, row.detail]),
    ).toEqual([
      ['staff-signed-in', 'tanaka', { role: 'clerk' }],
      ['staff-locked', 'tanaka', { cause: 'inactivity' }],
      ['staff-unlocked', 'tanaka', { role: 'clerk' }],
    ]);
  });

  it('ends the customer session when another account unlocks, and every row of it names who ran it', async () => {
    const { kiosk, clock } = start(counter);
    const from = world.audit.head().seq;
    await signIn(kiosk, 'tanaka', 's3cret-pass');
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('route-choice'), 'the route choice');
    const sessionId = auditFrom(from).find((row) => row.event === 'session-started')!.sessionId;
    clock.advance(120_000);
    expect(kiosk.snapshot().staff?.state).toBe('locked');
    await signIn(kiosk, 'sato', 'super-visor-pass');
    await until(kiosk, (state) => state.screen === 'attract', 'the attract screen');
    expect(kiosk.snapshot()).toMatchObject({ staff: { state: 'signed-in', staffId: 'sato' }, takeCard: true });
    const rows = auditFrom(from);
    const sessionRows = rows.filter((row) => row.sessionId === sessionId);
    expect(sessionRows.map((row) => row.event)).toEqual(expect.arrayContaining(['session-started', 'card-read', 'session-ended']));
    expect(sessionRows.every((row) => row.staff === 'tanaka')).toBe(true);
    expect(sessionRows.at(-1)).toMatchObject({ event: 'session-ended', detail: { outcome: 'cancelled' } });
    expect(rows.filter((row) => row.event.startsWith('staff-')).map((row) => [row.event, row.staff, row.detail])).toEqual([
      ['staff-signed-in', 'tanaka', { role: 'clerk' }],
      ['staff-locked', 'tanaka', { cause: 'inactivity' }],
      ['staff-signed-out', 'tanaka', { cause: 'replaced' }],
      ['staff-signed-in', 'sato', { role: 'supervisor' }],
    ]);
    // The session ended before the new account could act: its last row comes before the replacement's sign-in.
    expect(sessionRows.at(-1)!.seq).toBeLessThan(rows.find((row) => row.event === 'staff-signed-in' && row.staff === 'sato')!.seq);
  });

  it('waits with the lock until a renewal step has ended', async () => {
    const { kiosk, clock } = start(counter);
    const from = world.audit.head().seq;
    // A slower service keeps the renewal step running while the clock is moved on.
    world.jlis.setFault('*', { kind: 'latency', ms: 200 });
    await signIn(kiosk, 'tanaka', 's3cret-pass');
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
    // The renewal's own rows, written by the journal, name the staff member who ran the session too.
    const steps = auditFrom(from).filter((row) => row.event === 'renewal-step');
    expect(steps.length).toBeGreaterThan(5);
    expect(steps.every((row) => row.staff === 'tanaka')).toBe(true);
  }, 30_000);
});

describe('who may type the PIN', () => {
  const counter = {
    profile: 'counter',
    customerDisplay: true,
    staff: { accounts: [{ id: 'tanaka', passcodeHash: hashPasscode('s3cret-pass') }] },
  };

  async function atFirstPin(route: 'in-person' | 'voluntary-proxy') {
    const running = start(counter);
    const { kiosk } = running;
    await signIn(kiosk, 'tanaka', 's3cret-pass');
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('route-choice'), 'the route choice');
    kiosk.receive({ type: 'SESSION', intent: { type: 'CHOOSE_ROUTE', route } }, 'web');
    if (route === 'voluntary-proxy') {
      await until(kiosk, onScreen('proxy-check'), 'the proxy check');
      const checks = {
        envelopeSealed: true,
        formWithinValidity: true,
        handedInPerson: true,
        proxyIdentity: 'document-a',
        relationship: 'family',
      };
      kiosk.receive({ type: 'SESSION', intent: { type: 'PROXY_CHECKED', checks } }, 'web');
    }
    const first = await until(
      kiosk,
      (state) => {
        if (state.session?.screen === 'status') kiosk.receive({ type: 'SESSION', intent: { type: 'CONTINUE' } }, 'web');
        return state.session?.screen === 'pin-entry';
      },
      'the first PIN screen',
    );
    return { ...running, first: first.session! };
  }

  it("takes a voluntary proxy's PINs only from the staff's window: the customer's window spends no try", async () => {
    const { kiosk, first } = await atFirstPin('voluntary-proxy');
    const from = world.audit.head().seq;
    expect(first.pinTypedBy).toBe('staff');
    for (let guess = 0; guess < 3; guess++)
      expect(kiosk.receive({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: '0000' } }, 'web', 'customer')).toEqual({
        ok: false,
        error: 'forbidden-sender',
      });
    expect(kiosk.receive({ type: 'SESSION', intent: { type: 'CONFIRM_LAST_TRY' } }, 'web', 'customer')).toEqual({
      ok: false,
      error: 'forbidden-sender',
    });
    expect(kiosk.receive({ type: 'SESSION', intent: { type: 'FORGOT_PIN' } }, 'web', 'customer')).toEqual({
      ok: false,
      error: 'forbidden-sender',
    });
    expect(kiosk.snapshot().session).toMatchObject({
      screen: 'pin-entry',
      pin: { name: first.pin!.name, triesLeft: first.pin!.triesLeft },
    });
    expect(auditFrom(from).filter((row) => row.event.startsWith('pin-'))).toEqual([]);
    // From the staff's window the same PIN screen takes it.
    const pins = personaPinsOf('standard-in-window');
    kiosk.receive({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: pins[first.pin!.name as 'registry'] } }, 'web', 'main');
    await until(
      kiosk,
      (state) => auditFrom(from).some((row) => row.event === 'pin-verified') && state.session !== undefined,
      'a verified PIN',
    );
  });

  it("takes the resident's own PINs only from the customer's window when the counter has one", async () => {
    const { kiosk, first } = await atFirstPin('in-person');
    const from = world.audit.head().seq;
    expect(first.pinTypedBy).toBe('resident');
    expect(kiosk.receive({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: '0000' } }, 'web', 'main')).toEqual({
      ok: false,
      error: 'forbidden-sender',
    });
    expect(auditFrom(from).filter((row) => row.event.startsWith('pin-'))).toEqual([]);
    const pins = personaPinsOf('standard-in-window');
    expect(
      kiosk.receive({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: pins[first.pin!.name as 'registry'] } }, 'web', 'customer'),
    ).toEqual({ ok: true });
    await until(kiosk, () => auditFrom(from).some((row) => row.event === 'pin-verified'), 'a verified PIN');
  });
});

describe('a lost page', () => {
  it('ends the session when the page is lost after a PIN was verified: no verified PIN behind an attract screen', async () => {
    const { kiosk } = start({ profile: 'lobby' });
    const from = world.audit.head().seq;
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    kiosk.receive({ type: 'SESSION', intent: { type: 'CONTINUE' } }, 'web');
    await enterPins(kiosk, 'standard-in-window', ['registry']);
    await until(kiosk, (state) => state.session?.screen === 'pin-entry' && state.session.pin?.name === 'authentication', 'the next PIN');
    kiosk.rendererLost('render-process-gone:crashed');
    const after = await until(kiosk, (state) => state.screen === 'attract' && state.session === undefined, 'the attract screen');
    expect(after.takeCard).toBe(true);
    expect(auditFrom(from).at(-1)).toMatchObject({ event: 'session-ended', detail: { outcome: 'timed-out' } });
    expect(kiosk.receive({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: '1234' } }, 'web')).toEqual({
      ok: false,
      error: 'not-now',
    });
  });

  it('lets a renewal step under way finish, and shows its slip on the new page', async () => {
    const { kiosk } = await renewingSlowly('lobby');
    kiosk.rendererLost('unresponsive');
    const done = await until(kiosk, onScreen('done'), 'the done screen');
    expect(done.session?.renewed).toBeDefined();
  }, 30_000);

  it('records a card pulled out during a session', async () => {
    const { kiosk } = start({ profile: 'lobby' });
    const from = world.audit.head().seq;
    kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web');
    await until(kiosk, onScreen('status'), 'the status screen');
    kiosk.receive({ type: 'DEMO_REMOVE_CARD' }, 'web');
    await until(kiosk, (state) => state.screen === 'attract', 'the attract screen');
    expect(auditFrom(from).map((row) => [row.event, row.detail])).toContainEqual(['card-removed', { midRenewal: false }]);
  });

  it('records a card pulled out during a renewal step as pulled mid-renewal', async () => {
    const from = world.audit.head().seq;
    const { kiosk } = await renewingSlowly('lobby');
    kiosk.receive({ type: 'DEMO_REMOVE_CARD' }, 'web');
    await until(kiosk, () => auditFrom(from).some((row) => row.event === 'card-removed'), 'the card-removed row');
    expect(auditFrom(from).find((row) => row.event === 'card-removed')?.detail).toEqual({ midRenewal: true });
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
    const { kiosk } = await renewingSlowly('demo');
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
