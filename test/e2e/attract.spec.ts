import { expect, startWebHostProcess, stopWebHostProcess, test } from './fixtures';
import { LANGUAGES } from '../../preload/vocabulary';

test('the demo attract screen loads in Japanese and shows the reader status main reports', async ({ page, demoHost }) => {
  await page.goto(demoHost.url);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('マイナンバーカードの電子証明書の更新');
  // The web host has one virtual reader and no card in it.
  await expect(page.getByRole('main').getByRole('status')).toHaveText(/マイナンバーカードをカードリーダーに差し込んでください/);
  await expect(page.getByRole('main').getByRole('status')).toHaveAttribute('data-reader-state', 'waiting_for_card');
  await expect(page.getByRole('note')).toContainText('デモ');
  await expect(page.locator('html')).toHaveAttribute('lang', 'ja');
});

test('switching to English goes through main and changes every string', async ({ page, demoHost }) => {
  await page.goto(demoHost.url);
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Renew the electronic certificates on your My Number Card');
  await expect(page.getByRole('main').getByRole('status')).toHaveText(/Please insert your My Number Card/);
  await expect(page.getByRole('button', { name: 'English' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  // The language lives in main's view-state: a reload keeps it.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Renew the electronic certificates on your My Number Card');
});

test('a page without the launch token gets no bridge and says how to open it', async ({ page, demoHost }) => {
  await page.goto(demoHost.origin + '/');
  await expect(page.getByRole('alert')).toHaveText('このページは端末が表示したアドレスから開いてください。');
});

test('a lobby served by the web host still says DEMO: its cards are virtual', async ({ page }) => {
  const host = await startWebHostProcess('lobby');
  try {
    await page.goto(host.url);
    await expect(page.getByRole('main').getByRole('status')).toHaveAttribute('data-reader-state', 'waiting_for_card');
    await expect(page.getByRole('note')).toContainText('デモ');
    await expect(page.getByRole('complementary', { name: '研修用パネル' })).toBeVisible();
  } finally {
    await stopWebHostProcess(host);
  }
});

test('the page loads nothing from outside the kiosk and runs clean under its CSP', async ({ page, demoHost }) => {
  const foreign: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(demoHost.origin)) foreign.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(demoHost.url);
  await expect(page.getByRole('main').getByRole('status')).toHaveAttribute('data-reader-state', 'waiting_for_card');
  expect(foreign).toEqual([]);
  expect(problems).toEqual([]);
});

test("the attract screen, in every language, draws Noto Sans JP from the screens' own cut: none of @fontsource's files", async ({
  page,
  demoHost,
}) => {
  const fonts: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'font') fonts.push(new URL(request.url()).pathname);
  });
  await page.goto(demoHost.url);
  await expect(page.getByRole('main').getByRole('status')).toHaveAttribute('data-reader-state', 'waiting_for_card');
  for (const language of LANGUAGES) {
    await page.locator(`nav.language-bar button[lang="${language}"]`).click();
    await expect(page.locator('html')).toHaveAttribute('lang', language);
    // The page's own fonts settle before the next language: its script runs in the page, where `document` is.
    await page.evaluate('document.fonts.ready.then(() => undefined)');
  }
  expect(fonts.filter((path) => !/\/noto-sans-jp-ui-(400|700)-[\w-]+\.woff2$/.test(path))).toEqual([]);
  // Both weights of the cut were drawn with (headings are bold), so the check above saw the fonts load at all.
  expect(new Set(fonts).size).toBe(2);
});
