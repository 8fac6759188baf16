import type { Page, TestInfo } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  expect,
  expectAccessible,
  personaPins,
  screenshot,
  startWebHostProcess,
  stopWebHostProcess,
  test,
  type RunningWebHost,
} from './fixtures';
import { KioskDriver } from './kiosk-driver';

/**
 * Every screen of the three uses, in Japanese and in English: each stop is
 * reached by driving the UI (personas and trainer faults), then scanned by
 * axe (no violation allowed) and photographed as a test artifact (personal
 * data masked). A few routes, each walking several screens, keep it fast.
 * Screens are recognised by their <main data-screen>, which does not depend
 * on the language; their headings are checked against the locale file.
 */

type Lang = 'ja' | 'en';
const LANGS: readonly Lang[] = ['ja', 'en'];
const LANGUAGE_BUTTON = { ja: '日本語', en: 'English' } as const;

/** The screen's strings, straight from the locale file the renderer uses. */
function stringsFor(lang: Lang) {
  const table = JSON.parse(
    readFileSync(fileURLToPath(new URL(`../../renderer/src/locales/${lang}.json`, import.meta.url)), 'utf8'),
  ) as Record<string, unknown>;
  return (key: string, values: Record<string, string | number> = {}): string => {
    const found = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], table);
    if (typeof found !== 'string') throw new Error(`no string "${key}" in ${lang}.json`);
    return found.replace(/\{\{(\w+)\}\}/g, (_, name: string) => String(values[name]));
  };
}

/** One walk through the screens in one language: wait for a screen, check its title, scan it, photograph it. */
class Walk {
  readonly t: ReturnType<typeof stringsFor>;
  readonly kiosk: KioskDriver;

  constructor(
    readonly page: Page,
    readonly testInfo: TestInfo,
    readonly lang: Lang,
    /** At each stop, also switch to this language (main keeps the session), scan and photograph, and switch back. */
    readonly alsoIn?: Lang,
  ) {
    this.t = stringsFor(lang);
    this.kiosk = new KioskDriver(page);
  }

  open(url: string): Promise<void> {
    return this.kiosk.open(url, LANGUAGE_BUTTON[this.lang]);
  }

  main() {
    return this.page.locator('main');
  }

  /** Waits for the screen by its data-screen name, checks its title when given. */
  async reach(screen: string, title?: string): Promise<void> {
    await expect(this.main()).toHaveAttribute('data-screen', screen, { timeout: 20_000 });
    if (title !== undefined) await expect(this.page.getByRole('heading', { level: 1 })).toHaveText(title);
  }

  /** The stop: axe finds nothing, and the screen is attached as `<name>-<lang>` — in both languages when the walk has two. */
  async stop(name: string): Promise<void> {
    await expectAccessible(this.page);
    await screenshot(this.page, this.testInfo, `${name}-${this.lang}`);
    if (!this.alsoIn) return;
    const screen = (await this.main().getAttribute('data-screen')) ?? '';
    await this.switchLanguage(this.alsoIn);
    await expect(this.main()).toHaveAttribute('data-screen', screen);
    await expectAccessible(this.page);
    await screenshot(this.page, this.testInfo, `${name}-${this.alsoIn}`);
    await this.switchLanguage(this.lang);
    await expect(this.main()).toHaveAttribute('data-screen', screen);
  }

  /** Where a resident starts, every language is a button; elsewhere one button opens the choice. */
  async switchLanguage(lang: Lang): Promise<void> {
    // The one navigation landmark, named in whichever language the page is in now.
    const languages = this.page.getByRole('navigation');
    const direct = languages.getByRole('button', { name: LANGUAGE_BUTTON[lang], exact: true });
    if ((await direct.count()) === 0) await languages.getByRole('button').click();
    await this.page.getByRole('button', { name: LANGUAGE_BUTTON[lang], exact: true }).click();
    await expect(this.page.locator('html')).toHaveAttribute('lang', lang);
  }

  button(key: string, values?: Record<string, string | number>) {
    return this.page.getByRole('button', { name: this.t(key, values), exact: true });
  }

  async tap(key: string): Promise<void> {
    await this.button(key).click();
  }

