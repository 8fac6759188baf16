import { readFileSync } from 'node:fs';
import type { Page, TestInfo } from '@playwright/test';
import { expect, personaPins, startWebHostProcess, stopWebHostProcess, test, type RunningWebHost } from './fixtures';
import { KioskDriver } from './kiosk-driver';

/**
 * The slips as paper sees them: "Print a slip" asks main, which on the web
 * host answers that the browser prints; the page under print media shows the
 * slip alone, and Chromium renders it to a PDF kept among the test artifacts.
 */

let host: RunningWebHost;
test.beforeEach(async ({ page }) => {
  host = await startWebHostProcess('demo');
  // Headless Chromium has no print dialog: record the request instead of opening one.
  await page.addInitScript(() => {
    const page = globalThis as unknown as { print: () => void; printRequests: number };
    page.printRequests = 0;
    page.print = () => {
      page.printRequests += 1;
    };
  });
});
test.afterEach(async () => {
  await stopWebHostProcess(host);
});

async function printToPdf(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  await page.getByRole('button', { name: 'Print a slip' }).click();
  await expect.poll(() => page.evaluate(() => (globalThis as unknown as { printRequests: number }).printRequests)).toBe(1);
  await page.emulateMedia({ media: 'print' });
  // Under print media only the slip is visible: no header, no trainer panel, no buttons.
  await expect(page.getByRole('navigation', { name: 'Choose a language' })).toBeHidden();
  await expect(page.getByRole('complementary', { name: 'Trainer panel' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'Print a slip' })).toBeHidden();
  const printedText = await page.locator('.slip').innerText();
  const path = testInfo.outputPath(`${name}.pdf`);
  await page.pdf({ path, width: '105mm', printBackground: false });
  const pdf = readFileSync(path);
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  expect(pdf.length).toBeGreaterThan(5_000);
  await testInfo.attach(`${name}.pdf`, { path, contentType: 'application/pdf' });
  await page.emulateMedia({ media: 'screen' });
  return printedText;
}

test('the completion slip prints the new expiry dates, the re-registration reminder and the help lines — and no PIN', async ({
  page,
}, testInfo) => {
  const kiosk = new KioskDriver(page);
  const pins = personaPins('standard-in-window');
  await kiosk.open(host.url);
  await kiosk.insertCard('standard-in-window');
  await kiosk.tap('Continue');
  await kiosk.enterPins(pins);
  await kiosk.tap('Renew now');
  await kiosk.expectScreen('Your certificates have been renewed');
  const text = await printToPdf(page, testInfo, 'completion-slip');
  expect(text).toMatch(/\d{4}/);
  expect(text).toContain('0120-95-0178');
  expect(text).toContain('0120-0178-27');
  for (const value of Object.values(pins)) expect(text).not.toContain(value);
});

test('the hand-off slip prints the reason, what to bring, where to go and the reference with its QR code', async ({ page }, testInfo) => {
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.insertCard('standard-in-window');
  await kiosk.tap('Continue');
  await kiosk.expectPinScreen('registry');
  await kiosk.tap('I forgot my PIN');
  await kiosk.tap('Yes, go to the window');
  await kiosk.expectScreen('Please go to the window');
  const reference = (await page.locator('.slip__reference-code').innerText()).trim();
  expect(reference).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
  await expect(page.locator('.slip img')).toHaveAttribute('src', /^data:image\/png;base64,/);
  const text = await printToPdf(page, testInfo, 'hand-off-slip');
  expect(text).toContain(reference);
  const english = JSON.parse(readFileSync(new URL('../../renderer/src/locales/en.json', import.meta.url), 'utf8')) as {
    slips: { handOff: Record<'reasons' | 'bring' | 'where', Record<string, string>> };
  };
  for (const part of ['reasons', 'bring', 'where'] as const) expect(text).toContain(english.slips.handOff[part]['pin-forgotten']);
});
