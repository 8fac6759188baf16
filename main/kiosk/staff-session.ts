import type { StaffView } from '../../preload/contract';
import type { TerminalConfig } from './config';
import { InactivityTimer, realClock, type TimerClock } from './inactivity-timer';
import { passcodeMatches } from '../base/passcode';
import type { AuditEventInput, StaffRole } from '../domain/audit-record';
import { MemorySignInLimits, TERMINAL_WIDE, type SignInCount, type SignInLimitStore } from '../store/staff-sign-in-limits';

/**
 * How wrong passcodes are limited (docs/experience.md, "Staff sign-in").
 * Per account: the first few are free (a typing slip), then each one doubles
 * the wait before the next attempt, and then the account is locked until a
 * supervisor clears it. Per terminal, whatever the ids typed (so guessing
 * across accounts, or ids that do not exist, is slowed as much): the waits
 * double up to a ceiling, and never lock anyone out for good — a customer at
 * the counter can delay sign-in, not end it. A correct passcode clears both
 * counts. The counts are kept in the terminal's database, so a restart does
 * not clear them.
 */
export const SIGN_IN_LIMITS = {
  accountFreeFailures: 3,
  accountLockAfter: 8,
  terminalFreeFailures: 5,
  firstDelayMs: 15_000,
  terminalDelayCeilingMs: 15 * 60_000,
} as const;

/** The wait after `failures` wrong passcodes in a row, of which the first `free` cost nothing. */
export function delayAfter(failures: number, free: number): number {
  return failures < free ? 0 : SIGN_IN_LIMITS.firstDelayMs * 2 ** (failures - free);
}

/** A staff member's row for the audit chain; the kiosk writes it with the session's terminal. */
export type StaffAuditRow = Extract<
  AuditEventInput,
  {
    event:
      | 'staff-signed-in'
      | 'staff-signed-out'
      | 'staff-locked'
      | 'staff-unlocked'
      | 'staff-sign-in-failed'
      | 'staff-sign-in-refused'
      | 'staff-locked-out'
      | 'staff-lockout-cleared';
  }
>;

export interface StaffSessionHooks {
  /** The view changed. */
  onChange(): void;
  /** Writes a row to the audit chain. */
  record?(row: StaffAuditRow): void;
  /**
   * Another account is unlocking a session locked by someone else: the
   * customer's session of the first must end before the second may act.
   */
  onReplaced?(): Promise<void>;
}

/**
 * The counter's staff session: who is signed in, the lock after inactivity
 * (docs/experience.md, "Time-outs"), and the sign-in limits. The lock waits
 * while a renewal step runs (`holdLock`) and comes as soon as it ends. Every
 * sign-in, sign-out, lock, unlock, failure, refusal and lock-out is written
 * to the audit chain with the account concerned (never what was typed for an
 * account that does not exist: it may be a passcode).
 */
export class StaffSession {
  #view: StaffView = { state: 'signed-out' };
  #role: StaffRole | undefined;
  #lockDue = false;
  #held = false;
  readonly #timer: InactivityTimer;
  readonly #limits: SignInLimitStore;

  constructor(
    private readonly config: TerminalConfig['staff'],
    private readonly hooks: StaffSessionHooks,
    private readonly clock: TimerClock & { now(): number } = { ...realClock, now: () => Date.now() },
    limits: SignInLimitStore = new MemorySignInLimits(),
  ) {
    this.#limits = limits;
    this.#timer = new InactivityTimer(config.lockAfterSeconds * 1000, () => this.#lockWhenFree(), clock);
  }

