import type { Page } from '@playwright/test';
import {
  expect,
  personaPins,
  serviceHoursNearToday,
  startWebHostProcess,
  stopWebHostProcess,
  test,
  type Profile,
  type RunningWebHost,
  type WebHostOptions,
} from './fixtures';
import { KioskDriver } from './kiosk-driver';

/**
 * The resident's routes, each from the attract screen to its end: the web
 * host is started by the test itself (demo profile unless the route needs
 * the lobby's idle clock or the counter), and stopped after it.
 */

let host: RunningWebHost | undefined;
async function startHost(profile: Profile = 'demo', options: WebHostOptions = {}): Promise<RunningWebHost> {
  host = await startWebHostProcess(profile, options);
  return host;
}
test.afterEach(async () => {
  if (host) await stopWebHostProcess(host);
  host = undefined;
});

const ATTRACT_TITLE = 'Renew the electronic certificates on your My Number Card';
/** Typed as the wrong PIN (no persona's card holds it). */
const WRONG_PIN = '9999';

// --- Dates, worked out independently of the product from the persona's "today+Nd" and the host's start day.

/** The Japan date (YYYY-MM-DD) `days` after the given one. */
function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Months added, the day clamped to the target month's last day (31 May − 3 months = 28/29 February). */
function addMonths(isoDate: string, months: number): string {
  const [year, month, day] = isoDate.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(year, month - 1 + months, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(day, lastDay));
  return first.toISOString().slice(0, 10);
}

function addYears(isoDate: string, years: number): string {
  return addMonths(isoDate, years * 12);
}

