/**
 * One inactivity clock: `touch()` starts it again, `pause()` holds it while
 * something must not be interrupted (a renewal step), and after `afterMs`
 * of quiet it calls `onQuiet` once. The kiosk uses one for the lobby's
 * "need more time?" overlay and one for the counter's staff lock.
 */
export interface TimerClock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: TimerClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class InactivityTimer {
  #handle: unknown;
  #running = false;
  #paused = false;

  constructor(
    private readonly afterMs: number,
    private readonly onQuiet: () => void,
    private readonly clock: TimerClock = realClock,
  ) {}

  /** Starts (or restarts) the quiet period. */
  touch(): void {
    this.#running = true;
    this.#schedule();
  }

  /** Nothing times out until resume(); resume() then starts a full quiet period. */
  pause(): void {
    this.#paused = true;
    this.#cancel();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    this.#cancel();
  }

  get running(): boolean {
    return this.#running;
  }

  #schedule(): void {
    this.#cancel();
    if (!this.#running || this.#paused) return;
    this.#handle = this.clock.setTimeout(() => {
      this.#handle = undefined;
      this.#running = false;
      this.onQuiet();
    }, this.afterMs);
  }

  #cancel(): void {
    if (this.#handle !== undefined) this.clock.clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
