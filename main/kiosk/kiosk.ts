import type { Command, CommandResult, DemoFault, KioskEvent, ReaderStatus, SessionView, ViewState } from '../../preload/contract';
import { japanDate, parseCommand } from '../../preload/contract';
import type { TerminalConfig } from './config';
import type { Logger } from '../base/log';
import { PcscReader } from '../card/pcsc-reader';
import type { CardReader } from '../card/reader';
import { ReaderStatusService } from '../card/reader-status';
import { VirtualReader } from '../card/virtual-reader';
import { InactivityTimer, realClock, type TimerClock } from './inactivity-timer';
import type { IssuanceGateway } from '../issuance/gateway';
import { CustomerSession } from '../session/session-runner';
import { StaffSession } from './staff-session';
import type { SignInLimitStore } from '../store/staff-sign-in-limits';
import type { AuditChain } from '../store/audit';
import type { RenewalJournal } from '../store/journal';
import type { SessionEnd } from '../../preload/vocabulary';
import type { TerminalHealthNow } from './fleet-reporter';
import type { SpeechEngine } from './speech';

export type KioskEventListener = (event: KioskEvent) => void;

/** What a customer session needs besides the card: the issuing service and the records. */
export interface SessionServices {
  gateway: IssuanceGateway;
  journal: RenewalJournal;
  audit: AuditChain;
  now?: () => Date;
}

/** What the trainer tools report; the kiosk adds the idle-reset switch, which is its own. */
export type DemoState = Omit<NonNullable<ViewState['demo']>, 'personas' | 'idleReset'>;

/** The trainer's hands on the virtual reader and the simulated issuing service. */
export interface DemoCards {
  personas: NonNullable<ViewState['demo']>['personas'];
  insert(personaId: string): Promise<void>;
  remove(): void;
  /** Every fault but the power cut, which the kiosk itself must live through. */
  fault(fault: Exclude<DemoFault, 'power-cut'>): void;
  /** The reader loses power with the terminal and comes back: the card in it is found again at start-up. */
  powerCycle(): void;
  /** No card, reader plugged in, issuing service up. */
  reset(): void;
  state(): DemoState;
}

export interface KioskOptions {
  sessions?: SessionServices;
  demo?: DemoCards;
  /** Prints the slip shown, silently, on the kiosk's printer (Electron); without it the browser prints. */
  printSlip?: () => Promise<void>;
  clock?: TimerClock & { now(): number };
  /** Spoken guidance (main/kiosk/speech.ts); without it SPEAK answers with no audio and the renderer uses the platform's voice. */
  speech?: SpeechEngine;
  /** The calendar the sessions use (the practice clock in a demo started `--start-at`): the date slips print. */
  now?: () => Date;
  /** Counter: where the staff sign-in limits are kept (the terminal's database; in memory without one). */
  signInLimits?: SignInLimitStore;
}

/** Screens where card or issuing-service work is under way: no time-out or lock interrupts them. */
const BUSY_SCREENS: ReadonlySet<SessionView['screen']> = new Set([
  'reading',
  'verifying',
  'setting-pin',
  'checking-substitutes',
  'renewing',
]);

/**
 * The intents that type a PIN or spend a try. Each is taken only from the
 * display the session says types the PIN now (`pinTypedBy`): at a counter
 * with a customer display, the resident's own PINs come from the customer's
 * window and nowhere else, and a voluntary proxy's PINs (typed by staff from
 * the sealed form) from the staff's window and nowhere else. A screen that
 * asks for no PIN takes none from anywhere.
 */
const PIN_INTENTS: ReadonlySet<string> = new Set(['SUBMIT_PIN', 'SUBMIT_NEW_PIN', 'SUBMIT_NEW_PIN_AGAIN', 'CONFIRM_LAST_TRY']);

/**
 * What else the customer's window may ask: while the resident is the one
 * typing, to give up on the PIN ("forgot"); at any time, a language and
 * "still here". Staff sign-in, the route, the checks, printing and the
 * trainer's tools belong to the staff's window only.
 */
