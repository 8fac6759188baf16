import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hashPasscode } from '../../main/base/passcode';
import {
  expect,
  expectNoPinInPage,
  PERSONA_PIN_VALUES,
  personaPins,
  startWebHostProcess,
  stopWebHostProcess,
  test,
  type RunningWebHost,
} from './fixtures';
import { KioskDriver } from './kiosk-driver';

/**
 * The staff-assisted counter: sign-in and the lock, the proxy route with the
 * sealed reply form, the PIN reset after an identity check, the substitute
 * characters, and the customer-facing keypad window.
 */

const en = JSON.parse(readFileSync(fileURLToPath(new URL('../../renderer/src/locales/en.json', import.meta.url)), 'utf8')) as {
  slips: { handOff: { reasons: Record<string, string> } };
};
const reasonText = (code: string): string => {
  const text = en.slips.handOff.reasons[code];
  if (!text) throw new Error(`no hand-off reason "${code}" in en.json`);
  return text;
};

/** The practice account a counter web host has when its config gives no staff. */
const TRAINER = { id: 'trainer', passcode: 'practice' };

const ATTRACT_TITLE = 'Renew the electronic certificates on your My Number Card';

let host: RunningWebHost | undefined;
async function startCounter(config?: Record<string, unknown>): Promise<RunningWebHost> {
  host = await startWebHostProcess('counter', config ? { config } : {});
  return host;
}
test.afterEach(async () => {
  if (!host) return;
  const current = host;
  host = undefined;
  await stopWebHostProcess(current);
});

/** Opens the counter in English and signs the practice account in. */
async function signedInCounter(kiosk: KioskDriver, config?: Record<string, unknown>): Promise<RunningWebHost> {
  const running = await startCounter(config);
  await kiosk.open(running.url);
  await kiosk.expectScreen('Staff sign-in');
  await kiosk.signIn(TRAINER.id, TRAINER.passcode);
  await expect(kiosk.page.getByText(`Signed in: ${TRAINER.id}`)).toBeVisible();
  await kiosk.expectScreen(ATTRACT_TITLE);
  return running;
}

/** The proxy checklist, every answer given: `overrides` change the ones a test fails. */
async function recordProxyCheck(
  kiosk: KioskDriver,
  overrides: Partial<Record<'sealed' | 'valid' | 'inPerson' | 'identity', string>> = {},
): Promise<void> {
  await kiosk.expectScreen("Check the proxy's documents");
  await kiosk.answer('Was the envelope still sealed when opened here?', overrides.sealed ?? 'Yes');
  await kiosk.answer("Is the form within its validity (until the certificate's expiry)?", overrides.valid ?? 'Yes');
  await kiosk.answer('Did the proxy bring it in person (not mailed)?', overrides.inPerson ?? 'Yes');
  await kiosk.answer("Proxy's photo identity document", overrides.identity ?? 'One A document (e.g. driving licence, passport)');
  await kiosk.answer('Relationship to the holder', 'Family');
  await kiosk.tap('Record the check');
}

async function expectRenewed(kiosk: KioskDriver): Promise<void> {
  await kiosk.expectScreen('Renew your certificates now?');
  await kiosk.tap('Renew now');
  await expect(kiosk.heading()).toHaveText('Your certificates have been renewed', { timeout: 30_000 });
  await expect(kiosk.page.getByText('Please take your card.')).toBeVisible();
}

async function expectHandOff(kiosk: KioskDriver, code: string): Promise<void> {
  await kiosk.expectScreen('Please go to the window');
  await expect(kiosk.page.locator('.hand-off').getByText(reasonText(code), { exact: true })).toBeVisible();
}

test('staff sign-in: a wrong passcode is refused, the right one signs in, sign-out returns to sign-in', async ({ page }) => {
  const kiosk = new KioskDriver(page);
  const running = await startCounter();
  await kiosk.open(running.url);
  await kiosk.expectScreen('Staff sign-in');
  // No session can start before a sign-in: the attract screen is not shown.
  await expect(page.getByText('Signed in:', { exact: false })).toHaveCount(0);

  await kiosk.signIn(TRAINER.id, 'not-the-passcode');
  await expect(page.getByRole('alert')).toHaveText('The staff ID or passcode is not correct.');
  await kiosk.expectScreen('Staff sign-in');
  // The passcode field is emptied once sent.
  await expect(page.getByLabel('Passcode', { exact: true })).toHaveValue('');

  await kiosk.signIn(TRAINER.id, TRAINER.passcode);
  await expect(page.getByText(`Signed in: ${TRAINER.id}`)).toBeVisible();
  await kiosk.expectScreen(ATTRACT_TITLE);
  await expect(page.getByRole('alert')).toHaveCount(0);

  await kiosk.tap('Sign out');
  await kiosk.expectScreen('Staff sign-in');
  await expect(page.getByText(`Signed in: ${TRAINER.id}`)).toHaveCount(0);
  // Signed out, a card waits: no session starts until someone signs in.
  await kiosk.insertCard('standard-in-window');
  await expect(page.getByRole('status').filter({ hasText: 'In the reader:' })).toBeVisible();
  await kiosk.expectScreen('Staff sign-in');
});

