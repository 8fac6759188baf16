// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import type { ReactElement } from 'react';
import { I18nextProvider } from 'react-i18next';
import { afterEach, describe, expect, it } from 'vitest';
import { useRendererStrings } from './renderer-strings';
import type { Command, SessionView, ViewState } from '../../../preload/contract';
import { StepIndicator } from '../../../renderer/src/components/StepIndicator';
import { phrased } from '../../../renderer/src/phrasing';
import { SessionScreen } from '../../../renderer/src/screens/SessionScreen';
import { SendContext } from '../../../renderer/src/send';
import STRINGS_EN from '../../../renderer/src/locales/en.json';
import STRINGS_EASY from '../../../renderer/src/locales/ja-x-easy.json';

// The rough edges a first-time resident met on the lobby screens (issue 13): each is checked here on the screen
// itself, through the same send() the screens use.

const { i18n } = useRendererStrings({ en: STRINGS_EN }, 'en');
afterEach(cleanup);

function showSession(session: SessionView) {
  const sent: Command[] = [];
  const view: ViewState = {
    profile: 'lobby',
    cardSource: 'pcsc',
    screen: 'session',
    language: 'en',
    reader: { state: 'card_present', reader: 'r', readers: ['r'] },
    takeCard: false,
    customerDisplay: false,
    printer: 'kiosk',
    today: '2026-12-07',
    session,
  };
  const element: ReactElement = (
    <I18nextProvider i18n={i18n}>
      <SendContext.Provider value={(command) => (sent.push(command), Promise.resolve({ ok: true }))}>
        <StepIndicator session={session} />
        <SessionScreen view={view} session={session} />
      </SendContext.Provider>
    </I18nextProvider>
  );
  const rendered = render(element);
  return { sent, container: rendered.container };
}

const base = { reference: 'ABCD-EFGH', route: 'in-person' } as const;
const pinEntry = (extra: Partial<SessionView> = {}): SessionView => ({
  ...base,
  screen: 'pin-entry',
  pin: { name: 'authentication', triesLeft: 3, maxTries: 3 },
  pinTypedBy: 'resident',
  ...extra,
});
const button = (name: string) => screen.getByRole('button', { name });
const dialog = () => screen.queryByRole('dialog');

describe('"I forgot my PIN"', () => {
  it('asks before it ends the visit: going back sends nothing, confirming hands off', () => {
    const { sent } = showSession(pinEntry());
    fireEvent.click(button(STRINGS_EN.keypad.forgot));
    expect(within(dialog()!).getByRole('heading').textContent).toBe(STRINGS_EN.forgot.title);
    expect(sent).toEqual([]);
    fireEvent.click(button(STRINGS_EN.forgot.back));
    expect(dialog()).toBeNull();
    expect(sent).toEqual([]);
    fireEvent.click(button(STRINGS_EN.keypad.forgot));
    fireEvent.click(button(STRINGS_EN.forgot.confirm));
    expect(sent).toEqual([{ type: 'SESSION', intent: { type: 'FORGOT_PIN' } }]);
  });

  it('is not beside OK: OK is the last of the action row, the ways out before it', () => {
    const { container } = showSession(pinEntry());
    const row = container.querySelector('.keypad__actions') as HTMLElement;
    expect(
      within(row)
        .getAllByRole('button')
        .map((candidate) => candidate.textContent),
    ).toEqual([STRINGS_EN.stop.button, STRINGS_EN.keypad.forgot, STRINGS_EN.keypad.submit]);
  });
});

describe('the way out of a PIN screen', () => {
  it.each(['pin-entry', 'new-pin', 'new-pin-again'] as const)('%s: Stop asks first, then cancels; no PIN is sent', (screenName) => {
    const { sent } = showSession(pinEntry({ screen: screenName }));
    fireEvent.click(button(STRINGS_EN.stop.button));
    expect(within(dialog()!).getByText(STRINGS_EN.stop.lead)).toBeTruthy();
    fireEvent.click(button(STRINGS_EN.stop.back));
    expect(sent).toEqual([]);
    fireEvent.click(button(STRINGS_EN.stop.button));
    fireEvent.click(button(STRINGS_EN.stop.confirm));
    expect(sent).toEqual([{ type: 'SESSION', intent: { type: 'CANCEL' } }]);
  });
});

describe('a card put back after it was pulled mid-renewal', () => {
  it('the PIN screen says why the PINs are asked again', () => {
    showSession(pinEntry({ resumed: true }));
    expect(screen.getByText(STRINGS_EN.pin.resumed)).toBeTruthy();
  });

  it('a first visit says nothing of the kind', () => {
    showSession(pinEntry());
    expect(screen.queryByText(STRINGS_EN.pin.resumed)).toBeNull();
  });

  it('the card-away screen says so before the card goes back', () => {
    showSession({ ...base, screen: 'card-away' });
    expect(screen.getByText(STRINGS_EN.cardAway.pinsAgain)).toBeTruthy();
    expect(screen.getByRole('img', { name: STRINGS_EN.cardInsertion.label })).toBeTruthy();
  });
});