function customerDisplayMaySend(command: Command, session: SessionView | undefined): boolean {
  // PIN intents pass here and meet the rule of who types the PIN next (Kiosk.receive).
  if (command.type === 'SESSION')
    return PIN_INTENTS.has(command.intent.type) || (command.intent.type === 'FORGOT_PIN' && session?.pinTypedBy === 'resident');
  // SPEAK: the keypad's spoken guidance, for the resident typing there.
  return command.type === 'VIEW_READY' || command.type === 'SET_LANGUAGE' || command.type === 'STILL_HERE' || command.type === 'SPEAK';
}

/**
 * Screens that end on a slip: the completion slip after a renewal, the
 * hand-off slip, and the slip of dates for a card that cannot renew yet or
 * needs renewing itself.
 */
const SLIP_SCREENS: ReadonlySet<SessionView['screen']> = new Set(['done', 'hand-off', 'not-yet', 'card-renewal']);

/**
 * The composition root: builds the services a terminal profile needs and is
 * the one object both transports (Electron IPC and the web bridge) talk to.
 * It owns the view-state; the renderer only ever receives copies of it.
 */
export class Kiosk {
  private readonly readerStatus: ReaderStatusService;
  private readonly listeners = new Set<KioskEventListener>();
  private readonly clock: TimerClock & { now(): number };
  private readonly calendar: () => Date;
  private state: ViewState;

  private session: CustomerSession | undefined;
  /** Lobby: quiet this long → the "need more time?" countdown. */
  private readonly idle: InactivityTimer | undefined;
  private countdown: { handle: unknown; secondsLeft: number } | undefined;
  private readonly staff: StaffSession | undefined;
  /** Set when the page was lost during a renewal step: the session ends at the next screen that is not one. */
  private endWhenFree = false;
  /** For the heartbeat (fleet-reporter.ts): how the last session ended, and whether the last slip printed. */
  private lastSessionEnd: SessionEnd | null = null;
  private lastPrint: 'none' | 'ready' | 'failed' = 'none';

  constructor(
    readonly config: TerminalConfig,
    readonly reader: CardReader,
    private readonly log: Logger,
    private readonly options: KioskOptions = {},
  ) {
    this.readerStatus = new ReaderStatusService(reader);
    this.clock = options.clock ?? { ...realClock, now: () => Date.now() };
    this.calendar = options.now ?? (() => new Date(this.clock.now()));
    // The demo resets when left alone as the lobby does, so a trainer sees what a resident would; the trainer can turn it off.
    if (config.profile === 'lobby' || config.profile === 'demo')
      this.idle = new InactivityTimer(config.idle.warnAfterSeconds * 1000, () => this.startCountdown(), this.clock);
    if (config.profile === 'counter')
      this.staff = new StaffSession(
        config.staff,
        {
          onChange: () => this.staffChanged(),
          record: (row) => this.recordStaff(row),
          onReplaced: () => this.endSessionForReplacement(),
        },
        this.clock,
        options.signInLimits,
      );
    this.state = {
      profile: config.profile,
      cardSource: reader.kind,
      screen: 'attract',
      language: config.defaultLanguage,
      reader: this.readerStatus.status,
      takeCard: false,
      customerDisplay: config.profile === 'counter' && config.customerDisplay,
      printer: options.printSlip ? 'kiosk' : 'browser',
      today: japanDate(this.calendar()),
      ...(this.staff ? { staff: this.staff.view } : {}),
      // Trainer tools exist wherever the cards are virtual: a virtual card is never a resident's.
      ...(options.demo && reader.kind === 'virtual'
        ? { demo: { personas: options.demo.personas, ...options.demo.state(), idleReset: true } }
        : {}),
    };
  }

  start(): void {
    this.recordStart();
    this.readerStatus.subscribe((status) => {
      this.log.info('reader-status', { state: status.state });
      this.state = { ...this.state, reader: status, ...(status.state === 'card_present' ? {} : { takeCard: false }) };
      this.followCard(status);
      this.refreshDemo();
      this.emit({ type: 'reader', status });
      this.emitSnapshot();
    });
    this.readerStatus.start();
  }