test("proxy with a correct sealed reply form: staff type the holder's PINs on the staff screen and the renewal completes", async ({
  page,
  context,
}) => {
  test.setTimeout(60_000);
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  // With a customer display, a proxy's PINs (from the sealed form) are still typed by staff, on the staff screen.
  const running = await signedInCounter(kiosk, { customerDisplay: true });
  const customer = await context.newPage();
  await customer.goto(`${running.url}&display=customer`);
  await expect(customer.getByRole('heading', { level: 1 })).toHaveText('Staff are helping you');
  // Both windows stay open; the staff's is the one in front (a background page gets no animation frames to click in).
  await page.bringToFront();

  await kiosk.insertCard('standard-in-window');
  await kiosk.expectScreen('Who is at the counter?');
  await kiosk.tap('A proxy with the sealed reply form');
  await recordProxyCheck(kiosk);

  await kiosk.expectPinScreen('registry');
  await expect(page.getByText('The resident is entering the PIN on the customer display.')).toHaveCount(0);
  await expect(customer.getByRole('heading', { level: 1 })).toHaveText('Staff are helping you');
  await expect(customer.getByRole('button', { name: '1', exact: true })).toHaveCount(0);
  await kiosk.enterPins(pins);
  await expectRenewed(kiosk);
  await expectNoPinInPage(customer, PERSONA_PIN_VALUES);
});

test.describe('proxy with a failed check ends on the hand-off with its reason', () => {
  const failures: Array<{ title: string; code: string; overrides: Parameters<typeof recordProxyCheck>[1] }> = [
    { title: 'envelope unsealed', code: 'envelope-unsealed', overrides: { sealed: 'No' } },
    { title: 'form expired', code: 'form-expired', overrides: { valid: 'No' } },
    { title: 'not handed in person', code: 'form-not-handed-in-person', overrides: { inPerson: 'No' } },
    { title: 'no proxy ID', code: 'proxy-without-identity', overrides: { identity: 'None' } },
  ];
  for (const failure of failures) {
    test(failure.title, async ({ page }) => {
      const kiosk = new KioskDriver(page);
      await signedInCounter(kiosk);
      await kiosk.insertCard('standard-in-window');
      await kiosk.expectScreen('Who is at the counter?');
      await kiosk.tap('A proxy with the sealed reply form');
      await recordProxyCheck(kiosk, failure.overrides);
      await expectHandOff(kiosk, failure.code);
      // No PIN was asked for: the visit ended at the check.
      await expect(page.getByRole('group', { name: /PIN|password/i })).toHaveCount(0);
      for (const other of failures.filter((candidate) => candidate.code !== failure.code)) {
        await expect(page.getByText(reasonText(other.code), { exact: true })).toHaveCount(0);
      }
    });
  }
});

test('PIN reset after an identity check: a locked PIN is set anew (twice, the same), then the renewal completes', async ({
  page,
  typedSecrets,
}) => {
  test.setTimeout(60_000);
  const kiosk = new KioskDriver(page);
  const pins = personaPins('authentication-pin-locked');
  const newPin = '7315';
  const differentPin = '7316';
  typedSecrets.push(newPin, differentPin);
  await signedInCounter(kiosk);

  await kiosk.insertCard('authentication-pin-locked');
  await kiosk.expectScreen('Identity check before a PIN reset');
  // The check is recorded only when every question is answered.
  await kiosk.tap('Record the check');
  await expect(page.getByRole('alert')).toHaveText('Please answer every question.');
  await kiosk.answer('A documents shown (driving licence, passport…)', '1');
  await kiosk.answer('B documents shown (health-insurance card, pension book…)', '0');
  await kiosk.answer('Was oral questioning used?', 'No');
  await kiosk.answer('Is the identity confirmed?', 'Yes');
  await kiosk.tap('Record the check');

  // Two different entries: the kiosk asks for the new PIN again.
  await kiosk.expectScreen('Choose a new User-authentication PIN (4 digits)');
  await kiosk.typePin(newPin, 'Next');
  await kiosk.expectScreen('Enter the new User-authentication PIN (4 digits) again');
  await kiosk.typePin(differentPin, 'Next');
  await kiosk.expectScreen('Choose a new User-authentication PIN (4 digits)');
  await expect(
    page.getByRole('alert').filter({ hasText: 'The two entries were different. Please choose the new PIN again.' }),
  ).toBeVisible();

  await kiosk.typePin(newPin, 'Next');
  await kiosk.expectScreen('Enter the new User-authentication PIN (4 digits) again');
  await kiosk.typePin(newPin, 'Next');

  // Then the normal PINs, the authentication PIN being the new one with its tries restored.
  await kiosk.expectPinScreen('registry');
  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  await expect(page.getByText('Tries left: 3 of 3')).toBeVisible();
  await kiosk.typePin(newPin);
  await kiosk.expectPinScreen('signature');
  await kiosk.typePin(pins.signature);
  await expectRenewed(kiosk);
});

