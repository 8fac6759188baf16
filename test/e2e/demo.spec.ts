import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, personaPins, startWebHostProcess, stopWebHostProcess, test, type RunningWebHost } from './fixtures';
import { KioskDriver } from './kiosk-driver';

/**
 * The trainer's demo: every fault of the trainer panel injected during a
 * session and taken back, and "Reset the demo".
 */

type Strings = Record<string, unknown>;
const locale = (language: 'en' | 'ja'): Strings =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../renderer/src/locales/${language}.json`, import.meta.url)), 'utf8')) as Strings;
const string = (strings: Strings, key: string): string => {
  const value = key.split('.').reduce<unknown>((node, part) => (node as Strings | undefined)?.[part], strings);
  if (typeof value !== 'string') throw new Error(`no string "${key}"`);
  return value;
};
const en = locale('en');
const ja = locale('ja');

const ATTRACT_TITLE = 'Renew the electronic certificates on your My Number Card';
const INSERT_CARD = 'Please insert your My Number Card into the card reader';
const PERSONA = 'standard-in-window';

let host: RunningWebHost;
test.beforeEach(async () => {
  host = await startWebHostProcess('demo');
});
test.afterEach(async () => {
  await stopWebHostProcess(host);
});

function faults(page: Page) {
  return page.getByRole('group', { name: 'Faults' });
}

/** The reader line of the attract screen. */
function readerStatus(page: Page) {
  return page.getByRole('main').getByRole('status');
}

/** The trainer panel's line: which card is in the reader, the reader, the issuing service. */
function trainerState(page: Page) {
  return page.getByRole('complementary', { name: 'Trainer panel' }).getByRole('status');
}

async function startRenewal(kiosk: KioskDriver): Promise<void> {
  const pins = personaPins(PERSONA);
  await kiosk.startSession(PERSONA);
  await kiosk.enterPins(pins);
  await kiosk.expectScreen('Renew your certificates now?');
  await kiosk.tap('Renew now');
  await kiosk.expectScreen('Renewing your certificates');
}

/** Records every level-1 heading the page shows, however briefly, from now on. */
async function recordHeadings(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    // This runs in the page; the test project's types are Node's, so the page's globals are described here.
    type Observer = new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
    const inPage = globalThis as unknown as {
      document: { body: unknown; querySelector(selector: string): { textContent: string | null } | null };
      MutationObserver: Observer;
      headingsSeen?: string[];
    };
    const seen: string[] = [];
    inPage.headingsSeen = seen;
    const note = () => {
      const text = inPage.document.querySelector('h1')?.textContent ?? '';
      if (seen[seen.length - 1] !== text) seen.push(text);
    };
    note();
    new inPage.MutationObserver(note).observe(inPage.document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => [...((globalThis as unknown as { headingsSeen?: string[] }).headingsSeen ?? [])]);
}

test('pull the card: before the renewal the session ends; put back, a new session starts', async ({ page }) => {
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.startSession(PERSONA);
  await kiosk.expectPinScreen('registry');

  await kiosk.fault('Pull the card');
  await kiosk.expectScreen(ATTRACT_TITLE);
  await expect(readerStatus(page)).toContainText(INSERT_CARD);
  await expect(faults(page).getByRole('button', { name: 'Pull the card' })).toHaveCount(0);

  await kiosk.fault('Put the card back');
  // A new session: it starts from the status screen, not from the PIN it had reached.
  await kiosk.expectScreen('Your certificates');
  await expect(faults(page).getByRole('button', { name: 'Pull the card' })).toBeEnabled();
});

test('pull the card during the renewal: "put your card back", then the PINs again and the renewal completes', async ({ page }) => {
  test.setTimeout(120_000);
  const kiosk = new KioskDriver(page);
  const pins = personaPins(PERSONA);
  await kiosk.open(host.url);
  // A slow issuing service keeps the renewal on screen long enough to pull the card in the middle of it.
  await kiosk.fault('Issuing service slow');
  await startRenewal(kiosk);
  await kiosk.fault('Pull the card');
  await kiosk.expectScreen('Please put your card back');
  await expect(page.getByText('The card was taken out during the renewal.', { exact: false })).toBeVisible();

  await kiosk.fault('Issuing service slow');
  await expect(faults(page).getByRole('button', { name: 'Issuing service slow' })).toHaveAttribute('aria-pressed', 'false');
  await kiosk.fault('Put the card back');
  // The card lost power: its PINs are asked again, then the renewal carries on by itself (no second "Renew now").
  await kiosk.enterPins(pins);
  await expect(kiosk.heading()).toHaveText('Your certificates have been renewed', { timeout: 30_000 });
  await expect(page.getByRole('button', { name: 'Renew now' })).toHaveCount(0);
  await kiosk.fault('Pull the card');
  await kiosk.expectScreen(ATTRACT_TITLE);
});

test('unplug the reader: the attract screen waits for a reader; plugged in, the card in it is found', async ({ page }) => {
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await expect(readerStatus(page)).toContainText(INSERT_CARD);

  await kiosk.fault('Unplug the reader');
  await expect(readerStatus(page)).toContainText('Waiting for a card reader');
  await expect(readerStatus(page)).toHaveAttribute('data-reader-state', 'no_reader');
  await expect(trainerState(page)).toContainText('reader unplugged');
  // A card put into an unplugged reader starts nothing.
  await kiosk.insertCard(PERSONA);
  await expect(trainerState(page)).toContainText('In the reader:');
  await expect(readerStatus(page)).toContainText('Waiting for a card reader');
  await kiosk.expectScreen(ATTRACT_TITLE);

  await kiosk.fault('Plug the reader in');
  await expect(trainerState(page)).toContainText('reader connected');
  await kiosk.expectScreen('Your certificates');
  await expect(faults(page).getByRole('button', { name: 'Unplug the reader' })).toBeVisible();
});

test('issuing service down: the PINs are still checked, then the session ends on the hand-off', async ({ page }) => {
  test.setTimeout(60_000);
  const kiosk = new KioskDriver(page);
  const pins = personaPins(PERSONA);
  await kiosk.open(host.url);
  await kiosk.fault('Issuing service down');
  await expect(faults(page).getByRole('button', { name: 'Issuing service down' })).toHaveAttribute('aria-pressed', 'true');
  await expect(trainerState(page)).toContainText('issuing service down');

  await kiosk.insertCard(PERSONA);
  await kiosk.expectScreen('Your certificates');
  await expect(page.getByText(string(en, 'status.serviceClosed'))).toBeVisible();
  await kiosk.tap('Continue');
  await kiosk.enterPins(pins);
  await kiosk.expectScreen('Please go to the window');
  await expect(page.locator('.hand-off').getByText(string(en, 'slips.handOff.reasons.service-unavailable'), { exact: true })).toBeVisible();

  // Taken back: the next session renews.
  await kiosk.fault('Issuing service down');
  await expect(faults(page).getByRole('button', { name: 'Issuing service down' })).toHaveAttribute('aria-pressed', 'false');
  await expect(trainerState(page)).toContainText('issuing service up');
  await kiosk.fault('Pull the card');
  await kiosk.expectScreen(ATTRACT_TITLE);
  await kiosk.fault('Put the card back');
  await kiosk.expectScreen('Your certificates');
  await expect(page.getByText(string(en, 'status.serviceClosed'))).toHaveCount(0);
});

test('issuing service slow: the named progress steps advance on screen and the renewal completes', async ({ page }) => {
  test.setTimeout(120_000);
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.fault('Issuing service slow');
  await expect(faults(page).getByRole('button', { name: 'Issuing service slow' })).toHaveAttribute('aria-pressed', 'true');
  await expect(trainerState(page)).toContainText('issuing service slow');
  await startRenewal(kiosk);

  const steps = page.getByRole('list', { name: 'Renewal steps' });
  await expect(steps.getByRole('listitem')).toHaveText([
    /Connecting to the issuing service/,
    /Creating new keys on your card/,
    /Issuing the new certificates/,
    /Writing them to your card/,
    /Checking and finishing/,
  ]);
  // The current step moves on while the service answers slowly; the ones before it are marked done in words.
  const issuing = steps.getByRole('listitem').filter({ hasText: 'Issuing the new certificates' });
  await expect(issuing).toHaveAttribute('aria-current', 'step', { timeout: 30_000 });
  await expect(issuing).toContainText('(now)');
  await expect(steps.getByRole('listitem').filter({ hasText: 'Connecting to the issuing service' })).toContainText('(done)');
  await expect(page.getByText('Do not remove your card.')).toBeVisible();

  await expect(kiosk.heading()).toHaveText('Your certificates have been renewed', { timeout: 60_000 });
  await kiosk.fault('Issuing service slow');
  await expect(faults(page).getByRole('button', { name: 'Issuing service slow' })).toHaveAttribute('aria-pressed', 'false');
  await expect(trainerState(page)).toContainText('issuing service up');
});

test(
  'power cut during the renewal: the kiosk restarts on the attract screen, ' + 'and the card still in the reader resumes the renewal',
  async ({ page }) => {
    test.setTimeout(120_000);
    const kiosk = new KioskDriver(page);
    const pins = personaPins(PERSONA);
    await kiosk.open(host.url);
    await kiosk.fault('Issuing service slow');
    await startRenewal(kiosk);
    const headingsSeen = await recordHeadings(page);

    await kiosk.fault('Power cut (restart)');
    // A restart: the terminal's default language (Japanese) and the attract screen, then the card in the reader starts a new session.
    await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
    await expect(kiosk.heading()).toHaveText(string(ja, 'pin.title').replace('{{pin}}', string(ja, 'pin.name.registry')), {
      timeout: 15_000,
    });
    expect(await headingsSeen()).toContain(string(ja, 'attract.title'));
    // The unfinished renewal is found: straight to the PINs, no status screen or "Renew now" again.
    expect(await headingsSeen()).not.toContain(string(ja, 'status.title'));

    await kiosk.chooseLanguage('English');
    await kiosk.fault('Issuing service slow');
    await kiosk.enterPins(pins);
    await expect(kiosk.heading()).toHaveText('Your certificates have been renewed', { timeout: 30_000 });
    expect(await headingsSeen()).not.toContain('Renew your certificates now?');
  },
);

test('"Reset the demo": attract screen, no card, every fault cleared, in Japanese', async ({ page }) => {
  test.setTimeout(60_000);
  const kiosk = new KioskDriver(page);
  await kiosk.open(host.url);
  await kiosk.insertCard(PERSONA);
  await kiosk.expectScreen('Your certificates');
  await kiosk.fault('Issuing service down');
  await kiosk.fault('Pull the card');
  await kiosk.fault('Unplug the reader');
  await expect(trainerState(page)).toContainText('reader unplugged');
  await expect(trainerState(page)).toContainText('issuing service down');
  await expect(faults(page).getByRole('button', { name: 'Put the card back' })).toBeVisible();

  await page.getByRole('button', { name: 'Reset the demo' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
  await expect(kiosk.heading()).toHaveText(string(ja, 'attract.title'));
  await expect(readerStatus(page)).toContainText(string(ja, 'reader.waiting_for_card'));
  const panel = page.getByRole('complementary', { name: string(ja, 'trainer.title') });
  await expect(panel.getByRole('status')).toHaveText(
    [string(ja, 'trainer.noCard'), string(ja, 'trainer.reader.plugged-in'), string(ja, 'trainer.service.up')].join(' · '),
  );
  const japaneseFaults = panel.getByRole('group', { name: string(ja, 'trainer.faults') });
  await expect(japaneseFaults.getByRole('button', { name: string(ja, 'trainer.fault.pull-card') })).toBeDisabled();
  await expect(japaneseFaults.getByRole('button', { name: string(ja, 'trainer.fault.reinsert-card') })).toHaveCount(0);
  await expect(japaneseFaults.getByRole('button', { name: string(ja, 'trainer.fault.unplug-reader') })).toBeVisible();
  await expect(japaneseFaults.getByRole('button', { name: string(ja, 'trainer.fault.service-down') })).toHaveAttribute(
    'aria-pressed',
    'false',
  );
  await expect(japaneseFaults.getByRole('button', { name: string(ja, 'trainer.fault.service-slow') })).toHaveAttribute(
    'aria-pressed',
    'false',
  );

  // The demo works again from there: a card starts a session.
  await page.getByLabel(string(ja, 'trainer.persona')).selectOption(PERSONA);
  await page.getByRole('button', { name: string(ja, 'trainer.insert') }).click();
  await expect(kiosk.heading()).toHaveText(string(ja, 'status.title'));
});