  /**
   * The audit chain's `kiosk-started`, once per start, before any session:
   * with the renewals the last run left open, which resume when their cards
   * come back. Electron and the web host both start here.
   */
  private recordStart(): void {
    const records = this.options.sessions;
    if (!records) return;
    // The row's count is bounded; past 1000 open renewals it says 1000.
    const unfinishedRenewals = Math.min(records.journal.unfinishedCount(), 1000);
    records.audit.append({ event: 'kiosk-started', detail: { profile: this.config.profile, unfinishedRenewals } });
  }

  /**
   * A card in the reader starts a customer session; the card leaving tells it.
   * A session waiting for its card (pulled mid-renewal) gets it back instead
   * of a new session starting. A card left in after its session ended starts
   * nothing until it has been taken out.
   */
  private followCard(status: ReaderStatus): void {
    if (!this.options.sessions) return;
    if (status.state !== 'card_present') {
      this.session?.cardRemoved();
      return;
    }
    if (this.session) {
      this.session.cardInserted();
      return;
    }
    this.startSession(status.reader);
  }

  private startSession(reader: string): void {
    const services = this.options.sessions;
    if (!services || this.state.takeCard) return;
    // At the counter a card waits for a signed-in staff member.
    if (this.staff && !this.staff.signedIn) return;
    const session = new CustomerSession({
      profile: this.config.profile,
      connect: () => this.reader.connect(reader, { exclusive: true }),
      staffId: () => this.staff?.staffId,
      ...services,
    });
    this.session = session;
    this.idle?.touch();
    session.subscribe((view) => {
      if (this.session !== session) return;
      this.state = { ...this.state, screen: 'session', session: view };
      this.followBusy(view);
      if (this.endWhenFree && !BUSY_SCREENS.has(view.screen)) {
        this.endWhenFree = false;
        if (!SLIP_SCREENS.has(view.screen)) session.send({ type: 'TIMEOUT' });
      }
      this.emitSnapshot();
    });
    void session.done.then((result) => {
      this.log.info('session-ended', { end: result.end });
      this.lastSessionEnd = result.end;
      if (this.session !== session) return;
      this.session = undefined;
      this.endSessionView(this.state.reader.state === 'card_present' && result.end !== 'card-removed');
    });
  }

  /** Back to the attract screen; a card still in the reader is asked for. */
  private endSessionView(cardStillIn: boolean): void {
    const { session: _ended, idle: _idle, ...rest } = this.state;
    this.endWhenFree = false;
    this.stopCountdown();
    this.idle?.stop();
    this.staff?.holdLock(false);
    this.state = { ...rest, screen: 'attract', takeCard: cardStillIn };
    this.emitSnapshot();
  }

  /** Renewal steps are never interrupted: the idle clock and the staff lock wait for them. */
  private followBusy(view: SessionView): void {
    const busy = BUSY_SCREENS.has(view.screen);
    this.staff?.holdLock(busy);
    if (!this.idle) return;
    if (busy) {
      this.stopCountdown();
      this.idle.pause();
    } else {
      this.idle.resume();
    }
  }

  private startCountdown(): void {
    if (!this.session || (this.state.session && BUSY_SCREENS.has(this.state.session.screen))) return;
    if (this.state.demo && !this.state.demo.idleReset) return;
    this.countdown = { handle: undefined, secondsLeft: this.config.idle.countdownSeconds };
    this.state = { ...this.state, idle: { secondsLeft: this.countdown.secondsLeft } };
    this.emitSnapshot();
    this.tickCountdown();
  }

  private tickCountdown(): void {
    const countdown = this.countdown;
    if (!countdown) return;
    countdown.handle = this.clock.setTimeout(() => {
      if (this.countdown !== countdown) return;
      countdown.secondsLeft -= 1;
      if (countdown.secondsLeft <= 0) {
        this.fullReset('idle-timeout');
        return;
      }
      this.state = { ...this.state, idle: { secondsLeft: countdown.secondsLeft } };
      this.emitSnapshot();
      this.tickCountdown();
    }, 1000);
  }