  get view(): StaffView {
    const locked = this.signedIn && this.#role === 'supervisor' ? { lockedAccounts: this.#limits.lockedAccounts() } : {};
    return { ...this.#view, ...locked };
  }

  get signedIn(): boolean {
    return this.#view.state === 'signed-in';
  }

  /** A passcode is being checked; another attempt waits for its answer. */
  get checking(): boolean {
    return this.#view.checking === true;
  }

  /** The signed-in (or locked) member's code, for the audit rows they cause. */
  get staffId(): string | undefined {
    return this.#view.staffId;
  }

  /**
   * The passcode is compared with its hash (off the main thread) and then
   * forgotten; it is never logged or kept. One check at a time: an attempt
   * while one is under way, or while someone is signed in, does nothing,
   * so the limits cannot be outrun.
   */
  async signIn(staffId: string, passcode: string): Promise<void> {
    if (this.checking || this.signedIn) return;
    const account = this.config.accounts.find((candidate) => candidate.id === staffId);
    const who = account ? { staff: account.id } : {};
    const known = account ? ('known' as const) : ('unknown' as const);
    const now = this.clock.now();
    const terminal = this.#limits.read(TERMINAL_WIDE);
    const own = account ? this.#limits.read(account.id) : undefined;

    if (own?.locked) {
      this.#refuse({ refusal: 'account-locked' });
      this.hooks.record?.({ event: 'staff-sign-in-refused', ...who, detail: { account: known, reason: 'account-locked' } });
      return;
    }
    const waitUntil = Math.max(terminal.refusedUntil, own?.refusedUntil ?? 0);
    if (waitUntil > now) {
      this.#refuse({ refusal: 'too-many-attempts', retryInSeconds: Math.ceil((waitUntil - now) / 1000) });
      const reason = (own?.refusedUntil ?? 0) > now ? 'delayed' : 'terminal-delayed';
      this.hooks.record?.({ event: 'staff-sign-in-refused', ...who, detail: { account: known, reason } });
      return;
    }

    this.#view = { ...this.#view, checking: true };
    this.hooks.onChange();
    let matches: boolean;
    try {
      // Hash even for an unknown id, so the answer's timing does not tell which ids exist.
      matches = (await passcodeMatches(passcode, account?.passcodeHash ?? UNKNOWN_ACCOUNT_HASH)) && account !== undefined;
    } finally {
      const { checking: _done, ...rest } = this.#view;
      this.#view = rest;
    }
    if (!matches || !account) {
      this.#failed(this.clock.now(), terminal, account && own ? { id: account.id, count: own } : undefined);
      return;
    }
    this.#limits.write(TERMINAL_WIDE, CLEARED);
    this.#limits.write(account.id, CLEARED);
    await this.#succeeded(account.id, account.role);
  }

  /** A wrong passcode: for the terminal, and for the account when the id is one (`own`: its count before this). */
  #failed(now: number, terminal: SignInCount, own: { id: string; count: SignInCount } | undefined): void {
    const who = own ? { staff: own.id } : {};
    const terminalFailures = terminal.failures + 1;
    const terminalDelay = Math.min(
      delayAfter(terminalFailures, SIGN_IN_LIMITS.terminalFreeFailures),
      SIGN_IN_LIMITS.terminalDelayCeilingMs,
    );
    this.#limits.write(TERMINAL_WIDE, { failures: terminalFailures, refusedUntil: terminalDelay ? now + terminalDelay : 0, locked: false });
    const accountFailures = own ? own.count.failures + 1 : terminalFailures;
    const locked = own !== undefined && accountFailures >= SIGN_IN_LIMITS.accountLockAfter;
    const accountDelay = own && !locked ? delayAfter(accountFailures, SIGN_IN_LIMITS.accountFreeFailures) : 0;
    if (own) this.#limits.write(own.id, { failures: accountFailures, refusedUntil: accountDelay ? now + accountDelay : 0, locked });

    this.hooks.record?.({
      event: 'staff-sign-in-failed',
      ...who,
      detail: { account: own ? 'known' : 'unknown', failuresInRow: accountFailures, terminalFailuresInRow: terminalFailures },
    });
    if (locked) this.hooks.record?.({ event: 'staff-locked-out', ...who, detail: { scope: 'account' } });
    else if (accountDelay)
      this.hooks.record?.({ event: 'staff-locked-out', ...who, detail: { scope: 'account', seconds: accountDelay / 1000 } });
    if (terminalDelay) this.hooks.record?.({ event: 'staff-locked-out', detail: { scope: 'terminal', seconds: terminalDelay / 1000 } });

    const wait = Math.max(accountDelay, terminalDelay);
    if (locked) this.#refuse({ refusal: 'account-locked' });
    else if (wait) this.#refuse({ refusal: 'too-many-attempts', retryInSeconds: Math.ceil(wait / 1000) });
    else this.#refuse({ refusal: 'wrong-credentials' });
  }

