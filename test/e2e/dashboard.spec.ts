import type { Locator, Page } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  expect,
  expectAccessible,
  expectNoPinInPage,
  PERSONA_PIN_VALUES,
  personaPins,
  screenshot,
  serviceHoursNearToday,
  startWebHostProcess,
  stopWebHostProcess,
  test,
  type RunningWebHost,
} from './fixtures';
import {
  addDashboardAccount,
  auditRows,
  auditShip,
  auditVerify,
  cutAuditChain,
  enrolTerminal,
  headlessSession,
  initService,
  makeScratch,
  personaSecrets,
  readFleetDatabase,
  secretsIn,
  secretsInLog,
  secretsInValue,
  startServiceProcess,
  stopServiceProcess,
  terminalConfig,
  type HeadlessTerminal,
  type RunningService,
  type Secret,
} from './fleet-fixtures';
import { KioskDriver } from './kiosk-driver';

/**
 * The municipal dashboard over a small simulated fleet: an issuing service
 * (its own process, card factory on), two lobby web hosts reporting to it
 * (one renewal, one hand-off), and a headless terminal (`session` and
 * `audit ship`) whose audit chain an insider then cuts. The dashboard shows
 * the terminals, the day's totals, a terminal gone silent and the cut chain;
 * it passes axe in both languages; and nothing personal (PINs, names,
 * addresses, dates of birth, My Numbers, the dashboard passcode) reaches the
 * page, the service's output or the fleet database.
 */

const RENEWING = 'standard-in-window';
/** Its authentication PIN is locked: the lobby hands the card off at once (reason pin-blocked). */
const HANDED_OFF = 'authentication-pin-locked';
const ACCOUNT = 'auditor';
const STALE_AFTER_SECONDS = 4;

/** A figure of the totals (data-figure), as a number. */
async function figure(page: Page, name: 'renewals' | 'handOffs' | 'abandoned' | 'sessions'): Promise<number> {
  return numberIn(page.locator(`[data-figure="${name}"] dd`));
}

async function numberIn(locator: Locator): Promise<number> {
  return Number((await locator.innerText()).replace(/[^\d]/g, ''));
}

/** Presses Refresh until `check` passes: the terminals ship and beat in the background (the page refreshes itself only every 15 s). */
async function refreshUntil(page: Page, check: () => Promise<void>, timeout = 30_000): Promise<void> {
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await expect(page.locator('.last-update time')).toBeVisible();
    await check();
  }).toPass({ timeout, intervals: [500, 1_000] });
}

/** The open alerts as the page lists them: kind, terminal and message of each. */
async function openAlerts(page: Page): Promise<string[]> {
  return page
    .getByRole('region', { name: 'Open alerts' })
    .locator('[data-alert-kind]')
    .evaluateAll((items) =>
      items.map(
        (item) =>
          `${item.getAttribute('data-alert-kind')}: ${item.querySelector('.alert__facts dd')?.textContent ?? '?'}: ` +
          `${item.querySelector('.alert__message dd')?.textContent ?? ''}`,
      ),
    );
}

/** What the page holds, as text and markup, in one language. */
async function secretsInPage(page: Page, secrets: readonly Secret[], where: string): Promise<string[]> {
  const text = await page.locator('html').innerText();
  const markup = await page.content();
  return [...secretsIn(text, secrets, `${where}, text`), ...secretsIn(markup, secrets, `${where}, markup`)];
}