  async insertCard(persona: string): Promise<void> {
    await this.page.getByLabel(this.t('trainer.persona')).selectOption(persona);
    await this.tap('trainer.insert');
  }

  async fault(fault: string): Promise<void> {
    await this.page
      .getByRole('group', { name: this.t('trainer.faults') })
      .getByRole('button', { name: this.t(`trainer.fault.${fault}`), exact: true })
      .click();
  }

  /** Takes the card out and waits for the attract screen. */
  async pullCard(): Promise<void> {
    await this.fault('pull-card');
    await this.reach('attract', this.t('attract.title'));
  }

  /** Types on the secure keypad, one key at a time, then its submit key. */
  async typePin(value: string, submitKey = 'keypad.submit'): Promise<void> {
    await expect(this.page.locator('.keypad')).toBeVisible();
    for (const character of value) await this.page.getByRole('button', { name: character, exact: true }).click();
    await this.tap(submitKey);
  }

  async expectPinScreen(pin: 'registry' | 'authentication' | 'signature', screen = 'pin-entry', titleKey = 'pin.title'): Promise<void> {
    await this.reach(screen, this.t(titleKey, { pin: this.t(`pin.name.${pin}`) }));
  }

  readerState() {
    return this.main().getByRole('status');
  }
}

let host: RunningWebHost | undefined;
test.afterEach(async () => {
  if (host) await stopWebHostProcess(host);
  host = undefined;
});