describe('the done screen', () => {
  it('shows each new expiry date first, large, outside the slip', () => {
    const { container } = showSession({
      ...base,
      screen: 'done',
      renewed: { authenticationExpires: '2031-12-20', signatureExpires: '2031-11-30' },
      ended: 'renewed',
    });
    const expiry = container.querySelector('.expiry') as HTMLElement;
    expect(expiry.closest('.slip')).toBeNull();
    expect(
      within(expiry)
        .getAllByRole('definition')
        .map((date) => date.textContent),
    ).toEqual(['December 20, 2031', 'November 30, 2031']);
    // Before the lead, the take-card line and the print button: the first thing under the heading.
    const main = container.querySelector('main') as HTMLElement;
    expect(main.children[1]).toBe(expiry);
  });
});

describe('too early to renew', () => {
  it('offers a slip to print, in place of "take this information with you" with nothing to take', () => {
    const { sent, container } = showSession({
      ...base,
      screen: 'not-yet',
      card: { kind: 'my-number', authenticationExpires: '2029-05-20', signatureCertificate: true },
      eligibility: { outcome: 'not-yet', opensOn: '2029-02-20', reasons: [] },
      ended: 'not-eligible',
    });
    expect(container.querySelector('[data-slip="eligibility"]')?.textContent).toContain('February 20, 2029');
    fireEvent.click(button(STRINGS_EN.slip.print));
    expect(sent).toEqual([{ type: 'PRINT_SLIP' }]);
  });
});

describe('a locked PIN', () => {
  it('is named on the hand-off screen and its slip', () => {
    const { container } = showSession({
      ...base,
      screen: 'hand-off',
      handOff: 'pin-blocked',
      lockedPins: ['signature'],
      ended: 'handed-off',
    });
    const named = `Locked: ${STRINGS_EN.pin.name.signature}`;
    expect(container.querySelector('.hand-off')?.textContent).toContain(named);
    expect(container.querySelector('[data-slip="hand-off"]')?.textContent).toContain(named);
  });
});

describe('the step indicator', () => {
  it.each([
    ['status', STRINGS_EN.steps.check],
    ['pin-entry', STRINGS_EN.steps.pins],
    ['confirm', STRINGS_EN.steps.confirm],
    ['renewing', STRINGS_EN.steps.renew],
    ['done', STRINGS_EN.steps.done],
  ] as const)('marks the step of %s as the current one', (screenName, step) => {
    const { container } = showSession(pinEntry({ screen: screenName }));
    const current = container.querySelector('.steps [aria-current="step"]');
    expect(current?.textContent).toContain(step);
  });

  it('claims no step on a screen that ends the visit short of a renewal', () => {
    const { container } = showSession({ ...base, screen: 'hand-off', handOff: 'card-error', ended: 'handed-off' });
    expect(container.querySelector('.steps')).toBeNull();
  });
});

describe('Japanese line breaks (BudouX)', () => {
  it('never break inside a word: アルファベット stays whole between break opportunities', () => {
    const text = STRINGS_EASY.keypad.problem.password;
    expect(text).toContain('アルファベット');
    const { container } = render(<p>{phrased(text, 'ja-x-easy')}</p>);
    const paragraph = container.querySelector('p') as HTMLElement;
    expect(paragraph.querySelectorAll('wbr').length).toBeGreaterThan(0);
    // The pieces between <wbr>s, in order: one of them holds the whole word.
    const pieces = paragraph.innerHTML.split('<wbr>');
    expect(pieces.some((piece) => piece.includes('アルファベット'))).toBe(true);
    expect(paragraph.textContent).toBe(text);
  });

  it('never end a line on an opening bracket: it goes with the reading it opens', () => {
    const text = STRINGS_EASY.pin.name.signature;
    expect(text).toContain('暗証番号（あんしょうばんごう）');
    const { container } = render(<p>{phrased(text, 'ja-x-easy')}</p>);
    const paragraph = container.querySelector('p') as HTMLElement;
    const pieces = paragraph.innerHTML.split('<wbr>');
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.filter((piece) => /[（「『【]$/u.test(piece))).toEqual([]);
    expect(pieces).toContain('（あんしょうばんごう）');
    expect(paragraph.textContent).toBe(text);
  });

  it('leave other languages alone', () => {
    expect(phrased('Enter your PIN', 'en')).toBe('Enter your PIN');
  });
});