test('a small fleet on the dashboard: terminals, totals, a silent terminal, a cut chain; accessible; nothing personal anywhere', async ({
  browser,
  page,
}, testInfo) => {
  // About 45 s on an idle machine, 100 s seen on a loaded one (two cores, load 8).
  test.setTimeout(150_000);
  const startAt = serviceHoursNearToday();
  const today = startAt.slice(0, 10);
  const passcode = `pass-${randomBytes(12).toString('base64url')}`;
  const wrongPasscode = `wrong-${randomBytes(12).toString('base64url')}`;
  const secrets: Secret[] = [
    ...personaSecrets(RENEWING, today),
    ...personaSecrets(HANDED_OFF, today),
    { what: 'the dashboard passcode', value: passcode },
    { what: 'the wrong dashboard passcode typed', value: wrongPasscode },
  ];

  const scratch = makeScratch();
  const dir = join(scratch.root, 'service');
  let service: RunningService | undefined;
  const hosts: RunningWebHost[] = [];
  const dashboardContext = await browser.newContext({ ignoreHTTPSErrors: true });
  const contexts = [dashboardContext];
  try {
    // 1. The service folder, three terminals, an account; the service on the practice clock.
    const { lobby1, lobby2, headless } = await test.step('the service: three terminals enrolled, a dashboard account', async () => {
      await initService(dir);
      // The account (a file of its own) beside the enrolments; those one after the other, as each rewrites the registry file.
      const [enrolled] = await Promise.all([
        (async () => ({
          lobby1: await enrolTerminal(dir, 'lobby-01', 'lobby'),
          lobby2: await enrolTerminal(dir, 'lobby-02', 'lobby'),
          headless: {
            terminal: await enrolTerminal(dir, 'counter-01', 'counter'),
            db: join(scratch.root, 'counter-01.sqlite'),
            simDir: join(scratch.root, 'counter-01-sim'),
          } satisfies HeadlessTerminal,
        }))(),
        addDashboardAccount(dir, ACCOUNT, passcode),
      ]);
      service = await startServiceProcess({ dir, simDir: join(scratch.root, 'jlis'), staleAfterSeconds: STALE_AFTER_SECONDS, startAt });
      return enrolled;
    });
    const running = service!;

    // 2. Two lobby web hosts (a renewal, a hand-off) and the headless terminal (a renewal), side by side.
    const [host1, host2] = await Promise.all([
      startWebHostProcess('lobby', { startAt, config: terminalConfig(running.issuingUrl, lobby1) }),
      startWebHostProcess('lobby', { startAt, config: terminalConfig(running.issuingUrl, lobby2) }),
    ]);
    hosts.push(host1, host2);
    const kiosk1 = new KioskDriver(page);
    // A context of its own: a second page in the same one would be a background tab, its animation frames throttled (each tap ~2 s).
    const kioskContext = await browser.newContext();
    contexts.push(kioskContext);
    const kiosk2 = new KioskDriver(await kioskContext.newPage());
    const pins = personaPins(RENEWING);
    await Promise.all([
      test.step('lobby-01: a resident renews', async () => {
        await kiosk1.open(host1.url);
        await kiosk1.startSession(RENEWING);
        await kiosk1.enterPins(pins);
        await kiosk1.renew();
        await kiosk1.fault('Pull the card');
        await kiosk1.expectScreen('Renew the electronic certificates on your My Number Card');
      }),
      test.step('lobby-02: a card with a locked PIN is handed off', async () => {
        await kiosk2.open(host2.url);
        await kiosk2.insertCard(HANDED_OFF);
        await kiosk2.expectScreen('Please go to the window');
        await kiosk2.fault('Pull the card');
        await kiosk2.expectScreen('Renew the electronic certificates on your My Number Card');
        await expectNoPinInPage(kiosk2.page, PERSONA_PIN_VALUES);
      }),
      test.step('counter-01 (headless): a renewal, its audit rows shipped', async () => {
        const session = await headlessSession(headless, running, {
          persona: RENEWING,
          pins,
          at: startAt,
          cardState: join(scratch.root, 'card-1.json'),
        });
        expect(session.code, `session:\n${session.stdout}\n${session.stderr}`).toBe(0);
        const ship = await auditShip(headless, running);
        expect(ship.code, `audit ship:\n${ship.stdout}\n${ship.stderr}`).toBe(0);
        expect(ship.stdout).toMatch(/nothing left to deliver/);
      }),
    ]);

    // 3. The dashboard: English, a wrong passcode refused, then signed in.
    const dashboard = await dashboardContext.newPage();
    await test.step('sign-in', async () => {
      await dashboard.goto(`${running.dashboardUrl}/`);
      await dashboard.getByRole('button', { name: 'English', exact: true }).click();
      await expect(dashboard.locator('html')).toHaveAttribute('lang', 'en');
      await expect(dashboard.getByRole('heading', { level: 1 })).toHaveText('Certificate renewal terminals — dashboard');
      await dashboard.getByLabel('Account', { exact: true }).fill(ACCOUNT);
      await dashboard.getByLabel('Passcode', { exact: true }).fill(wrongPasscode);
      await dashboard.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect(dashboard.getByRole('alert')).toHaveText('The account or passcode is not right.');
      await expect(dashboard.getByLabel('Passcode', { exact: true })).toHaveValue('');
      await expect(dashboard.getByRole('table', { name: 'Terminals' })).toHaveCount(0);

      await dashboard.getByLabel('Passcode', { exact: true }).fill(passcode);
      await dashboard.getByRole('button', { name: 'Sign in', exact: true }).click();
      await expect(dashboard.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
    });

    const terminals = dashboard.getByRole('table', { name: 'Terminals' });
    const row = (id: string) => terminals.locator(`tr[data-terminal-id="${id}"]`);
    const alerts = dashboard.getByRole('region', { name: 'Open alerts' });
    await test.step('the fleet: three terminals, the two web hosts up, the totals of the day', async () => {
      await refreshUntil(dashboard, async () => {
        await expect(terminals.locator('tr[data-terminal-id]')).toHaveCount(3, { timeout: 1_000 });
        await expect(row('lobby-01')).toHaveAttribute('data-state', 'up', { timeout: 1_000 });
        await expect(row('lobby-02')).toHaveAttribute('data-state', 'up', { timeout: 1_000 });
        expect(await figure(dashboard, 'renewals')).toBeGreaterThanOrEqual(2);
        expect(await figure(dashboard, 'handOffs')).toBeGreaterThanOrEqual(1);
        await expect(dashboard.locator('[data-reason="pin-blocked"] dt')).toHaveText('PIN blocked', { timeout: 1_000 });
      });
      expect(
        await terminals.locator('tr[data-terminal-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-terminal-id'))),
      ).toEqual(['counter-01', 'lobby-01', 'lobby-02']);
      expect(await numberIn(dashboard.locator('[data-reason="pin-blocked"] dd'))).toBeGreaterThanOrEqual(1);
      // The headless terminal sends no heartbeat: its rows are there, it was never seen.
      await expect(row('counter-01')).toHaveAttribute('data-state', 'never-seen');
      await expect(dashboard.getByRole('img', { name: 'Renewals by hour' })).toBeVisible();
      // Nothing is wrong with this fleet yet: no alert at all (each one listed with its message, if any).
      expect(await openAlerts(dashboard)).toEqual([]);
      await screenshot(dashboard, testInfo, 'dashboard-fleet-en');
    });

    // 4. lobby-02 stops: silent, then stale, with an alert.
    await test.step('a web host stops: stale within ~10 s, and an alert', async () => {
      const stoppedAt = Date.now();
      hosts.splice(hosts.indexOf(host2), 1);
      await stopWebHostProcess(host2);
      await refreshUntil(
        dashboard,
        async () => {
          await expect(row('lobby-02')).toHaveAttribute('data-state', 'stale', { timeout: 500 });
          await expect(alerts.locator('[data-alert-kind="stale"]').filter({ hasText: 'lobby-02' })).toHaveCount(1, { timeout: 500 });
        },
        12_000,
      );
      testInfo.annotations.push({ type: 'stale after', description: `${Date.now() - stoppedAt} ms` });
      await expect(row('lobby-01')).toHaveAttribute('data-state', 'up');
      await expect(alerts.locator('[data-alert-kind="stale"]').filter({ hasText: 'lobby-01' })).toHaveCount(0);
    });

    // 5. An insider cuts counter-01's chain after its last shipped renewal; the next delivery shows it.
    const firstBad = await test.step('the headless terminal’s chain cut: chain-rewritten from the first row that differs', async () => {
      const rows = auditRows(headless.db);
      const renewalDone = rows.find((entry) => entry.event === 'renewal-done');
      if (!renewalDone) throw new Error(`no renewal-done row in ${headless.db}: ${rows.map((entry) => entry.event).join(', ')}`);
      // The record of the renewal and everything after it goes: rows 1…keep stay.
      const keep = renewalDone.seq - 1;
      cutAuditChain(headless.db, keep);
      expect(auditRows(headless.db).at(-1)?.seq).toBe(keep);

      const session = await headlessSession(headless, running, {
        persona: RENEWING,
        pins,
        at: startAt,
        cardState: join(scratch.root, 'card-2.json'),
      });
      expect(session.code, `session:\n${session.stdout}\n${session.stderr}`).toBe(0);
      const ship = await auditShip(headless, running);
      expect(ship.code, `audit ship:\n${ship.stdout}\n${ship.stderr}`).toBe(1);
      expect(ship.stdout).toMatch(/audit rows NOT delivered/);

      const verify = await auditVerify(headless, running);
      expect(verify.code, `audit verify:\n${verify.stdout}\n${verify.stderr}`).toBe(1);
      expect(verify.stdout).toMatch(new RegExp(`BROKEN against the issuing service's copy at row ${keep + 1}: row ${keep + 1} differs`));
      return keep + 1;
    });

    await test.step('the dashboard shows the rewritten chain, naming its first bad row', async () => {
      const chainAlert = alerts.locator('[data-alert-kind="chain-rewritten"]').filter({ hasText: 'counter-01' });
      await refreshUntil(dashboard, async () => {
        await expect(chainAlert).toHaveCount(1, { timeout: 500 });
      });
      await expect(chainAlert.locator('.alert__seq')).toHaveText(String(firstBad));
      await expect(chainAlert.getByRole('heading')).toContainText('Serious');
      await expect(chainAlert.getByRole('heading')).toContainText('Audit chain rewritten');
      // Chain alerts come first.
      await expect(alerts.locator('[data-alert-kind]').first()).toHaveAttribute('data-alert-kind', 'chain-rewritten');
    });

    // 6. Axe, in English and in Japanese, with all of it on the page; screenshots.
    await test.step('accessible in both languages', async () => {
      await expectAccessible(dashboard);
      await screenshot(dashboard, testInfo, 'dashboard-alerts-en');
      expect(await secretsInPage(dashboard, secrets, 'the dashboard page (English)')).toEqual([]);

      await dashboard.getByRole('button', { name: '日本語', exact: true }).click();
      await expect(dashboard.locator('html')).toHaveAttribute('lang', 'ja');
      await expect(dashboard.getByRole('heading', { level: 1 })).toHaveText('マイナンバーカード電子証明書更新端末 管理画面');
      await expect(dashboard.getByRole('table', { name: '端末' })).toBeVisible();
      await expectAccessible(dashboard);
      await screenshot(dashboard, testInfo, 'dashboard-alerts-ja');
      expect(await secretsInPage(dashboard, secrets, 'the dashboard page (Japanese)')).toEqual([]);
    });

    // 7. The service's output and, once it has stopped, every table of its fleet database.
    await test.step('nothing personal in the service’s output or its fleet database', async () => {
      await stopServiceProcess(running);
      expect(running.process.exitCode, running.stderr.join('')).toBe(0);
      const output = [
        ...secretsInLog(running.stdout.join(''), secrets, 'the service’s stdout'),
        ...secretsInLog(running.stderr.join(''), secrets, 'the service’s stderr (log)'),
      ];
      expect(output, 'personal data in the service’s output').toEqual([]);

      const tables = await readFleetDatabase(dir);
      expect(Object.keys(tables)).toEqual(
        expect.arrayContaining(['fleet_audit', 'fleet_alerts', 'fleet_heartbeats', 'dashboard_sign_ins']),
      );
      // The scan reads something: the rows of all three terminals are there.
      expect(new Set(tables['fleet_audit']!.map((entry) => (entry as { terminal_id: string }).terminal_id))).toEqual(
        new Set(['counter-01', 'lobby-01', 'lobby-02']),
      );
      const stored = Object.entries(tables).flatMap(([table, rows]) => secretsInValue(rows, secrets, `fleet database table ${table}`));
      expect(stored, 'personal data in the fleet database').toEqual([]);
    });
  } catch (error) {
    // What the service said explains most failures here.
    if (service)
      await testInfo.attach('issuing-service.log', { body: [...service.stdout, ...service.stderr].join(''), contentType: 'text/plain' });
    throw error;
  } finally {
    for (const context of contexts) await context.close();
    for (const host of hosts) await stopWebHostProcess(host).catch(() => undefined);
    if (service) await stopServiceProcess(service);
    scratch.remove();
  }
});