  async #succeeded(staffId: string, role: StaffRole): Promise<void> {
    const previous = this.#view;
    if (previous.state === 'locked' && previous.staffId && previous.staffId !== staffId) {
      // Someone else is taking over a locked session: what the first member had open ends first, as theirs.
      await this.hooks.onReplaced?.();
      this.hooks.record?.({ event: 'staff-signed-out', staff: previous.staffId, detail: { cause: 'replaced' } });
    }
    const unlocking = previous.state === 'locked' && previous.staffId === staffId;
    this.#lockDue = false;
    this.#role = role;
    this.#view = { state: 'signed-in', staffId, role };
    this.hooks.record?.({ event: unlocking ? 'staff-unlocked' : 'staff-signed-in', staff: staffId, detail: { role } });
    this.#timer.touch();
    this.hooks.onChange();
  }

  #refuse(refusal: Pick<StaffView, 'refusal' | 'retryInSeconds'>): void {
    const { refusal: _old, retryInSeconds: _oldWait, ...rest } = this.#view;
    this.#view = { ...rest, ...refusal };
    this.hooks.onChange();
  }

  /** A signed-in supervisor clears an account locked after too many wrong passcodes. */
  clearLockout(staffId: string): boolean {
    if (!this.signedIn || this.#role !== 'supervisor' || !this.#limits.read(staffId).locked) return false;
    this.#limits.write(staffId, CLEARED);
    this.hooks.record?.({ event: 'staff-lockout-cleared', staff: this.#view.staffId!, detail: { account: staffId } });
    this.hooks.onChange();
    return true;
  }

  signOut(cause: 'signed-out' | 'shift-ended' = 'signed-out'): void {
    this.#timer.stop();
    this.#lockDue = false;
    const staffId = this.#view.staffId;
    if (this.#view.state !== 'signed-out' && staffId) this.hooks.record?.({ event: 'staff-signed-out', staff: staffId, detail: { cause } });
    this.#role = undefined;
    this.#view = { state: 'signed-out' };
    this.hooks.onChange();
  }

  /** Staff did something: the lock waits for a full quiet period again. */
  touch(): void {
    if (this.signedIn) this.#timer.touch();
  }

  /** While a renewal step runs the lock waits; when it ends a due lock comes at once. */
  holdLock(held: boolean): void {
    this.#held = held;
    if (!held && this.#lockDue) this.#lock();
  }

  stop(): void {
    this.#timer.stop();
  }

  #lockWhenFree(): void {
    if (!this.signedIn) return;
    if (this.#held) {
      this.#lockDue = true;
      return;
    }
    this.#lock();
  }

  #lock(): void {
    this.#lockDue = false;
    const staffId = this.#view.staffId;
    this.#view = { state: 'locked', ...(staffId ? { staffId } : {}) };
    if (staffId) this.hooks.record?.({ event: 'staff-locked', staff: staffId, detail: { cause: 'inactivity' } });
    this.hooks.onChange();
  }
}

const CLEARED: SignInCount = { failures: 0, refusedUntil: 0, locked: false };

/** A well-formed hash of no passcode anyone types: comparing with it costs what a real comparison costs. */
const UNKNOWN_ACCOUNT_HASH = `scrypt$15$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`;