  private stopCountdown(): void {
    if (this.countdown?.handle !== undefined) this.clock.clearTimeout(this.countdown.handle);
    this.countdown = undefined;
    if (this.state.idle) {
      const { idle: _idle, ...rest } = this.state;
      this.state = rest;
    }
  }

  /** Nobody answered "need more time?": the session ends (card unpowered), the language goes back, attract. */
  private fullReset(cause: string): void {
    this.log.info('full-reset', { cause });
    this.stopCountdown();
    this.state = { ...this.state, language: this.config.defaultLanguage };
    if (this.session) this.session.send({ type: 'TIMEOUT' });
    else this.emitSnapshot();
  }

  /**
   * Another account unlocks a session locked by someone else: the customer
   * session (never in a renewal step: the lock waits for those) ends first,
   * card unpowered, its last rows still under the first member's name.
   */
  private async endSessionForReplacement(): Promise<void> {
    const session = this.session;
    if (!session) return;
    session.send({ type: 'CANCEL' });
    await session.done;
  }

  /** A staff member's row for the audit chain; a failure to write it is logged, never thrown at the screen. */
  private recordStaff(row: Parameters<AuditChain['append']>[0]): void {
    try {
      this.options.sessions?.audit.append(row);
    } catch (error) {
      this.log.error('staff-audit-failed', { event: row.event, error: (error as Error).name });
    }
  }

  private staffChanged(): void {
    if (!this.staff) return;
    this.state = { ...this.state, staff: this.staff.view };
    // Signing in with a card already waiting starts its session.
    if (this.staff.signedIn && !this.session && this.state.reader.state === 'card_present') this.startSession(this.state.reader.reader);
    this.emitSnapshot();
  }

  async stop(): Promise<void> {
    this.stopCountdown();
    this.idle?.stop();
    // The terminal is shutting down: whoever was signed in is signed out, on the record.
    if (this.staff && this.staff.view.state !== 'signed-out') this.staff.signOut('shift-ended');
    this.staff?.stop();
    this.session?.abandon();
    this.session = undefined;
    await this.readerStatus.stop();
    this.listeners.clear();
  }

  /** What the heartbeat says of this terminal (never anything of a resident). */
  health(): TerminalHealthNow {
    return {
      profile: this.config.profile,
      reader: this.state.reader.state,
      // A kiosk printer is "ready" until a slip fails; the browser's dialog is no printer of the terminal's.
      printer: this.options.printSlip ? (this.lastPrint === 'failed' ? 'failed' : 'ready') : 'none',
      sessionInProgress: this.session !== undefined,
      lastSessionEnd: this.lastSessionEnd,
    };
  }

  snapshot(): ViewState {
    return { ...structuredClone(this.state), today: japanDate(this.calendar()) };
  }

