import { describe, expect, it, vi } from 'vitest';
import { hashPasscode, PASSCODE_HASH_PATTERN, passcodeMatches } from '../../main/base/passcode';
import { InactivityTimer } from '../../main/kiosk/inactivity-timer';

describe('staff passcode hashes', () => {
  it('match their passcode only, and never contain it', () => {
    const hash = hashPasscode('Counter#7', { log2N: 10 });
    expect(hash).toMatch(PASSCODE_HASH_PATTERN);
    expect(hash).not.toContain('Counter#7');
    expect(passcodeMatches('Counter#7', hash)).toBe(true);
    expect(passcodeMatches('counter#7', hash)).toBe(false);
    expect(passcodeMatches('', hash)).toBe(false);
  });

  it('are salted: the same passcode hashes differently each time', () => {
    expect(hashPasscode('same', { log2N: 10 })).not.toBe(hashPasscode('same', { log2N: 10 }));
  });

  it('never match a malformed stored value, such as a plain passcode', () => {
    expect(passcodeMatches('1234', '1234')).toBe(false);
    expect(passcodeMatches('x', 'scrypt$10$8$1$short$short')).toBe(false);
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
