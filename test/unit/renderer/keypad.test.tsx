// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import i18next from 'i18next';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SecureKeypad } from '../../../renderer/src/keypad/SecureKeypad';
import type { SecureKeypadProps } from '../../../renderer/src/keypad/SecureKeypad';
import { playKeySound, speak, speechLanguage } from '../../../renderer/src/keypad/key-feedback';
import { cryptoRandomIndex, DIGIT_ROWS, LETTERS, maskSlotCount, shuffledDigits } from '../../../renderer/src/keypad/keypad-layout';
import KEYPAD_STRINGS_EN from '../../../renderer/src/locales/en.json';
import KEYPAD_STRINGS_JA from '../../../renderer/src/locales/ja.json';

const strings = KEYPAD_STRINGS_EN.keypad;
const i18n = i18next.createInstance();

beforeAll(async () => {
  await i18n.use(initReactI18next).init({
    lng: 'en',
    resources: { en: { translation: KEYPAD_STRINGS_EN }, ja: { translation: KEYPAD_STRINGS_JA } },
    interpolation: { escapeValue: false },
  });
});

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function renderKeypad(props: Partial<SecureKeypadProps> = {}) {
  const onSubmit = vi.fn<(value: string) => void>();
  const allProps: SecureKeypadProps = { pin: 'authentication', label: 'Authentication PIN', onSubmit, ...props };
  const view = render(
    <I18nextProvider i18n={i18n}>
      <SecureKeypad {...allProps} />
    </I18nextProvider>,
  );
  const rerender = (changes: Partial<SecureKeypadProps>) =>
    view.rerender(
      <I18nextProvider i18n={i18n}>
        <SecureKeypad {...allProps} {...changes} />
      </I18nextProvider>,
    );
  return { ...view, rerender, onSubmit };
}

function press(...names: string[]) {
  for (const name of names) fireEvent.click(screen.getByRole('button', { name }));
}

function typeKeys(value: string) {
  press(...value.split(''));
}

const submit = () => press(strings.submit);
const progress = () => screen.getByRole('status').textContent;
const mask = (container: HTMLElement) => container.querySelector('.keypad__mask') as HTMLElement;
const filledDots = (container: HTMLElement) => mask(container).querySelectorAll('.keypad__dot--filled').length;
const allDots = (container: HTMLElement) => mask(container).querySelectorAll('.keypad__dot').length;
const digitKeyNames = () =>
  within(screen.getByRole('group', { name: strings.digitsGroup }))
    .getAllByRole('button')
    .map((button) => button.textContent);