  subscribe(listener: KioskEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Untrusted input from either transport enters here and nowhere else: it is
   * validated against the contract, and a refusal is logged by kind — never
   * with the payload, which may carry a PIN or a passcode.
   */
  receive(input: unknown, transport: 'ipc' | 'web', display: 'main' | 'customer' = 'main'): CommandResult | Promise<CommandResult> {
    const parsed = parseCommand(input);
    if (!parsed.ok) {
      this.log.warn('command-refused', { transport, reason: parsed.error });
      return { ok: false, error: parsed.error };
    }
    if (display === 'customer' && !customerDisplayMaySend(parsed.command, this.state.session)) {
      this.log.warn('command-refused', { transport, reason: 'not-for-the-customer-display', command: parsed.command.type });
      return { ok: false, error: 'forbidden-sender' };
    }
    if (parsed.command.type === 'SESSION' && PIN_INTENTS.has(parsed.command.intent.type)) {
      const typedOn = this.pinDisplay();
      if (typedOn === undefined) {
        this.log.warn('command-refused', { transport, reason: 'no-pin-asked', command: parsed.command.intent.type });
        return { ok: false, error: 'not-now' };
      }
      if (typedOn !== display) {
        this.log.warn('command-refused', { transport, reason: 'pin-from-the-other-display', command: parsed.command.intent.type });
        return { ok: false, error: 'forbidden-sender' };
      }
    }
    try {
      this.noteActivity(parsed.command);
      return this.handle(parsed.command);
    } catch (error) {
      this.log.error('command-failed', { transport, command: parsed.command.type, error: (error as Error).name });
      return { ok: false, error: 'internal-error' };
    }
  }

  /**
   * Where the PIN asked for now is typed: the customer's window when the
   * resident types it at a counter that has one, the kiosk's window
   * otherwise; nowhere when no PIN is asked.
   */
  private pinDisplay(): 'main' | 'customer' | undefined {
    const typedBy = this.state.session?.pinTypedBy;
    if (!typedBy) return undefined;
    return typedBy === 'resident' && this.state.customerDisplay ? 'customer' : 'main';
  }

  /** Any command is someone at the screen: the idle clock and the staff lock start again. */
  private noteActivity(command: Command): void {
    if (command.type === 'VIEW_READY') return;
    this.staff?.touch();
    if (!this.idle || !this.session) return;
    if (this.countdown) {
      this.stopCountdown();
      this.emitSnapshot();
    }
    const busy = this.state.session !== undefined && BUSY_SCREENS.has(this.state.session.screen);
    if (!busy) this.idle.touch();
  }

  /**
   * The kiosk window's page crashed or hung and is being reloaded. Whatever
   * it showed is gone, so the customer session ends — its card unpowered, so
   * no verified PIN outlives the page that asked for it — and the new page
   * starts from the attract screen. A renewal step under way is never cut:
   * the session ends as soon as the step does, unless it reached its slip
   * (done, hand-off), which the new page shows.
   */
  rendererLost(cause: string): void {
    const screen = this.state.session?.screen;
    const busy = screen !== undefined && BUSY_SCREENS.has(screen);
    this.log.warn('renderer-lost', { cause, session: !this.session ? 'none' : busy ? 'ends-after-the-step' : 'ended' });
    this.state = { ...this.state, language: this.config.defaultLanguage };
    if (!this.session) this.state = { ...this.state, screen: 'attract' };
    else if (busy) this.endWhenFree = true;
    else this.session.send({ type: 'TIMEOUT' });
    this.emitSnapshot();
  }

  private handle(command: Command): CommandResult | Promise<CommandResult> {
    switch (command.type) {
      case 'VIEW_READY':
        this.emitSnapshot();
        return { ok: true };
      case 'SET_LANGUAGE':
        this.state = { ...this.state, language: command.language };
        this.emitSnapshot();
        return { ok: true };
      case 'STILL_HERE':
        return { ok: true };
      case 'SESSION':
        if (!this.session || (this.staff && !this.staff.signedIn)) return { ok: false, error: 'not-now' };
        this.session.send(command.intent);
        return { ok: true };
      case 'STAFF_SIGN_IN': {
        const staff = this.staff;
        if (!staff || staff.signedIn || staff.checking) return { ok: false, error: 'not-now' };
        // The answer comes in the next snapshot; the passcode goes no further than its hash check.
        staff.signIn(command.staffId, command.passcode).then(
          () => this.log.info('staff-sign-in', { state: staff.view.state, refusal: staff.view.refusal ?? 'none' }),
          (error: unknown) => this.log.error('staff-sign-in-failed', { error: (error as Error).name }),
        );
        return { ok: true };
      }
      case 'STAFF_SIGN_OUT':
        if (!this.staff || (this.state.session && BUSY_SCREENS.has(this.state.session.screen))) return { ok: false, error: 'not-now' };
        this.session?.send({ type: 'CANCEL' });
        this.staff.signOut();
        return { ok: true };
      case 'STAFF_CLEAR_LOCKOUT':
        if (!this.staff?.clearLockout(command.staffId)) return { ok: false, error: 'not-now' };
        return { ok: true };
      case 'PRINT_SLIP': {
        const screen = this.state.session?.screen;
        if (!screen || !SLIP_SCREENS.has(screen)) return { ok: false, error: 'not-now' };
        // The printer logs its own failure with the reason (main/shell/printing.ts); the heartbeat reports it.
        this.options
          .printSlip?.()
          .then(() => {
            this.lastPrint = 'ready';
          })
          .catch(() => {
            this.lastPrint = 'failed';
          });
        return { ok: true };
      }
      case 'DEMO_INSERT_CARD': {
        const demo = this.demoTools();
        if (!demo || !demo.personas.some((persona) => persona.id === command.persona)) return { ok: false, error: 'not-now' };
        demo
          .insert(command.persona)
          .then(() => this.refreshDemo(true))
          .catch((error: unknown) => this.log.error('demo-insert-failed', { persona: command.persona, error: (error as Error).name }));
        return { ok: true };
      }
      case 'DEMO_REMOVE_CARD': {
        const demo = this.demoTools();
        if (!demo) return { ok: false, error: 'not-now' };
        demo.remove();
        this.refreshDemo(true);
        return { ok: true };
      }
      case 'DEMO_FAULT': {
        const demo = this.demoTools();
        if (!demo) return { ok: false, error: 'not-now' };
        this.log.info('demo-fault', { fault: command.fault });
        if (command.fault === 'power-cut') this.powerCut(demo);
        else demo.fault(command.fault);
        this.refreshDemo(true);
        return { ok: true };
      }
      case 'SPEAK':
        return this.speak(command.text);
      case 'DEMO_IDLE_RESET': {
        if (!this.state.demo) return { ok: false, error: 'not-now' };
        this.state = { ...this.state, demo: { ...this.state.demo, idleReset: command.on } };
        // Turned off with the overlay showing: it goes, and the session stays.
        if (!command.on) this.stopCountdown();
        else if (this.session) this.idle?.touch();
        this.emitSnapshot();
        return { ok: true };
      }
      case 'DEMO_RESET': {
        const demo = this.demoTools();
        if (!demo) return { ok: false, error: 'not-now' };
        this.abandonSession();
        demo.reset();
        this.state = { ...this.state, language: this.config.defaultLanguage, takeCard: false };
        this.refreshDemo(true);
        return { ok: true };
      }
    }
  }

  /** In the session's language, which main owns; a voice that fails is silence here and the platform's voice there. */
  private async speak(text: string): Promise<CommandResult> {
    const audio = await this.options.speech?.synthesize(text, this.state.language).catch(() => undefined);
    return audio ? { ok: true, audio: audio.toString('base64') } : { ok: true };
  }

  private demoTools(): DemoCards | undefined {
    return this.state.demo ? this.options.demo : undefined;
  }

  /**
   * The power goes and comes back: the session stops where it stood (no
   * ending written), the reader loses power with the card in it, and the
   * kiosk starts again on the attract screen — where the card still in the
   * reader starts a new session that finds the unfinished renewal.
   */
  private powerCut(demo: DemoCards): void {
    this.abandonSession();
    this.state = { ...this.state, language: this.config.defaultLanguage, takeCard: false };
    this.emitSnapshot();
    demo.powerCycle();
  }

  private abandonSession(): void {
    this.session?.abandon();
    this.session = undefined;
    const { session: _gone, ...rest } = this.state;
    this.state = { ...rest, screen: 'attract' };
    this.stopCountdown();
    this.idle?.stop();
    this.staff?.holdLock(false);
  }

  private refreshDemo(emit = false): void {
    if (!this.state.demo || !this.options.demo) return;
    this.state = {
      ...this.state,
      demo: { personas: this.state.demo.personas, ...this.options.demo.state(), idleReset: this.state.demo.idleReset },
    };
    if (emit) this.emitSnapshot();
  }

  private emitSnapshot(): void {
    this.emit({ type: 'snapshot', state: this.snapshot() });
  }

  private emit(event: KioskEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** Picks the reader stack the config asks for; a demo terminal never opens PC/SC. */
export function createKiosk(config: TerminalConfig, log: Logger, options: KioskOptions & { reader?: CardReader } = {}): Kiosk {
  const { reader, ...rest } = options;
  const chosen = reader ?? (config.cardSource === 'pcsc' ? new PcscReader({ log }) : new VirtualReader());
  return new Kiosk(config, chosen, log, rest);
}
