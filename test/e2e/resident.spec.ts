import { expect, personaPins, startWebHostProcess, stopWebHostProcess, test, type RunningWebHost } from './fixtures';
import { KioskDriver } from './kiosk-driver';

let host: RunningWebHost;
test.beforeEach(async () => {
  host = await startWebHostProcess('demo');
});
test.afterEach(async () => {
  console.log(host.log.join('').split('\n').filter((l) => /warn|error/.test(l)).join('\n'));
  await stopWebHostProcess(host);
});

test('standard renewal: from the attract screen to "take your card", then back to attract', async ({ page }) => {
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  await kiosk.open(host.url);
  await kiosk.insertCard('standard-in-window');
  await kiosk.expectScreen('Your certificates');
  await kiosk.tap('Continue');
  await kiosk.expectPinScreen('registry');
  await expect(page.getByText('Tries left: 3 of 3')).toBeVisible();
  await kiosk.typePin(pins.registry);
  await kiosk.expectPinScreen('authentication');
  await kiosk.typePin(pins.authentication);
  await kiosk.expectPinScreen('signature');
  await expect(page.getByText('Tries left: 5 of 5')).toBeVisible();
  await kiosk.typePin(pins.signature);
  await kiosk.expectScreen('Renew your certificates now?');
  await kiosk.tap('Renew now');
  await kiosk.expectScreen('Your certificates have been renewed');
  await expect(page.getByText('Please take your card.')).toBeVisible();
  await page.getByRole('button', { name: 'Pull the card' }).click();
  await expect(kiosk.heading()).toHaveText('Renew the electronic certificates on your My Number Card');
});
