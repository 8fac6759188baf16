// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import type { ReactElement } from 'react';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import { useRendererStrings } from './renderer-strings';
import type { Command, SessionView, StaffView, ViewState } from '../../../preload/contract';
import { CustomerDisplay } from '../../../renderer/src/screens/CustomerDisplay';
import { SessionScreen } from '../../../renderer/src/screens/SessionScreen';
import { StaffSignIn } from '../../../renderer/src/screens/StaffSignIn';
import { SendContext } from '../../../renderer/src/send';
import STRINGS_EN from '../../../renderer/src/locales/en.json';

// The counter's two windows: whoever types the PIN confirms its last try, on their own window; the sign-in form
// says how long to wait, or that the account is locked.

const { i18n } = useRendererStrings({ en: STRINGS_EN }, 'en');

function renderWith(element: ReactElement) {
  const sent: Command[] = [];
  render(
    <I18nextProvider i18n={i18n}>
      <SendContext.Provider value={(command) => (sent.push(command), Promise.resolve({ ok: true }))}>{element}</SendContext.Provider>
    </I18nextProvider>,
  );
  return sent;
}

const lastTry = (pinTypedBy: 'resident' | 'staff'): SessionView => ({
  screen: 'last-try',
  reference: 'ABCD-EFGH',
  route: pinTypedBy === 'staff' ? 'voluntary-proxy' : 'in-person',
  pin: { name: 'authentication', triesLeft: 1, maxTries: 3 },
  pinTypedBy,
});

const counterView = (session: SessionView): ViewState => ({
  profile: 'counter',
  cardSource: 'virtual',
  screen: 'session',
  language: 'en',
  reader: { state: 'card_present', reader: 'r', readers: ['r'] },
  takeCard: false,
  customerDisplay: true,
  printer: 'browser',
  today: '2026-12-07',
  session,
});

const CONFIRM = 'I am sure — enter the PIN';

describe('the last try, confirmed where the PIN is typed', () => {
  it('the resident types: the customer window asks for the confirmation and sends it', () => {
    const view = counterView(lastTry('resident'));
    const sent = renderWith(<CustomerDisplay view={view} />);
    fireEvent.click(screen.getByRole('button', { name: CONFIRM }));
    expect(sent).toEqual([{ type: 'SESSION', intent: { type: 'CONFIRM_LAST_TRY' } }]);
  });

  it('the resident types: the staff window shows no confirmation, only that the resident is confirming', () => {
    const view = counterView(lastTry('resident'));
    renderWith(<SessionScreen view={view} session={view.session!} />);
    expect(screen.queryByRole('button', { name: CONFIRM })).toBeNull();
    expect(screen.getByRole('status').textContent).toBe('The resident is confirming on the customer display.');
  });

  it("staff type a proxy's PIN: the confirmation is on the staff window, and the customer window waits", () => {
    const view = counterView(lastTry('staff'));
    renderWith(<SessionScreen view={view} session={view.session!} />);
    expect(screen.getByRole('button', { name: CONFIRM })).toBeTruthy();
    cleanup();
    renderWith(<CustomerDisplay view={view} />);
    expect(screen.queryByRole('button', { name: CONFIRM })).toBeNull();
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Staff are helping you');
  });
});

describe("the customer display's PIN screen", () => {
  it('offers "I forgot my PIN" but not Stop: ending the session is for staff, on their window', () => {
    const view = counterView({ ...lastTry('resident'), screen: 'pin-entry', pin: { name: 'authentication', triesLeft: 3, maxTries: 3 } });
    renderWith(<CustomerDisplay view={view} />);
    expect(screen.getByRole('button', { name: STRINGS_EN.keypad.forgot })).toBeTruthy();
    expect(screen.queryByRole('button', { name: STRINGS_EN.stop.button })).toBeNull();
    cleanup();
    renderWith(<SessionScreen view={view} session={view.session!} />);
    expect(screen.getByRole('button', { name: STRINGS_EN.stop.button })).toBeTruthy();
  });
});

describe('the staff sign-in form', () => {
  const form = (staff: StaffView) => renderWith(<StaffSignIn staff={staff} />);

  it('says how long to wait after too many wrong passcodes', () => {
    form({ state: 'signed-out', refusal: 'too-many-attempts', retryInSeconds: 30 });
    expect(screen.getByRole('alert').textContent).toBe('Too many wrong attempts. Please wait 30 seconds and try again.');
  });

  it('says the account is locked until a supervisor unlocks it', () => {
    form({ state: 'signed-out', refusal: 'account-locked' });
    expect(screen.getByRole('alert').textContent).toMatch(/locked .* Ask a supervisor/);
  });

  it('waits while a passcode is being checked', () => {
    form({ state: 'signed-out', checking: true });
    expect((screen.getByRole('button', { name: 'Sign in' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByRole('status').textContent).toBe('Checking…');
  });
});