/** As an English screen shows a date: "April 10, 2031". */
function english(isoDate: string): string {
  return new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${isoDate}T00:00:00Z`));
}

// --- Steps shared by the routes.

function triesLeft(page: Page, count: number, max: number) {
  return page.getByText(`Tries left: ${count} of ${max}. The PIN locks when none are left.`);
}

/** The hand-off screen giving this reason, what to bring, where to go and the reference with its QR; the slip prints the same. */
async function expectHandOff(kiosk: KioskDriver, reason: string): Promise<void> {
  await kiosk.expectScreen('Please go to the window');
  const facts = kiosk.page.locator('.hand-off');
  for (const heading of ['Why', 'What to bring', 'Where to go', 'Reference']) {
    await expect(facts.getByText(heading, { exact: true })).toBeVisible();
  }
  await expect(facts.getByText(reason)).toBeVisible();
  await expect(facts.getByRole('img', { name: /^QR code of reference / })).toBeVisible();
  await expect(kiosk.page.getByRole('button', { name: 'Print a slip' })).toBeVisible();
}

/** What the screen itself shows, without the slip that is there only for the printer. */
function onScreen(page: Page) {
  return page.locator('main > :not(.slip)');
}

/** Card out: back to the attract screen, waiting for the next card. */
async function takeCardOut(kiosk: KioskDriver): Promise<void> {
  await kiosk.fault('Pull the card');
  await kiosk.expectScreen(ATTRACT_TITLE);
}

test('standard renewal: from the attract screen to "take your card", then back to attract', async ({ page }) => {
  const host = await startHost();
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  await kiosk.open(host.url);
  await kiosk.startSession('standard-in-window');
  await kiosk.expectPinScreen('registry');
  await expect(page.getByText('Tries left: 3 of 3')).toBeVisible();
  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await expect(page.getByText('Tries left: 5 of 5')).toBeVisible();
  await kiosk.typePin(pins.signature);
  await kiosk.renew();
  await expect(page.getByText('Please take your card.')).toBeVisible();
  await page.getByRole('button', { name: 'Pull the card' }).click();
  await expect(kiosk.heading()).toHaveText('Renew the electronic certificates on your My Number Card');
});

test('wrong PIN, then the right one: the tries left go from 3 to 2, and the session goes on', async ({ page, typedSecrets }) => {
  typedSecrets.push(WRONG_PIN);
  const host = await startHost();
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  await kiosk.open(host.url);
  await kiosk.startSession('standard-in-window');
  await kiosk.expectPinScreen('registry');
  await expect(triesLeft(page, 3, 3)).toBeVisible();
  await expect(page.getByText('That PIN was not correct.')).toHaveCount(0);

  await kiosk.typePin(WRONG_PIN);
  // Still the same PIN's screen, one try fewer, and the reason said in words.
  await kiosk.expectPinScreen('registry');
  // One box says it: the warning carries the tries left.
  await expect(page.getByRole('alert').filter({ hasText: 'That PIN was not correct. Tries left: 2.' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: '0 of 4 characters entered' })).toBeVisible();

  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  await expect(triesLeft(page, 3, 3)).toBeVisible();
  await expect(page.getByText('That PIN was not correct.')).toHaveCount(0);
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await kiosk.typePin(pins.signature);
  await kiosk.renew();
  await takeCardOut(kiosk);
});

test('one try left: a confirmation before the keypad, then the right PIN renews', async ({ page }) => {
  const persona = 'authentication-pin-one-try-left';
  const host = await startHost();
  const kiosk = new KioskDriver(page);
  const pins = personaPins(persona);
  await kiosk.open(host.url);
  await kiosk.startSession(persona);
  await kiosk.expectPinScreen('registry');
  await expect(triesLeft(page, 3, 3)).toBeVisible();
  await kiosk.typePin(pins.registry);

  // The last try is confirmed before any keypad is shown.
  await kiosk.expectScreen('Only one try left');
  await expect(page.getByText('If the next User-authentication PIN (4 digits) is wrong, it will be locked')).toBeVisible();
  await expect(page.getByRole('group', { name: 'User-authentication PIN (4 digits)' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'I am not sure — get help' })).toBeVisible();
  await kiosk.tap('I am sure — enter the PIN');

  await kiosk.expectPinScreen('authentication');
  await expect(triesLeft(page, 1, 3)).toBeVisible();
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await expect(triesLeft(page, 5, 5)).toBeVisible();
  await kiosk.typePin(pins.signature);
  await kiosk.renew();
  await takeCardOut(kiosk);
});

test('a card with a locked PIN is handed off at once, with the reason', async ({ page }) => {
  const host = await startHost();
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.insertCard('authentication-pin-locked');
  await expectHandOff(kiosk, 'A PIN on your card is locked because it was entered wrongly too many times.');
  await expect(page.getByRole('group', { name: /PIN|password/ })).toHaveCount(0);
  await takeCardOut(kiosk);
});

test('wrong PIN until it locks: each try is one the resident typed, then the hand-off says why', async ({ page, typedSecrets }) => {
  typedSecrets.push(WRONG_PIN);
  const host = await startHost();
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.startSession('standard-in-window');
  await kiosk.expectPinScreen('registry');
  await expect(triesLeft(page, 3, 3)).toBeVisible();

  await kiosk.typePin(WRONG_PIN);
  await expect(page.getByRole('alert').filter({ hasText: 'That PIN was not correct. Tries left: 2.' })).toBeVisible();

  await kiosk.typePin(WRONG_PIN);
  await kiosk.expectScreen('Only one try left');
  await kiosk.tap('I am sure — enter the PIN');
  await kiosk.expectPinScreen('registry');
  await expect(page.getByRole('alert').filter({ hasText: 'That PIN was not correct. Tries left: 1.' })).toBeVisible();

  await kiosk.typePin(WRONG_PIN);
  await expectHandOff(kiosk, 'The PIN was entered wrongly too many times and is now locked');

  // The same card back in: it is locked now, and handed off as a locked card without any PIN screen.
  await takeCardOut(kiosk);
  await kiosk.fault('Put the card back');
  await expectHandOff(kiosk, 'A PIN on your card is locked because it was entered wrongly too many times.');
  await takeCardOut(kiosk);
});

test('not yet in the window: "too early", with the day renewal opens', async ({ page }) => {
  const startAt = serviceHoursNearToday();
  const today = startAt.slice(0, 10);
  const expires = addDays(today, 200);
  const opensOn = addDays(addMonths(expires, -3), 1);
  const host = await startHost('demo', { startAt });
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.insertCard('not-yet-in-window');
  await kiosk.expectScreen('It is too early to renew');
  await expect(onScreen(page).getByText(`Your certificates expire on ${english(expires)}.`)).toBeVisible();
  await expect(onScreen(page).getByText(`You can renew from ${english(opensOn)}.`)).toBeVisible();
  await expect(onScreen(page).getByText('Renewing within three months before expiry loses no days of validity.')).toBeVisible();
  await expect(page.getByRole('group', { name: /PIN|password/ })).toHaveCount(0);
  await takeCardOut(kiosk);
});

test("the card itself needs renewing: said so, with the card's expiry", async ({ page }) => {
  const startAt = serviceHoursNearToday();
  const cardExpires = addDays(startAt.slice(0, 10), 45);
  const host = await startHost('demo', { startAt });
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.insertCard('card-expires-with-certificates');
  await kiosk.expectScreen('Your card itself needs renewing');
  await expect(onScreen(page).getByText(`Your card expires on ${english(cardExpires)}.`)).toBeVisible();
  await expect(onScreen(page).getByText('Renewing the certificates would not help: please apply for a new card.')).toBeVisible();
  await expect(page.getByRole('group', { name: /PIN|password/ })).toHaveCount(0);
  await takeCardOut(kiosk);
});

test(
  'no signature certificate (adult ward, legal representative at the counter): ' +
    'no password asked, only the authentication certificate renewed',
  async ({ page }) => {
    // In the lobby and demo profiles an adult ward's card is a legal-representative hand-off; the renewal itself is the counter's.
    const persona = 'adult-ward-no-signature';
    const startAt = serviceHoursNearToday();
    // Born on (today+70d) 60 years ago: the 6th birthday from today is today+70d+5y, the day the card ends too.
    const newAuthentication = addYears(addDays(startAt.slice(0, 10), 70), 5);
    const host = await startHost('counter', { startAt });
    const kiosk = new KioskDriver(page);
    const pins = personaPins(persona);
    await kiosk.open(host.url);
    await kiosk.expectScreen('Staff sign-in');
    await page.getByLabel('Staff ID').fill('trainer');
    await page.getByLabel('Passcode').fill('practice');
    await kiosk.tap('Sign in');
    await expect(page.getByText('Signed in: trainer')).toBeVisible();

    await kiosk.insertCard(persona);
    await kiosk.expectScreen('Who is at the counter?');
    await kiosk.tap('A legal representative');
    await kiosk.expectScreen("Check the legal representative's authority");
    await page.getByRole('group', { name: 'Was proof of authority shown?' }).getByRole('radio', { name: 'Yes' }).check();
    await kiosk.tap('Record the check');

    await kiosk.expectPinScreen('registry');
    await kiosk.typePin(pins.registry);
    await kiosk.expectPinScreen('authentication');
    await kiosk.typePin(pins.authentication);
    // Straight to the confirmation: no signature password screen.
    await kiosk.expectScreen('Renew your certificates now?');
    await expect(page.getByText('New user-authentication certificate valid until')).toBeVisible();
    await expect(page.getByText(english(newAuthentication))).toBeVisible();
    await expect(page.getByText('New signature certificate valid until')).toHaveCount(0);
    await kiosk.tap('Renew now');

    await kiosk.expectScreen('Your certificates have been renewed');
    // The new expiry date on the screen itself, first under the heading; no signature certificate, so one date.
    const newExpiry = page.getByRole('main').locator('dl.expiry');
    await expect(newExpiry).toHaveAttribute('aria-label', 'New expiry dates');
    await expect(newExpiry.getByRole('term')).toHaveText(['User-authentication certificate']);
    await expect(newExpiry.getByRole('definition')).toHaveText([english(newAuthentication)]);
    await expect(page.locator('[data-slip="completion"] .slip__expiry dd')).toHaveText([english(newAuthentication)]);
    await takeCardOut(kiosk);
  },
);

test('card pulled during the renewal, then put back: PINs again, and the renewal finishes', async ({ page }) => {
  test.setTimeout(120_000);
  const host = await startHost();
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  await kiosk.open(host.url);
  await kiosk.startSession('standard-in-window');
  await kiosk.expectPinScreen('registry');
  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await kiosk.typePin(pins.signature);
  await kiosk.expectScreen('Renew your certificates now?');

  // A slow issuing service keeps the renewal on screen long enough to pull the card in the middle of it.
  await kiosk.fault('Issuing service slow');
  await expect(page.getByRole('button', { name: 'Issuing service slow' })).toHaveAttribute('aria-pressed', 'true');
  await kiosk.tap('Renew now');
  await kiosk.expectScreen('Renewing your certificates');
  await expect(page.getByRole('list', { name: 'Renewal steps' })).toBeVisible();
  await kiosk.fault('Pull the card');

  await kiosk.expectScreen('Please put your card back');
  await expect(page.getByText('Put it back in the reader and the renewal continues where it stopped.')).toBeVisible();
  await kiosk.fault('Put the card back');

  // The card lost power with the pull: its PINs are asked again, then the renewal resumes without another confirmation.
  await expect(kiosk.heading()).toHaveText('Enter your Resident-registry PIN (4 digits)', { timeout: 30_000 });
  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await kiosk.typePin(pins.signature);
  await expect(kiosk.heading()).toHaveText(/Renewing your certificates|Your certificates have been renewed/);
  await expect(kiosk.heading()).toHaveText('Your certificates have been renewed', { timeout: 60_000 });
  await expect(page.getByText('Please take your card.')).toBeVisible();
  await takeCardOut(kiosk);
});

test('issuing service down: the status says it cannot finish, the PINs are still checked, then the hand-off', async ({
  page,
  typedSecrets,
}) => {
  typedSecrets.push(WRONG_PIN);
  const host = await startHost();
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  await kiosk.open(host.url);
  await kiosk.fault('Issuing service down');
  await expect(page.getByRole('button', { name: 'Issuing service down' })).toHaveAttribute('aria-pressed', 'true');
  await kiosk.insertCard('standard-in-window');

  await kiosk.expectScreen('Your certificates');
  await expect(page.getByText('The national system is closed now, so the renewal cannot be finished today.')).toBeVisible();
  await kiosk.tap('Continue');

  // The PINs are checked against the card, not just collected: a wrong one costs a try.
  await kiosk.expectPinScreen('registry');
  await expect(triesLeft(page, 3, 3)).toBeVisible();
  await kiosk.typePin(WRONG_PIN);
  await expect(page.getByRole('alert').filter({ hasText: 'That PIN was not correct. Tries left: 2.' })).toBeVisible();
  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await kiosk.typePin(pins.signature);

  await expectHandOff(kiosk, 'The national system that issues the certificates is not available now');
  await expect(page.getByRole('heading', { level: 1, name: 'Renew your certificates now?' })).toHaveCount(0);
  await takeCardOut(kiosk);
});

test('lobby idle: "need more time?" once answered, then left alone back to attract in Japanese, asking for the card', async ({ page }) => {
  test.setTimeout(70_000);
  const host = await startHost('lobby', { config: { idle: { warnAfterSeconds: 5, countdownSeconds: 20 } } });
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.insertCard('standard-in-window');
  await kiosk.expectScreen('Your certificates');

  const dialog = page.getByRole('alertdialog', { name: 'Do you need more time?' });
  await expect(dialog).toBeVisible({ timeout: 10_000 });
  await expect(dialog.getByText(/The screen will go back to the start in \d+ seconds\./)).toBeVisible();
  await dialog.getByRole('button', { name: 'Yes, I need more time' }).click();
  await expect(dialog).toBeHidden();
  // Still the same session, on the same screen.
  await expect(kiosk.heading()).toHaveText('Your certificates');

  // Nobody touches anything now: the warning comes back, counts down, and the kiosk resets.
  await expect(dialog).toBeVisible({ timeout: 10_000 });
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja', { timeout: 30_000 });
  await expect(kiosk.heading()).toHaveText('マイナンバーカードの電子証明書の更新');
  await expect(page.getByRole('status').filter({ hasText: 'カードリーダーからカードをお取りください。' })).toBeVisible();
  await expect(page.getByRole('button', { name: '日本語', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('alertdialog')).toHaveCount(0);

  // Taking the card out leaves the attract screen waiting for the next card.
  await page.getByRole('group', { name: '障害の再現' }).getByRole('button', { name: 'カードを抜く' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'カードリーダーからカードをお取りください。' })).toHaveCount(0);
});

test('language switched in the middle: the session stays on the same PIN, tries left unchanged', async ({ page, typedSecrets }) => {
  typedSecrets.push(WRONG_PIN);
  const host = await startHost();
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  await kiosk.open(host.url);
  await kiosk.startSession('standard-in-window');
  await kiosk.expectPinScreen('registry');
  await kiosk.typePin(WRONG_PIN);
  await expect(page.getByRole('alert').filter({ hasText: 'That PIN was not correct. Tries left: 2.' })).toBeVisible();

  await kiosk.chooseLanguage('日本語');
  await kiosk.expectScreen('住民基本台帳用の暗証番号（数字4桁）を入力してください');
  await expect(page.getByRole('alert').filter({ hasText: 'あと2回' })).toBeVisible();

  await kiosk.chooseLanguage('English');
  await kiosk.expectPinScreen('registry');
  await expect(page.getByRole('alert').filter({ hasText: 'That PIN was not correct. Tries left: 2.' })).toBeVisible();

  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  await expect(triesLeft(page, 3, 3)).toBeVisible();
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await kiosk.typePin(pins.signature);
  await kiosk.renew();
  await takeCardOut(kiosk);
});

test('"I forgot my PIN" in the lobby: asked once, then the hand-off, and no try spent', async ({ page }) => {
  const host = await startHost('lobby');
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.startSession('standard-in-window');
  await kiosk.expectPinScreen('registry');
  await expect(triesLeft(page, 3, 3)).toBeVisible();
  // Half a PIN typed, then the resident gives up on it.
  await page.getByRole('button', { name: '1', exact: true }).click();
  await page.getByRole('button', { name: '2', exact: true }).click();
  await expect(page.getByText('2 of 4 characters entered')).toBeVisible();
  // Stop asks first; going back keeps the screen as it was.
  await kiosk.tap('Stop');
  await expect(page.getByRole('dialog', { name: 'Stop the renewal?' })).toBeVisible();
  await kiosk.tap('No, continue');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByText('2 of 4 characters entered')).toBeVisible();
  await kiosk.tap('I forgot my PIN');
  await expect(page.getByRole('dialog', { name: 'Go to the window to reset your PIN?' })).toBeVisible();
  await kiosk.tap('Yes, go to the window');
  await expectHandOff(kiosk, 'You do not remember a PIN.');

  // The same card again: every try is still there.
  await takeCardOut(kiosk);
  await kiosk.fault('Put the card back');
  await kiosk.expectScreen('Your certificates');
  await kiosk.tap('Continue');
  await kiosk.expectPinScreen('registry');
  await expect(triesLeft(page, 3, 3)).toBeVisible();
  await expect(page.getByText('That PIN was not correct.')).toHaveCount(0);
});
