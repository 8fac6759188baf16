import type { KioskDatabase } from './database';

/**
 * The counts behind the counter's sign-in limits (kiosk/staff-session.ts):
 * wrong passcodes in a row, until when sign-in is refused, and whether the
 * account is locked until a supervisor clears it. One entry per account,
 * and one for the whole terminal (`TERMINAL_WIDE`).
 */
export interface SignInCount {
  failures: number;
  /** Epoch ms; 0 when nothing is refused. */
  refusedUntil: number;
  locked: boolean;
}

export const TERMINAL_WIDE = '';
const CLEAR: SignInCount = { failures: 0, refusedUntil: 0, locked: false };

export interface SignInLimitStore {
  read(account: string): SignInCount;
  write(account: string, count: SignInCount): void;
  /** The accounts locked until a supervisor clears them. */
  lockedAccounts(): string[];
}

/** For a kiosk without records (unit tests of the screens): counts that last as long as the process. */
export class MemorySignInLimits implements SignInLimitStore {
  readonly #counts = new Map<string, SignInCount>();
  read(account: string): SignInCount {
    return { ...(this.#counts.get(account) ?? CLEAR) };
  }
  write(account: string, count: SignInCount): void {
    this.#counts.set(account, { ...count });
  }
  lockedAccounts(): string[] {
    return [...this.#counts].filter(([account, count]) => account !== TERMINAL_WIDE && count.locked).map(([account]) => account);
  }
}

/** In the terminal's database, so restarting the counter PC clears nothing. */
export class StaffSignInLimits implements SignInLimitStore {
  constructor(private readonly db: KioskDatabase) {}

  read(account: string): SignInCount {
    const row = this.db.prepare('SELECT failures, refused_until, locked FROM staff_sign_in_limits WHERE account = ?').get(account) as
      { failures: number; refused_until: number; locked: number } | undefined;
    return row ? { failures: row.failures, refusedUntil: row.refused_until, locked: row.locked === 1 } : { ...CLEAR };
  }

  write(account: string, count: SignInCount): void {
    this.db
      .prepare(
        `INSERT INTO staff_sign_in_limits (account, failures, refused_until, locked) VALUES (?, ?, ?, ?)
         ON CONFLICT (account) DO UPDATE
           SET failures = excluded.failures, refused_until = excluded.refused_until, locked = excluded.locked`,
      )
      .run(account, count.failures, Math.round(count.refusedUntil), count.locked ? 1 : 0);
  }

  lockedAccounts(): string[] {
    const locked = "SELECT account FROM staff_sign_in_limits WHERE locked = 1 AND account <> '' ORDER BY account";
    const rows = this.db.prepare(locked).all();
    return (rows as Array<{ account: string }>).map((row) => row.account);
  }
}
