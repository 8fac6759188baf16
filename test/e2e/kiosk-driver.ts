import type { Page } from '@playwright/test';
import { expect } from './fixtures';

/**
 * How a person uses the kiosk, in the words of the screen: every step finds
 * its control by role and accessible name, as assistive technology would.
 * The strings are the English ones (tests switch to English first unless
 * they test Japanese).
 */
export class KioskDriver {
  constructor(readonly page: Page) {}

  async open(url: string, language: 'English' | '日本語' = 'English'): Promise<void> {
    await this.page.goto(url);
    await expect(this.page.getByRole('heading', { level: 1 })).toBeVisible();
    await this.chooseLanguage(language);
  }

  /** All thirteen languages are buttons on the attract screen; elsewhere one "Language" button opens them. */
  async chooseLanguage(language: 'English' | '日本語'): Promise<void> {
    const choice = this.page.getByRole('button', { name: language, exact: true });
    if (!(await choice.isVisible())) await this.page.getByRole('button', { name: /Language$/ }).click();
    await choice.click();
    await expect(this.page.locator('html')).toHaveAttribute('lang', language === 'English' ? 'en' : 'ja');
  }

  /** The trainer panel puts a persona's virtual card into the reader. */
  async insertCard(persona: string): Promise<void> {
    await this.page.getByLabel('Virtual card').selectOption(persona);
    await this.page.getByRole('button', { name: 'Insert this card' }).click();
  }

  async fault(name: string): Promise<void> {
    await this.page.getByRole('group', { name: 'Faults' }).getByRole('button', { name }).click();
  }

  heading() {
    return this.page.getByRole('heading', { level: 1 });
  }

  async expectScreen(title: string | RegExp): Promise<void> {
    await expect(this.heading()).toHaveText(title, { timeout: 15_000 });
  }

  async tap(name: string | RegExp): Promise<void> {
    await this.page.getByRole('button', { name, exact: typeof name === 'string' }).click();
  }

  /** Types on the secure keypad, one key at a time, then OK. */
  async typePin(value: string, submit = 'OK'): Promise<void> {
    const keypad = this.page.getByRole('group', { name: /PIN|password/i }).first();
    await expect(keypad).toBeVisible();
    for (const character of value) await this.page.getByRole('button', { name: character, exact: true }).click();
    await this.page.getByRole('button', { name: submit, exact: true }).click();
  }

  /** The PIN screen for one PIN: its title names it. */
  async expectPinScreen(pin: 'authentication' | 'signature' | 'registry'): Promise<void> {
    const names = {
      authentication: 'Enter your User-authentication PIN (4 digits)',
      signature: 'Enter your Signature password (6–16 letters and digits)',
      registry: 'Enter your Resident-registry PIN (4 digits)',
    };
    await this.expectScreen(names[pin]);
  }

  /** Staff sign-in at the counter (also the unlock after the inactivity lock). */
  async signIn(staffId: string, passcode: string): Promise<void> {
    await this.page.getByLabel('Staff ID', { exact: true }).fill(staffId);
    await this.page.getByLabel('Passcode', { exact: true }).fill(passcode);
    await this.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** One question of a staff checklist: the radio button `choice` in the group named by the question. */
  async answer(question: string, choice: string): Promise<void> {
    await this.page.getByRole('group', { name: question, exact: true }).getByRole('radio', { name: choice, exact: true }).check();
  }

  /** The PINs of a renewal, each on its own screen, in the order the kiosk asks for them. */
  async enterPins(
    pins: Partial<Record<'authentication' | 'signature' | 'registry', string>>,
    order: Array<'authentication' | 'signature' | 'registry'> = ['registry', 'authentication', 'signature'],
  ): Promise<void> {
    for (const pin of order) {
      const value = pins[pin];
      if (!value) continue;
      await this.expectPinScreen(pin);
      await this.typePin(value);
    }
  }

  /** The confirm screen's "Renew now", then the done screen. */
  async renew(): Promise<void> {
    await this.expectScreen('Renew your certificates now?');
    await this.tap('Renew now');
    await this.expectScreen('Your certificates have been renewed');
  }

  /** The trainer inserts the persona's card; the resident reads the status and goes on to the first PIN. */
  async startSession(persona: string): Promise<void> {
    await this.insertCard(persona);
    await this.expectScreen('Your certificates');
    await this.tap('Continue');
  }
}
