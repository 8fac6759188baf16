import { describe, expect, it, vi } from 'vitest';
import { hashPasscode, PASSCODE_HASH_PATTERN, passcodeMatches, passcodeProblem } from '../../main/base/passcode';
import { InactivityTimer } from '../../main/kiosk/inactivity-timer';

describe('staff passcode hashes', () => {
  it('match their passcode only, and never contain it', async () => {
    const hash = hashPasscode('Counter#7');
    expect(hash).toMatch(PASSCODE_HASH_PATTERN);
    expect(hash).not.toContain('Counter#7');
    expect(await passcodeMatches('Counter#7', hash)).toBe(true);
    expect(await passcodeMatches('counter#7', hash)).toBe(false);
    expect(await passcodeMatches('', hash)).toBe(false);
  });

  it('are scrypt at N = 2^15, r = 8, p = 1, 32 bytes, over the NFKC form: known answers computed outside the project', async () => {
    // Made 2026-12-07 with Python's hashlib.scrypt (salt 00 01 … 0F); a change of cost, length or normalisation
    // would make every hash IT departments have written stop matching, so none may change unnoticed.
    const salt = Buffer.from([...Array(16).keys()]);
    expect(hashPasscode('Kiosk-Counter-2026!', salt)).toBe(
      'scrypt$15$8$1$AAECAwQFBgcICQoLDA0ODw$jRYIUr7gQkdd93KCAkZZy4gDi4spZ1EXsRrNcPjj2Fc',
    );
    expect(
      await passcodeMatches('Kiosk-Counter-2026!', 'scrypt$15$8$1$AAECAwQFBgcICQoLDA0ODw$jRYIUr7gQkdd93KCAkZZy4gDi4spZ1EXsRrNcPjj2Fc'),
    ).toBe(true);
    // Half-width katakana is hashed as its NFKC form (full-width): the same passcode however it was typed.
    expect(hashPasscode('ｶﾀｶﾅ-Pass-2026', salt).split('$')[5]).toBe('Xqx1rV-muUrwf3NEo1WMtervwLU_cCDKkPXqf6wo8oc');
    expect(hashPasscode('カタカナ-Pass-2026', salt).split('$')[5]).toBe('Xqx1rV-muUrwf3NEo1WMtervwLU_cCDKkPXqf6wo8oc');
  });

  it('take 12 to 64 characters: both ends are passcodes, one more or less is not', () => {
    const long = 'Vx7#qLm2$Rt9!Kw4'.repeat(4); // 64 characters, nothing a dictionary knows
    expect(passcodeProblem(long)).toBeUndefined();
    expect(passcodeProblem(`${long}Z`)).toBe('a passcode is 12 to 64 characters');
    expect(passcodeProblem('Vx7#qLm2$Rt9')).toBeUndefined();
    expect(passcodeProblem('Vx7#qLm2$Rt')).toBe('a passcode is 12 to 64 characters');
  });

  it('are salted: the same passcode hashes differently each time', () => {
    expect(hashPasscode('same')).not.toBe(hashPasscode('same'));
  });

  it('never match a malformed stored value, such as a plain passcode', async () => {
    expect(await passcodeMatches('1234', '1234')).toBe(false);
    expect(await passcodeMatches('x', 'scrypt$10$8$1$short$short')).toBe(false);
  });

  it('are refused at any cost but the fixed one: a weak hash would make a stolen config cheap, a huge one exhausts memory', async () => {
    const sound = hashPasscode('Counter#7');
    const [, , , , salt, hash] = sound.split('$');
    for (const cost of ['10$8$1', '14$8$1', '20$8$1', '15$1$1', '15$99$1', '15$8$9']) {
      const other = `scrypt$${cost}$${salt}$${hash}`;
      expect(other, cost).not.toMatch(PASSCODE_HASH_PATTERN);
      expect(await passcodeMatches('Counter#7', other), cost).toBe(false);
    }
  });

  it('are checked off the main thread: other work runs while a passcode is compared', async () => {
    const hash = hashPasscode('Counter#7');
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 1);
    try {
      // Four comparisons of ~50–100 ms each; scryptSync would have held the event loop for all of them.
      await Promise.all([1, 2, 3, 4].map(() => passcodeMatches('Counter#7', hash)));
    } finally {
      clearInterval(ticker);
    }
    expect(ticks).toBeGreaterThan(5);
  });
});

describe('the passcode policy', () => {
  it('takes a long, unpredictable passcode', () => {
    expect(passcodeProblem('Counter#7-blue-river')).toBeUndefined();
    expect(passcodeProblem('kj3!Tq9-mm2Z', 'tanaka')).toBeUndefined();
  });

  it('refuses what is short, too long, not sendable, the account id, or guessable', () => {
    expect(passcodeProblem('Kite-77')).toMatch(/12 to 64/);
    expect(passcodeProblem('x'.repeat(65))).toMatch(/12 to 64/);
    expect(passcodeProblem('with space in it')).toMatch(/without spaces/);
    expect(passcodeProblem('パスコードは十二文字以上です')).toMatch(/printable ASCII/);
    expect(passcodeProblem('Tanaka-2026-blue', 'tanaka')).toMatch(/account id/);
    for (const guessable of ['password1234', 'qwertyuiop12', 'aaaaaaaaaaaa', '123456789012', 'abcdefghijkl', 'iloveyou2026'])
      expect(passcodeProblem(guessable), guessable).toBe(
        'that passcode is too easy to guess (a common word or password, a sequence, a keyboard pattern or a repetition); ' +
          'choose a longer, less predictable one',
      );
  });

  it('counts the account id among the words a guesser tries: spelt backwards it is refused for that account only', () => {
    expect(passcodeProblem('okanah-adamay#91', 'yamada-hanako')).toMatch(/too easy to guess/);
    expect(passcodeProblem('okanah-adamay#91', 'suzuki-ichiro')).toBeUndefined();
    expect(passcodeProblem('okanah-adamay#91')).toBeUndefined();
  });

  it("draws the line at zxcvbn's score 3: a score of 3 passes, 2 does not", () => {
    // Scores as zxcvbn-ts 3 with its common dictionaries gives them: "monkey-banana" 3, "iloveyou2024!" 2.
    expect(passcodeProblem('monkey-banana')).toBeUndefined();
    expect(passcodeProblem('iloveyou2024!')).toMatch(/too easy to guess/);
  });

  it('knows the common passwords: one that only a dictionary finds weak is refused', () => {
    // Without the dictionaries zxcvbn rates "sunshine12345" 4 (random-looking letters); with them, 1.
    expect(passcodeProblem('sunshine12345')).toMatch(/too easy to guess/);
  });
});

describe('the inactivity timer', () => {
  it('fires once after a full quiet period, starts again on touch, and holds while paused', () => {
    vi.useFakeTimers();
    try {
      const quiet = vi.fn();
      const timer = new InactivityTimer(1000, quiet);
      timer.touch();
      vi.advanceTimersByTime(900);
      timer.touch();
      vi.advanceTimersByTime(900);
      expect(quiet).not.toHaveBeenCalled();
      timer.pause();
      vi.advanceTimersByTime(5000);
      expect(quiet).not.toHaveBeenCalled();
      timer.resume();
      vi.advanceTimersByTime(999);
      expect(quiet).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(quiet).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(5000);
      expect(quiet).toHaveBeenCalledTimes(1);
      expect(timer.running).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
