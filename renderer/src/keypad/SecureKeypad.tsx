import { useEffect, useMemo, useRef, useState } from 'react';
import type { MouseEvent, ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { PIN_RULES, pinFormatProblem } from '../../../preload/vocabulary';
import { DIGIT_ROWS, LETTERS, maskSlotCount, shuffledDigits } from './keypad-layout';
import type { KeypadPin } from './keypad-layout';
import { playKeySound, speak } from './key-feedback';
import './keypad.css';

export type { KeypadPin } from './keypad-layout';

export interface SecureKeypadProps {
  /** Which PIN: its rule (`PIN_RULES` in preload/vocabulary.ts) shapes the keypad and the mask. */
  pin: KeypadPin;
  /** The entry's accessible name, from the screen (which PIN this is). */
  label: string;
  /** Called once per well-formed value; the keypad has already forgotten it by then. */
  onSubmit(value: string): void;
  /**
   * The screen's other ways out (back, stop, "I forgot my PIN"), shown on the
   * left of the keypad's action row, OK on the right: the same places as on
   * every other screen, and never next to each other.
   */
  secondaryActions?: ReactNode;
  /** A shuffled digit layout, in visual mode only: ignored when `audio` is on. */
  shuffle?: boolean;
  /** Audio guidance: every character key speaks the same word, never the character. */
  audio?: boolean;
  /** While main is verifying: every key, "forgot" included, is disabled. */
  disabled?: boolean;
  submitLabel?: string;
}

const PRESSED_CLASS = 'keypad__key--pressed';
const PRESSED_MILLISECONDS = 150;

/**
 * The one place a PIN is typed (docs/experience.md, "The secure keypad").
 * The characters live only in `buffer` below, a ref local to this component:
 * the rendered output knows only how many there are. It listens to no
 * keyboard, so a physical keyboard cannot type and there is no <input> whose
 * value could be read or that could summon the OS keyboard.
 */
export function SecureKeypad({
  pin,
  label,
  onSubmit,
  secondaryActions,
  shuffle = false,
  audio = false,
  disabled = false,
  submitLabel,
}: SecureKeypadProps) {
  const { t, i18n } = useTranslation();
  const buffer = useRef('');
  const [typedCount, setTypedCount] = useState(0);
  // How many times in a row submit was refused: each refusal re-mounts the alert so it is announced again.
  const [refusals, setRefusals] = useState(0);
  const pressTimers = useRef(new Set<ReturnType<typeof setTimeout>>());
  const rule = PIN_RULES[pin];
  const submitText = submitLabel ?? t('keypad.submit');

  // A shuffled layout would be a trap for someone finding keys by position while listening.
  const shuffled = shuffle && !audio;
  const digitRows = useMemo(() => (shuffled ? shuffledDigits() : DIGIT_ROWS), [shuffled]);

  // Wiped when unmounted, and when the screen reuses the keypad for a different PIN.
  useEffect(() => {
    return () => {
      buffer.current = '';
      setTypedCount(0);
      setRefusals(0);
    };
  }, [pin]);

  useEffect(() => {
    const timers = pressTimers.current;
    return () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    };
  }, []);

  function feedback(event: MouseEvent<HTMLButtonElement>, spoken: string) {
    playKeySound();
    if (audio) speak(spoken, i18n.language);
    // Set on the element, not in state, so no state ever records which key was pressed.
    const button = event.currentTarget;
    button.classList.add(PRESSED_CLASS);
    const timer = setTimeout(() => {
      button.classList.remove(PRESSED_CLASS);
      pressTimers.current.delete(timer);
    }, PRESSED_MILLISECONDS);
    pressTimers.current.add(timer);
  }

  function replaceBuffer(value: string) {
    buffer.current = value;
    setTypedCount(value.length);
    setRefusals(0);
  }

  function typeCharacter(event: MouseEvent<HTMLButtonElement>, character: string) {
    feedback(event, t('keypad.keySpoken'));
    if (disabled || buffer.current.length >= rule.maxLength) return;
    replaceBuffer(buffer.current + character);
  }

  function deleteLast(event: MouseEvent<HTMLButtonElement>) {
    feedback(event, t('keypad.backspace'));
    if (!disabled) replaceBuffer(buffer.current.slice(0, -1));
  }

  function clearAll(event: MouseEvent<HTMLButtonElement>) {
    feedback(event, t('keypad.clear'));
    if (!disabled) replaceBuffer('');
  }

  function submit(event: MouseEvent<HTMLButtonElement>) {
    feedback(event, submitText);
    if (disabled) return;
    const value = buffer.current;
    if (pinFormatProblem(pin, value)) {
      // The typed value stays, so the person can correct it rather than start over.
      setRefusals((count) => count + 1);
      return;
    }
    replaceBuffer('');
    onSubmit(value);
  }

  const slots = maskSlotCount(pin, typedCount);
  const progress = rule.takesLetters
    ? t('keypad.enteredPassword', { count: typedCount })
    : t('keypad.entered', { count: typedCount, length: rule.maxLength });
  const characterKey = (character: string, extraClass = '') => (
    <button
      key={character}
      type="button"
      className={`keypad__key keypad__key--character${extraClass}`}
      disabled={disabled}
      onClick={(event) => typeCharacter(event, character)}
    >
      {character}
    </button>
  );
  const topRows = digitRows.slice(0, 3).flat();
  const bottomRow = digitRows[3] ?? [];

  return (
    <div className={`keypad keypad--${pin}`}>
      <div className="keypad__entry" role="group" aria-label={label}>
        {/* Shown for sighted people; assistive technology already has it as the group's name. */}
        <p className="keypad__label" aria-hidden="true">
          {label}
        </p>
        <div className="keypad__mask" aria-hidden="true">
          {Array.from({ length: slots }, (_, slot) => (
            <span key={slot} className={slot < typedCount ? 'keypad__dot keypad__dot--filled' : 'keypad__dot'} />
          ))}
        </div>
        <p className="keypad__progress" role="status" aria-live="polite">
          {progress}
        </p>
      </div>

      <div className="keypad__pads">
        {rule.takesLetters && (
          <div className="keypad__letters" role="group" aria-label={t('keypad.lettersGroup')}>
            {LETTERS.map((letter) => characterKey(letter))}
          </div>
        )}
        <div className="keypad__digits" role="group" aria-label={t('keypad.digitsGroup')}>
          {/* The marker goes on the centre key: it is for finding your way by position. */}
          {topRows.map((digit, index) => characterKey(digit, index === 4 ? ' keypad__key--marker' : ''))}
          <button type="button" className="keypad__key keypad__key--command" disabled={disabled} onClick={clearAll}>
            {t('keypad.clear')}
          </button>
          {bottomRow.map((digit) => characterKey(digit))}
          <button type="button" className="keypad__key keypad__key--command" disabled={disabled} onClick={deleteLast}>
            {t('keypad.backspace')}
          </button>
        </div>
      </div>

      <div className="keypad__problem" role="alert">
        {refusals > 0 && <p key={refusals}>{t(rule.takesLetters ? 'keypad.problem.password' : 'keypad.problem.length4')}</p>}
      </div>

      <div className="keypad__actions actions">
        {secondaryActions}
        {/* Never disabled for a malformed value: pressing it is how the person learns what is wrong. */}
        <button type="button" className="keypad__submit primary" disabled={disabled} onClick={submit}>
          {submitText}
        </button>
      </div>
    </div>
  );
}