describe('the keypad layout', () => {
  it('is fixed by default: 1-2-3 on top, then 4-5-6, 7-8-9, and clear, 0, delete', () => {
    renderKeypad();
    expect(digitKeyNames()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', strings.clear, '0', strings.backspace]);
  });

  it('marks the centre key, the 5 of the fixed layout', () => {
    const { container } = renderKeypad();
    const marked = container.querySelectorAll('.keypad__key--marker');
    expect([...marked].map((key) => key.textContent)).toEqual(['5']);
  });

  it('shuffles the digits when asked, in visual mode, with the platform random source', () => {
    const random = vi.spyOn(crypto, 'getRandomValues');
    renderKeypad({ shuffle: true });
    const names = digitKeyNames();
    expect(random).toHaveBeenCalled();
    expect(names).not.toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', strings.clear, '0', strings.backspace]);
    expect(names[9]).toBe(strings.clear);
    expect(names[11]).toBe(strings.backspace);
    expect(names.filter((name) => /^[0-9]$/.test(name ?? '')).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('never shuffles in audio mode', () => {
    const random = vi.spyOn(crypto, 'getRandomValues');
    renderKeypad({ shuffle: true, audio: true });
    expect(digitKeyNames()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', strings.clear, '0', strings.backspace]);
    expect(random).not.toHaveBeenCalled();
  });

  it('deals a shuffle into the rows of the fixed layout', () => {
    const neverSwapped = shuffledDigits((bound) => bound - 1);
    expect(neverSwapped).toEqual([['0', '1', '2'], ['3', '4', '5'], ['6', '7', '8'], ['9']]);
    const swappedWithFirst = shuffledDigits(() => 0);
    expect(swappedWithFirst.map((row) => row.length)).toEqual(DIGIT_ROWS.map((row) => row.length));
    expect(swappedWithFirst.flat().sort()).toEqual(DIGIT_ROWS.flat().sort());
  });

  it('draws shuffle positions within bounds', () => {
    const draws = Array.from({ length: 500 }, () => cryptoRandomIndex(10));
    expect(draws.every((draw) => Number.isInteger(draw) && draw >= 0 && draw < 10)).toBe(true);
  });

  it('offers the A–Z grid only for the signature password', () => {
    renderKeypad();
    expect(screen.queryByRole('group', { name: strings.lettersGroup })).toBeNull();
    cleanup();
    renderKeypad({ pin: 'signature', label: 'Signature password' });
    const letters = within(screen.getByRole('group', { name: strings.lettersGroup })).getAllByRole('button');
    expect(letters.map((button) => button.textContent)).toEqual(LETTERS);
    expect(LETTERS).toHaveLength(26);
  });

  it('has no text field at all, so no OS keyboard and no value to read', () => {
    const { container } = renderKeypad({ pin: 'signature' });
    expect(container.querySelector('input, textarea, select, [contenteditable]')).toBeNull();
  });
});

describe('typing a 4-digit PIN', () => {
  it('hands over exactly the typed value once, then forgets it', () => {
    const { container, onSubmit } = renderKeypad();
    typeKeys('7391');
    expect(filledDots(container)).toBe(4);
    expect(progress()).toBe('4 of 4 characters entered');
    submit();
    expect(onSubmit).toHaveBeenCalledTimes(1);
    expect(onSubmit).toHaveBeenCalledWith('7391');
    expect(filledDots(container)).toBe(0);
    expect(allDots(container)).toBe(4);
    expect(progress()).toBe('0 of 4 characters entered');
    submit();
    expect(onSubmit).toHaveBeenCalledTimes(1);
  });

  it('ignores a fifth digit', () => {
    const { container, onSubmit } = renderKeypad();
    typeKeys('12345');
    expect(filledDots(container)).toBe(4);
    submit();
    expect(onSubmit).toHaveBeenCalledWith('1234');
  });

  it('deletes one digit or clears them all', () => {
    const { container, onSubmit } = renderKeypad();
    typeKeys('123');
    press(strings.backspace);
    expect(filledDots(container)).toBe(2);
    press(strings.clear);
    expect(filledDots(container)).toBe(0);
    typeKeys('2468');
    submit();
    expect(onSubmit).toHaveBeenCalledWith('2468');
  });

  it('refuses a short PIN locally, says why, and keeps what was typed', () => {
    const { container, onSubmit } = renderKeypad();
    typeKeys('12');
    submit();
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toBe(strings.problem.length4);
    expect(screen.getByRole('button', { name: strings.submit })).toHaveProperty('disabled', false);
    expect(filledDots(container)).toBe(2);
    typeKeys('34');
    expect(screen.getByRole('alert').textContent).toBe('');
    submit();
    expect(onSubmit).toHaveBeenCalledExactlyOnceWith('1234');
  });

  it('starts empty again when the screen switches to another PIN', () => {
    const { container, rerender } = renderKeypad();
    typeKeys('12');
    rerender({ pin: 'signature' });
    expect(filledDots(container)).toBe(0);
    expect(allDots(container)).toBe(6);
  });
});

describe('typing the signature password', () => {
  it('refuses a password without a digit, then takes it once it has one', () => {
    const { onSubmit } = renderKeypad({ pin: 'signature' });
    typeKeys('ABCDEF');
    submit();
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toBe(strings.problem.password);
    typeKeys('1');
    submit();
    expect(onSubmit).toHaveBeenCalledExactlyOnceWith('ABCDEF1');
  });

  it('shows at least six places, grows with the typing, and stops at sixteen', () => {
    const { container, onSubmit } = renderKeypad({ pin: 'signature' });
    expect(allDots(container)).toBe(6);
    expect(progress()).toBe('0 characters entered (6 to 16)');
    typeKeys('ABCDEFG1');
    expect(allDots(container)).toBe(8);
    expect(filledDots(container)).toBe(8);
    typeKeys('HIJKLMNOPQ');
    expect(filledDots(container)).toBe(16);
    submit();
    expect(onSubmit).toHaveBeenCalledWith('ABCDEFG1HIJKLMNO');
  });
});

describe('what the keypad never reveals', () => {
  it('keeps the typed digits out of the DOM: no text, attribute or label holds them', () => {
    const log = vi.spyOn(console, 'log');
    const { container } = renderKeypad();
    typeKeys('7391');
    expect(mask(container).outerHTML).not.toMatch(/[0-9]/);
    const withoutKeys = container.cloneNode(true) as HTMLElement;
    for (const button of withoutKeys.querySelectorAll('button')) button.remove();
    expect(withoutKeys.innerHTML).not.toContain('7391');
    for (const digit of '7391') expect(withoutKeys.innerHTML).not.toContain(digit);
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(log).not.toHaveBeenCalled();
  });

  it('does not listen to a physical keyboard', () => {
    const { container, onSubmit } = renderKeypad();
    for (const key of ['1', '2', '3', '4', 'Enter']) {
      fireEvent.keyDown(document, { key });
      fireEvent.keyPress(document, { key });
      fireEvent.keyUp(document, { key });
      fireEvent.keyDown(screen.getByRole('button', { name: '5' }), { key });
    }
    expect(filledDots(container)).toBe(0);
    expect(progress()).toBe('0 of 4 characters entered');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('speaks only the word for "key" in audio mode, never the digit', () => {
    const spoken: string[] = [];
    class FakeUtterance {
      lang = '';
      constructor(readonly text: string) {}
    }
    vi.stubGlobal('SpeechSynthesisUtterance', FakeUtterance);
    vi.stubGlobal('speechSynthesis', { cancel: vi.fn(), speak: (utterance: FakeUtterance) => spoken.push(utterance.text) });
    renderKeypad({ audio: true });
    typeKeys('7391');
    expect(spoken).toEqual(['key', 'key', 'key', 'key']);
  });
});

describe('the keys', () => {
  it('all have an accessible name and the big-target class, OK apart as the way on', () => {
    renderKeypad({ pin: 'signature' });
    const buttons = screen.getAllByRole('button');
    const names = [...LETTERS, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', strings.clear, strings.backspace];
    expect(buttons).toHaveLength(names.length + 1);
    for (const name of names) expect(screen.getByRole('button', { name }).classList).toContain('keypad__key');
    const ok = screen.getByRole('button', { name: strings.submit });
    expect(ok.classList).toContain('primary');
    expect(ok.classList).not.toContain('keypad__key');
  });

  it('uses the label given by the screen as the entry name and the submit label when given', () => {
    renderKeypad({ label: 'Authentication PIN', submitLabel: 'Check' });
    expect(screen.getByRole('group', { name: 'Authentication PIN' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Check' })).toBeTruthy();
  });

  it("puts the screen's other ways out in its action row, before OK and apart from it", () => {
    const { container } = renderKeypad({ secondaryActions: <button type="button">Stop</button> });
    const row = container.querySelector('.keypad__actions') as HTMLElement;
    expect(
      within(row)
        .getAllByRole('button')
        .map((button) => button.textContent),
    ).toEqual(['Stop', strings.submit]);
  });

  it('disables every key while main verifies', () => {
    const { onSubmit } = renderKeypad({ pin: 'signature', disabled: true });
    for (const button of screen.getAllByRole('button')) expect(button).toHaveProperty('disabled', true);
    typeKeys('A1');
    submit();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('shows a short pressed state on the key that was pressed', () => {
    vi.useFakeTimers();
    renderKeypad();
    const key = screen.getByRole('button', { name: '8' });
    fireEvent.click(key);
    expect(key.classList).toContain('keypad__key--pressed');
    vi.advanceTimersByTime(200);
    expect(key.classList).not.toContain('keypad__key--pressed');
  });

  it('speaks the word for "key" in the current language', () => {
    const spoken: { text: string; lang: string }[] = [];
    vi.stubGlobal(
      'SpeechSynthesisUtterance',
      class {
        lang = '';
        constructor(readonly text: string) {}
      },
    );
    vi.stubGlobal('speechSynthesis', { cancel: vi.fn(), speak: (utterance: { text: string; lang: string }) => spoken.push(utterance) });
    return i18n.changeLanguage('ja').then(() => {
      renderKeypad({ audio: true });
      press('4');
      expect(spoken).toEqual([{ text: KEYPAD_STRINGS_JA.keypad.keySpoken, lang: 'ja' }]);
      return i18n.changeLanguage('en');
    });
  });
});

describe('key feedback', () => {
  it('makes the same short click for every key with the Web Audio API', () => {
    const clicks: { frequency: number; start: number; stop: number }[] = [];
    class FakeAudioContext {
      state = 'running';
      currentTime = 1;
      destination = {};
      createGain() {
        return { gain: { setValueAtTime: vi.fn(), exponentialRampToValueAtTime: vi.fn() }, connect: (node: unknown) => node };
      }
      createOscillator() {
        const click = { frequency: 0, start: 0, stop: 0 };
        clicks.push(click);
        return {
          type: '',
          frequency: {
            set value(hertz: number) {
              click.frequency = hertz;
            },
          },
          connect: (node: unknown) => node,
          start: (at: number) => (click.start = at),
          stop: (at: number) => (click.stop = at),
        };
      }
    }
    vi.stubGlobal('AudioContext', FakeAudioContext);
    playKeySound();
    playKeySound();
    expect(clicks).toHaveLength(2);
    expect(clicks[0]).toEqual(clicks[1]);
    expect((clicks[0]?.stop ?? 0) - (clicks[0]?.start ?? 0)).toBeCloseTo(0.03);
  });

  it('stays silent where the platform has no audio or no voice', () => {
    expect(() => speak('key', 'en')).not.toThrow();
    expect(speechLanguage('ja-x-easy')).toBe('ja');
  });
});

describe('the masked entry', () => {
  it('sizes the mask to the PIN', () => {
    expect(maskSlotCount('authentication', 0)).toBe(4);
    expect(maskSlotCount('signature', 3)).toBe(6);
    expect(maskSlotCount('signature', 11)).toBe(11);
    expect(maskSlotCount('signature', 16)).toBe(16);
  });
});
