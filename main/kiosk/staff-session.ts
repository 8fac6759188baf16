import type { StaffView } from '../../preload/contract';
import type { TerminalConfig } from './config';
import { InactivityTimer, realClock, type TimerClock } from './inactivity-timer';
import { passcodeMatches } from '../base/passcode';

/** After this many wrong sign-ins in a row, sign-in is refused for a while (a passcode is short). */
export const MAX_SIGN_IN_FAILURES = 5;
export const SIGN_IN_LOCKOUT_MS = 60_000;

/**
 * The counter's staff session: who is signed in, and the lock after
 * inactivity (docs/experience.md, "Time-outs"). The lock waits while a
 * renewal step runs (`holdLock`) and comes as soon as it ends.
 */
export class StaffSession {
  #view: StaffView = { state: 'signed-out' };
  #failures = 0;
  #refusedUntil = 0;
  #lockDue = false;
  #held = false;
  readonly #timer: InactivityTimer;

  constructor(
    private readonly config: TerminalConfig['staff'],
    private readonly onChange: () => void,
    private readonly clock: TimerClock & { now(): number } = { ...realClock, now: () => Date.now() },
  ) {
    this.#timer = new InactivityTimer(config.lockAfterSeconds * 1000, () => this.#lockWhenFree(), clock);
  }

  get view(): StaffView {
    return { ...this.#view };
  }

  get signedIn(): boolean {
    return this.#view.state === 'signed-in';
  }

  /** The passcode is compared with its hash and then forgotten; it is never logged or kept. */
  signIn(staffId: string, passcode: string): boolean {
    if (this.clock.now() < this.#refusedUntil) {
      this.#view = { ...this.#view, refusal: 'too-many-attempts' };
      this.onChange();
      return false;
    }
    const account = this.config.accounts.find((candidate) => candidate.id === staffId);
    // Hash even for an unknown id, so the answer's timing does not tell which ids exist.
    const matches = passcodeMatches(passcode, account?.passcodeHash ?? UNKNOWN_ACCOUNT_HASH) && account !== undefined;
    if (!matches) {
      this.#failures += 1;
      if (this.#failures >= MAX_SIGN_IN_FAILURES) {
        this.#failures = 0;
        this.#refusedUntil = this.clock.now() + SIGN_IN_LOCKOUT_MS;
        this.#view = { ...this.#view, refusal: 'too-many-attempts' };
      } else {
        this.#view = { ...this.#view, refusal: 'wrong-credentials' };
      }
      this.onChange();
      return false;
    }
    this.#failures = 0;
    this.#lockDue = false;
    this.#view = { state: 'signed-in', staffId };
    this.#timer.touch();
    this.onChange();
    return true;
  }

  signOut(): void {
    this.#timer.stop();
    this.#lockDue = false;
    this.#view = { state: 'signed-out' };
    this.onChange();
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
    this.#view = { state: 'locked', ...(this.#view.staffId ? { staffId: this.#view.staffId } : {}) };
    this.onChange();
  }
}

/** A valid hash of a random passcode: comparing with it costs what a real comparison costs. */
const UNKNOWN_ACCOUNT_HASH = 'scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