test.describe('substitute characters: the resident confirms how the name and address are written', () => {
  async function untilSubstitutes(kiosk: KioskDriver): Promise<void> {
    const pins = personaPins('substitute-characters');
    await signedInCounter(kiosk);
    await kiosk.insertCard('substitute-characters');
    await kiosk.expectScreen('Who is at the counter?');
    await kiosk.tap('The card holder in person');
    await kiosk.enterPins(pins);
    await kiosk.expectScreen('Confirm the substitute characters');
    const personal = kiosk.page.locator('[data-personal]');
    await expect(personal).toContainText('Name in the certificate');
    // The certificate's name holds 崎 where the card's name has 﨑.
    await expect(personal).toContainText('山崎');
    await expect(personal).toContainText('見本子');
    await expect(personal).toContainText('Address in the certificate');
    await expect(personal).toContainText('熊本県熊本市中央区');
  }

  test('the resident confirms: the renewal completes', async ({ page }) => {
    test.setTimeout(60_000);
    const kiosk = new KioskDriver(page);
    await untilSubstitutes(kiosk);
    await kiosk.tap('The resident confirms');
    await expectRenewed(kiosk);
    // The substitute name is gone from the screen once confirmed.
    await expect(page.getByText('山崎')).toHaveCount(0);
  });

  test('the resident does not accept: the hand-off', async ({ page }) => {
    test.setTimeout(60_000);
    const kiosk = new KioskDriver(page);
    await untilSubstitutes(kiosk);
    await kiosk.tap('The resident does not accept');
    await expectHandOff(kiosk, 'substitute-characters-declined');
    // The slip never carries the name or address.
    await expect(page.locator('[data-slip="hand-off"]')).not.toContainText('山崎');
  });
});

test('customer keypad window: the resident types the PINs on the customer display, the staff screen shows no keys', async ({
  page,
  context,
}) => {
  test.setTimeout(60_000);
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  const running = await signedInCounter(kiosk, { customerDisplay: true });
  const customerPage = await context.newPage();
  const customer = new KioskDriver(customerPage);
  await customerPage.goto(`${running.url}&display=customer`);
  await expect(customer.heading()).toHaveText('Staff are helping you');
  // The customer display has no staff controls and no trainer panel.
  await expect(customerPage.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  await expect(customerPage.getByRole('complementary', { name: 'Trainer panel' })).toHaveCount(0);
  await page.bringToFront();

  await kiosk.insertCard('standard-in-window');
  await kiosk.expectScreen('Who is at the counter?');
  await kiosk.tap('The card holder in person');

  for (const pin of ['registry', 'authentication', 'signature'] as const) {
    await kiosk.expectPinScreen(pin);
    await expect(page.getByText('The resident is entering the PIN on the customer display.')).toBeVisible();
    await expect(page.getByRole('button', { name: '1', exact: true })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'OK', exact: true })).toHaveCount(0);
    await customer.expectPinScreen(pin);
    await customerPage.bringToFront();
    await customer.typePin(pins[pin]);
  }
  await page.bringToFront();
  await expectRenewed(kiosk);
  await expect(customer.heading()).toHaveText('Staff are helping you');
  await expectNoPinInPage(customerPage, PERSONA_PIN_VALUES);
});

test('staff lock after inactivity: "Locked", and signing in again continues the session where it was', async ({ page }) => {
  test.setTimeout(90_000);
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  const staff = { id: 'clerk-7', passcode: 'Counter-Pass-7' };
  const running = await startCounter({
    staff: { lockAfterSeconds: 10, accounts: [{ id: staff.id, passcodeHash: hashPasscode(staff.passcode) }] },
  });
  await kiosk.open(running.url);
  await kiosk.expectScreen('Staff sign-in');
  // The configured accounts replace the practice one.
  await kiosk.signIn(TRAINER.id, TRAINER.passcode);
  await expect(page.getByRole('alert')).toHaveText('The staff ID or passcode is not correct.');
  await kiosk.signIn(staff.id, staff.passcode);
  await expect(page.getByText(`Signed in: ${staff.id}`)).toBeVisible();

  await kiosk.insertCard('standard-in-window');
  await kiosk.expectScreen('Who is at the counter?');
  await kiosk.tap('The card holder in person');
  await kiosk.expectPinScreen('registry');
  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  const quietSince = Date.now();

  await expect(kiosk.heading()).toHaveText('Locked', { timeout: 20_000 });
  expect(Date.now() - quietSince, 'the lock came only after the quiet period').toBeGreaterThanOrEqual(8_000);
  await expect(page.getByText('The counter was locked after a period without use. Sign in again to continue.')).toBeVisible();
  await expect(page.getByText(`Signed in: ${staff.id}`)).toHaveCount(0);
  await expect(page.getByRole('group', { name: /PIN|password/i })).toHaveCount(0);
  // The staff id is kept; only the passcode is asked again.
  await expect(page.getByLabel('Staff ID', { exact: true })).toHaveValue(staff.id);

  await kiosk.signIn(staff.id, staff.passcode);
  // Where it stood: the registry PIN verified, the authentication PIN next.
  await kiosk.expectPinScreen('authentication');
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await kiosk.typePin(pins.signature);
  await expectRenewed(kiosk);
});