for (const lang of LANGS) {
  test.describe(`screens in ${lang}`, () => {
    test(
      'resident renewal route: attract, no reader, status, every PIN screen, wrong PIN, ' + `confirm, renewing, card away, done (${lang})`,
      async ({ page, typedSecrets }, testInfo) => {
        test.setTimeout(300_000);
        host = await startWebHostProcess('demo');
        const walk = new Walk(page, testInfo, lang);
        const { t } = walk;
        const pins = personaPins('standard-in-window');
        await walk.open(host.url);

        await walk.reach('attract', t('attract.title'));
        await expect(walk.readerState()).toHaveAttribute('data-reader-state', 'waiting_for_card');
        await expect(walk.readerState()).toContainText(t('reader.waiting_for_card'));
        await walk.stop('attract');

        await walk.fault('unplug-reader');
        await expect(walk.readerState()).toHaveAttribute('data-reader-state', 'no_reader');
        await expect(walk.readerState()).toContainText(t('reader.no_reader'));
        await walk.stop('attract-no-reader');
        await walk.fault('plug-in-reader');
        await expect(walk.readerState()).toHaveAttribute('data-reader-state', 'waiting_for_card');

        await walk.insertCard('standard-in-window');
        await walk.reach('status', t('status.title'));
        await expect(walk.main().getByText(t('status.next'))).toBeVisible();
        await walk.stop('status');
        // The largest text, on the status screen.
        await walk.tap('display.textSize2');
        await expect(page.locator('html')).toHaveAttribute('data-text-size', '2');
        await walk.stop('status-largest-text');
        await walk.tap('display.textSize0');
        await walk.tap('status.continue');

        await walk.expectPinScreen('registry');
        await expect(page.getByText(t('pin.triesLeft', { count: 3, max: 3 }))).toBeVisible();
        await walk.stop('pin-registry');
        // A wrong PIN: one try spent, and the screen says so before the next entry.
        typedSecrets.push('9999');
        await walk.typePin('9999');
        // One box says it: the warning carries the tries left.
        await expect(page.getByRole('alert').filter({ hasText: t('pin.lastAttempt.wrong', { count: 2 }) })).toBeVisible();
        await walk.expectPinScreen('registry');
        await walk.stop('pin-wrong');
        await walk.typePin(pins.registry);

        await walk.expectPinScreen('authentication');
        await walk.stop('pin-authentication');
        await walk.typePin(pins.authentication);

        await walk.expectPinScreen('signature');
        const letters = page.getByRole('group', { name: t('keypad.lettersGroup') });
        await expect(letters.getByRole('button')).toHaveCount(26);
        await expect(letters.getByRole('button', { name: 'Z', exact: true })).toBeVisible();
        await walk.stop('pin-signature');
        // High contrast, on the signature screen with its A–Z grid.
        await walk.tap('display.highContrast');
        await expect(page.locator('.kiosk')).toHaveClass(/high-contrast/);
        await walk.stop('pin-signature-high-contrast');
        await walk.tap('display.highContrast');
        await walk.typePin(pins.signature);

        await walk.reach('confirm', t('confirm.title'));
        await walk.stop('confirm');

        // A slow issuing service keeps the progress screen up long enough to scan it, and to pull the card.
        await walk.fault('service-slow');
        await expect(page.getByRole('button', { name: t('trainer.fault.service-slow'), exact: true })).toHaveAttribute(
          'aria-pressed',
          'true',
        );
        await walk.tap('confirm.renew');
        await walk.reach('renewing', t('renewing.title'));
        await expect(page.getByRole('list', { name: t('renewing.steps') }).getByRole('listitem')).toHaveCount(5);
        await walk.stop('renewing');

        await walk.fault('pull-card');
        await walk.reach('card-away', t('cardAway.title'));
        await walk.stop('card-away');
        await walk.fault('service-slow');
        await expect(page.getByRole('button', { name: t('trainer.fault.service-slow'), exact: true })).toHaveAttribute(
          'aria-pressed',
          'false',
        );
        await walk.fault('reinsert-card');

        // Back in: the PINs again (the card lost power), then the renewal resumes by itself.
        await walk.expectPinScreen('registry');
        await walk.typePin(pins.registry);
        await walk.expectPinScreen('authentication');
        await walk.typePin(pins.authentication);
        await walk.expectPinScreen('signature');
        await walk.typePin(pins.signature);

        await walk.reach('done', t('done.title'));
        // The slip is for the printer; the screen shows the dates themselves.
        await expect(page.locator('dl.expiry')).toBeVisible();
        await expect(page.locator('[data-slip="completion"] h2')).toHaveText(t('slips.completion.title'));
        await walk.stop('done');
        await walk.pullCard();
      },
    );

    // One walk photographs both languages at each stop (main keeps the session while the language changes).
    if (lang === 'ja')
      test(`resident hand-off route: take card, last try, hand-off slip, not yet, card renewal (ja and en)`, async ({ page }, testInfo) => {
        test.setTimeout(240_000);
        host = await startWebHostProcess('demo');
        const walk = new Walk(page, testInfo, lang, 'en');
        const { t } = walk;
        const pins = personaPins('authentication-pin-one-try-left');
        await walk.open(host.url);

        // Cancelled with the card still in: the attract screen asks for it.
        await walk.insertCard('authentication-pin-one-try-left');
        await walk.reach('status', t('status.title'));
        await walk.tap('common.cancel');
        await walk.reach('attract', t('attract.title'));
        await expect(walk.readerState()).toHaveAttribute('data-reader-state', 'take-card');
        await expect(walk.readerState()).toContainText(t('attract.takeCard'));
        await walk.stop('attract-take-card');
        await walk.fault('pull-card');
        await expect(walk.readerState()).toHaveAttribute('data-reader-state', 'waiting_for_card');

        await walk.insertCard('authentication-pin-one-try-left');
        await walk.reach('status', t('status.title'));
        await walk.tap('status.continue');
        await walk.expectPinScreen('registry');
        await walk.typePin(pins.registry);
        await walk.reach('last-try', t('lastTry.title'));
        await walk.stop('last-try');
        // The warning in high contrast and the largest text together.
        await walk.tap('display.highContrast');
        await walk.tap('display.textSize2');
        await expect(page.locator('.kiosk')).toHaveClass(/high-contrast/);
        await expect(page.locator('html')).toHaveAttribute('data-text-size', '2');
        await walk.stop('last-try-high-contrast-largest-text');
        await walk.tap('display.highContrast');
        await walk.tap('display.textSize0');
        await walk.tap('lastTry.confirm');
        await walk.expectPinScreen('authentication');
        await expect(page.getByText(t('pin.triesLeft', { count: 1, max: 3 }))).toBeVisible();
        await walk.tap('keypad.forgot');
        await walk.tap('forgot.confirm');

        await walk.reach('hand-off', t('handOff.title'));
        const facts = page.locator('.hand-off');
        await expect(page.locator('[data-slip="hand-off"] h2')).toHaveText(t('slips.handOff.title'));
        await expect(facts.getByText(t('slips.handOff.reasons.pin-forgotten'))).toBeVisible();
        // The QR image is drawn (not the placeholder) before the scan and the picture.
        await expect(facts.locator('img.reference-qr')).toBeVisible();
        await walk.stop('hand-off');
        await walk.tap('display.highContrast');
        await expect(page.locator('.kiosk')).toHaveClass(/high-contrast/);
        await walk.stop('hand-off-high-contrast');
        await walk.pullCard();

        await walk.insertCard('not-yet-in-window');
        await walk.reach('not-yet', t('notYet.title'));
        await walk.stop('not-yet');
        await walk.pullCard();

        await walk.insertCard('card-expires-with-certificates');
        await walk.reach('card-renewal', t('cardRenewal.title'));
        await walk.stop('card-renewal');
        await walk.pullCard();
      });

    test(`lobby idle overlay: "need more time?" over a session (${lang})`, async ({ page }, testInfo) => {
      test.setTimeout(60_000);
      host = await startWebHostProcess('lobby', { config: { idle: { warnAfterSeconds: 5, countdownSeconds: 20 } } });
      const walk = new Walk(page, testInfo, lang);
      const { t } = walk;
      await walk.open(host.url);
      await walk.insertCard('standard-in-window');
      await walk.reach('status', t('status.title'));
      const dialog = page.getByRole('alertdialog', { name: t('idle.title') });
      await expect(dialog).toBeVisible({ timeout: 15_000 });
      await expect(dialog.getByRole('button', { name: t('idle.more'), exact: true })).toBeFocused();
      await walk.stop('idle');
      await dialog.getByRole('button', { name: t('idle.more'), exact: true }).click();
      await expect(dialog).toBeHidden();
      await walk.reach('status', t('status.title'));
    });

    // One walk photographs both languages at each stop (main keeps the session while the language changes).
    if (lang === 'ja')
      test(
        'counter route: staff sign-in, route choice, proxy and authority checks, ' + 'identity check, new PIN, substitutes (ja and en)',
        async ({ page, typedSecrets }, testInfo) => {
          test.setTimeout(300_000);
          host = await startWebHostProcess('counter');
          const walk = new Walk(page, testInfo, lang, 'en');
          const { t } = walk;
          await walk.open(host.url);

          await walk.reach('staff-sign-in', t('staff.title'));
          await walk.stop('staff-sign-in');
          await signIn(walk);
          await walk.reach('attract', t('attract.title'));
          await expect(page.getByText(t('staff.signedInAs', { id: 'trainer' }))).toBeVisible();
          await walk.stop('counter-attract');

          await walk.insertCard('standard-in-window');
          await walk.reach('route-choice', t('routeChoice.title'));
          await walk.stop('route-choice');
          await walk.tap('routeChoice.voluntary-proxy');
          await walk.reach('proxy-check', t('proxyCheck.title'));
          await walk.stop('proxy-check');
          // Unanswered questions: the form says so, and the screen stays accessible with the message.
          await walk.tap('checklist.record');
          await expect(page.getByRole('alert').filter({ hasText: t('checklist.incomplete') })).toBeVisible();
          await walk.stop('proxy-check-incomplete');
          await walk.tap('common.cancel');
          await expect(walk.readerState()).toHaveAttribute('data-reader-state', 'take-card');
          await walk.pullCard();

          await walk.insertCard('standard-in-window');
          await walk.reach('route-choice', t('routeChoice.title'));
          await walk.tap('routeChoice.legal-representative');
          await walk.reach('authority-check', t('authorityCheck.title'));
          await walk.stop('authority-check');
          await walk.tap('common.cancel');
          await walk.pullCard();

          // A forgotten PIN at the counter: identity check, then the new PIN twice, then the PINs as usual.
          await walk.insertCard('standard-in-window');
          await walk.reach('route-choice', t('routeChoice.title'));
          await walk.tap('routeChoice.in-person');
          await walk.expectPinScreen('registry');
          await walk.tap('keypad.forgot');
          await walk.tap('forgotCounter.confirm');
          await walk.reach('identity-check', t('identityCheck.title'));
          await walk.stop('identity-check');
          await answer(walk, 'identityCheck.documentsA', '1');
          await answer(walk, 'identityCheck.documentsB', '0');
          await answer(walk, 'identityCheck.oralQuestioning', t('common.no'));
          await answer(walk, 'identityCheck.accepted', t('common.yes'));
          await walk.tap('checklist.record');
          await walk.expectPinScreen('registry', 'new-pin', 'pin.newTitle');
          await walk.stop('new-pin');
          typedSecrets.push('4826');
          await walk.typePin('4826', 'common.next');
          await walk.expectPinScreen('registry', 'new-pin-again', 'pin.newAgainTitle');
          await walk.stop('new-pin-again');
          await walk.typePin('4826', 'common.next');
          // The new PIN is the one the card now takes.
          await walk.expectPinScreen('registry');
          await walk.typePin('4826');
          await walk.expectPinScreen('authentication');
          await walk.pullCard();

          // Substitute characters in the signature certificate: the resident confirms them at the counter.
          const pins = personaPins('substitute-characters');
          await walk.insertCard('substitute-characters');
          await walk.reach('route-choice', t('routeChoice.title'));
          await walk.tap('routeChoice.in-person');
          await walk.expectPinScreen('registry');
          await walk.typePin(pins.registry);
          await walk.expectPinScreen('authentication');
          await walk.typePin(pins.authentication);
          await walk.expectPinScreen('signature');
          await walk.typePin(pins.signature);
          await walk.reach('substitutes', t('substitutes.title'));
          await expect(page.locator('[data-personal]')).toBeVisible();
          await walk.stop('substitutes');
          await walk.tap('substitutes.accept');
          await walk.reach('confirm', t('confirm.title'));
          await walk.pullCard();
        },
      );

    test(`counter customer display: waiting, the keypad there, and the staff screen meanwhile (${lang})`, async ({
      page,
      context,
    }, testInfo) => {
      test.setTimeout(150_000);
      host = await startWebHostProcess('counter', { config: { customerDisplay: true } });
      const walk = new Walk(page, testInfo, lang);
      const { t } = walk;
      await walk.open(host.url);
      await walk.reach('staff-sign-in', t('staff.title'));
      await signIn(walk);
      await walk.reach('attract', t('attract.title'));

      const customerPage = await context.newPage();
      const customer = new Walk(customerPage, testInfo, lang);
      await customerPage.goto(`${host.url}&display=customer`);
      await customer.reach('customer-waiting', t('customer.title'));
      await expect(customerPage.locator('html')).toHaveAttribute('lang', lang);
      await customer.stop('customer-display-waiting');

      const pins = personaPins('standard-in-window');
      await walk.insertCard('standard-in-window');
      await walk.reach('route-choice', t('routeChoice.title'));
      await walk.tap('routeChoice.in-person');

      await walk.expectPinScreen('registry');
      await expect(
        walk
          .main()
          .getByRole('status')
          .filter({ hasText: t('pin.onCustomerDisplay') }),
      ).toBeVisible();
      await expect(page.locator('.keypad')).toHaveCount(0);
      await walk.stop('counter-pin-on-customer-display');

      await customer.expectPinScreen('registry');
      await expect(customerPage.locator('.keypad')).toBeVisible();
      await customer.stop('customer-display-pin');
      await customer.typePin(pins.registry);
      await walk.expectPinScreen('authentication');
      await customer.expectPinScreen('authentication');
      await walk.pullCard();
      await customer.reach('customer-waiting', t('customer.title'));
      await customerPage.close();
    });
  });
}

/** The practice account of a counter web host without configured staff. */
async function signIn(walk: Walk): Promise<void> {
  await walk.page.getByLabel(walk.t('staff.id')).fill('trainer');
  await walk.page.getByLabel(walk.t('staff.passcode')).fill('practice');
  await walk.tap('staff.signIn');
}

/** Picks one answer of a staff checklist question (a radio group named by its legend). */
async function answer(walk: Walk, questionKey: string, option: string): Promise<void> {
  await walk.page
    .getByRole('group', { name: walk.t(questionKey) })
    .getByRole('radio', { name: option, exact: true })
    .check();
}
