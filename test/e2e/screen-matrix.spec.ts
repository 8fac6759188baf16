import type { CDPSession, Page, TestInfo } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { LANGUAGES, type Language, type ViewState } from '../../preload/contract';
import { TEXT_SCALES } from '../../renderer/src/layout/text-scales';
import { expect, test } from './fixtures';
import { galleryScreens, sessionScreensMissing, type GalleryScreen } from './screen-gallery';

/**
 * The screen matrix (docs/experience.md, "Screen layout"): every screen of
 * every profile × the resolutions below × all 13 languages × the text sizes
 * below. At each one the page must not scroll, every
 * control must lie wholly inside the viewport, uncovered and not
 * overlapping another, no label may overflow its control, and targets keep
 * their sizes: keypad keys at least 96 × 96 px and all alike, the frame's
 * language and display buttons at least 60 px tall, every other button at
 * least 44 px (the screens' own actions 60 px).
 *
 * Screens are shown by a stand-in bridge that hands the real renderer the
 * snapshot main would send (screen-gallery.ts); no card session runs, so the
 * whole matrix takes one page per resolution. Each state is photographed
 * small, and the photographs of a resolution make one contact sheet
 * (`contact-sheet-<resolution>.jpg` among the test's artifacts); a state
 * with a problem is also kept full size.
 */

/**
 * The lobby's two orientations and the counter PCs' screen, each at normal
 * and at the largest text size (the large size lies between the two, and
 * fits wherever the largest does: layout/fit-to-screen.ts brings either down
 * only as far as normal).
 */
const RESOLUTIONS = [
  { name: 'portrait-1080x1920', width: 1080, height: 1920 },
  { name: 'landscape-1920x1080', width: 1920, height: 1080 },
  { name: 'counter-1280x1024', width: 1280, height: 1024 },
] as const;

const TEXT_SIZES = [0, 2] as const;

/** The contact sheet's thumbnails: wide enough to see a layout, small enough for one sheet of every screen. */
const THUMBNAIL_WIDTH = 120;

/**
 * Photographed for the contact sheet: every screen in these languages, and
 * every state with a problem in any language. Each photograph costs about
 * as much as checking four states, so the other languages are checked
 * without one.
 */
const PHOTOGRAPHED_LANGUAGES: readonly Language[] = ['ja', 'en'];

const RENDERER_ROOT = fileURLToPath(new URL('../../out/renderer', import.meta.url));
const ORIGIN = 'http://kiosk.screen-matrix.test';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** Serves the built renderer to the page without a server: every request is answered from out/renderer. */
async function serveRenderer(page: Page): Promise<void> {
  await page.route(`${ORIGIN}/**`, async (route) => {
    const path = decodeURIComponent(new URL(route.request().url()).pathname);
    const file = join(RENDERER_ROOT, path === '/' ? 'index.html' : path);
    if (!file.startsWith(RENDERER_ROOT)) return route.fulfill({ status: 404 });
    try {
      await route.fulfill({ body: await readFile(file), contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    } catch {
      await route.fulfill({ status: 404 });
    }
  });
}

/**
 * What the page gets before the renderer loads (test/e2e/page/screen-matrix-page.ts,
 * typed against the DOM): the stand-in bridge and `__showAndCheck`.
 */
const PAGE_HELPERS = ts.transpileModule(readFileSync(fileURLToPath(new URL('./page/screen-matrix-page.ts', import.meta.url)), 'utf8'), {
  compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None },
}).outputText;

interface StateUnderTest {
  screen: GalleryScreen;
  language: Language;
  textSize: (typeof TEXT_SIZES)[number];
}

const label = (state: StateUnderTest) => `${state.screen.id} · ${state.language} · text ${state.textSize}`;

async function openDisplay(page: Page, display: GalleryScreen['display']): Promise<void> {
  await serveRenderer(page);
  await page.addInitScript({ content: PAGE_HELPERS });
  await page.goto(`${ORIGIN}/index.html${display === 'customer' ? '#display=customer' : ''}`);
}

/** Shows one state and returns what is wrong with its layout. */
function showAndCheck(page: Page, state: StateUnderTest): Promise<{ problems: string[]; fit: number }> {
  const view: ViewState = { ...state.screen.state, language: state.language };
  return page.evaluate(
    ([snapshot, textSize]) =>
      (globalThis as unknown as { __showAndCheck(s: unknown, size: number): Promise<{ problems: string[]; fit: number }> }).__showAndCheck(
        snapshot,
        textSize,
      ),
    [view, state.textSize] as const,
  );
}

/**
 * How the largest text fared: on how many states it stayed as chosen, and
 * how far the rest came down (1 is the largest size, 0 normal size) — the
 * figure behind docs/experience.md's "Fit to the screen".
 */
function largestTextSummary(checked: ReadonlyArray<{ state: StateUnderTest; fit: number }>): string {
  const largest = checked.filter((entry) => entry.state.textSize === 2);
  if (largest.length === 0) return 'largest text not checked';
  const scale = TEXT_SCALES[2];
  // Where between normal (0) and the largest size (1) the text ended.
  const kept = (fit: number) => (fit * scale - 1) / (scale - 1);
  const whole = largest.filter((entry) => entry.fit >= 0.9999).length;
  const lowest = Math.min(...largest.map((entry) => kept(entry.fit)));
  return `largest text kept whole on ${whole} of ${largest.length} states, at worst ${(lowest * 100).toFixed(0)} % of the way from normal`;
}

/** A small photograph of the screen as it is, for the contact sheet (Chromium scales it while capturing: quick). */
async function thumbnail(cdp: CDPSession, resolution: (typeof RESOLUTIONS)[number]): Promise<string> {
  const { data } = (await cdp.send('Page.captureScreenshot', {
    format: 'jpeg',
    quality: 60,
    clip: { x: 0, y: 0, width: resolution.width, height: resolution.height, scale: THUMBNAIL_WIDTH / resolution.width },
  })) as { data: string };
  return data;
}

interface Photographed {
  state: StateUnderTest;
  jpeg: string;
  problems: string[];
}

/** One sheet per resolution: a row per screen, a column per language and text size, problems outlined. */
async function contactSheet(page: Page, testInfo: TestInfo, resolution: (typeof RESOLUTIONS)[number], shots: Photographed[]) {
  const columns = LANGUAGES.flatMap((language) => TEXT_SIZES.map((textSize) => `${language} ${textSize === 0 ? 'A' : 'A+'}`)).filter(
    (column) => shots.some((shot) => `${shot.state.language} ${shot.state.textSize === 0 ? 'A' : 'A+'}` === column),
  );
  const rows = [...new Set(shots.map((shot) => shot.state.screen.id))];
  const cell = (screenId: string, column: string) =>
    shots.find(
      (shot) => shot.state.screen.id === screenId && `${shot.state.language} ${shot.state.textSize === 0 ? 'A' : 'A+'}` === column,
    );
  const photographed = `every screen in ${PHOTOGRAPHED_LANGUAGES.join(' and ')}, and every state with a problem`;
  const withProblems = shots.filter((shot) => shot.problems.length > 0).length;
  const heading = `${resolution.name}: ${shots.length} states photographed (${photographed}), ${withProblems} with problems`;
  const html = `<!doctype html><meta charset="utf-8"><style>
    body{margin:8px;font:11px sans-serif}table{border-collapse:collapse}td,th{padding:2px;vertical-align:top}
    img{display:block;width:${THUMBNAIL_WIDTH}px;border:1px solid #999}.bad img{outline:4px solid #d00}th{white-space:nowrap}
    </style><h1>${heading}</h1>
    <table><tr><th></th>${columns.map((column) => `<th>${column}</th>`).join('')}</tr>${rows
      .map(
        (row) =>
          `<tr><th>${row}</th>${columns
            .map((column) => {
              const shot = cell(row, column);
              return shot
                ? `<td class="${shot.problems.length ? 'bad' : ''}"><img src="data:image/jpeg;base64,${shot.jpeg}"></td>`
                : '<td></td>';
            })
            .join('')}</tr>`,
      )
      .join('')}</table>`;
  const sheet = await page.context().newPage();
  await sheet.setContent(html);
  const path = testInfo.outputPath(`contact-sheet-${resolution.name}.jpg`);
  await sheet.screenshot({ path, fullPage: true, type: 'jpeg', quality: 70 });
  await sheet.close();
  await testInfo.attach(`contact-sheet-${resolution.name}`, { path, contentType: 'image/jpeg' });
}

const SCREENS = galleryScreens();

test('the gallery shows every session screen', () => {
  expect(sessionScreensMissing(SCREENS)).toEqual([]);
});

for (const resolution of RESOLUTIONS) {
  test(`every screen fits ${resolution.name} in every language and text size`, async ({ page }, testInfo) => {
    test.setTimeout(600_000);
    const started = Date.now();
    const checked: Array<{ state: StateUnderTest; problems: string[]; fit: number }> = [];
    const shots: Photographed[] = [];
    for (const display of ['main', 'customer'] as const) {
      const screens = SCREENS.filter((screen) => screen.display === display);
      const tab = display === 'main' ? page : await page.context().newPage();
      await tab.setViewportSize({ width: resolution.width, height: resolution.height });
      await openDisplay(tab, display);
      const cdp = await tab.context().newCDPSession(tab);
      for (const language of LANGUAGES) {
        for (const textSize of TEXT_SIZES) {
          for (const screen of screens) {
            const state = { screen, language, textSize };
            const { problems, fit } = await showAndCheck(tab, state);
            checked.push({ state, problems, fit });
            if (problems.length > 0 || PHOTOGRAPHED_LANGUAGES.includes(language)) {
              shots.push({ state, jpeg: await thumbnail(cdp, resolution), problems });
            }
            if (problems.length > 0) {
              await tab.screenshot({ path: testInfo.outputPath(`problem-${resolution.name}-${screen.id}-${language}-${textSize}.png`) });
            }
          }
        }
      }
      if (tab !== page) await tab.close();
    }
    await contactSheet(page, testInfo, resolution, shots);
    const seconds = (Date.now() - started) / 1000;
    const counts = `${checked.length} states checked, ${shots.length} photographed, in ${seconds.toFixed(1)} s`;
    const summary = `${counts}; ${largestTextSummary(checked)}`;
    testInfo.annotations.push({ type: 'screen matrix', description: summary });
    console.log(`screen matrix ${resolution.name}: ${summary}`);
    const failures = checked
      .filter((state) => state.problems.length > 0)
      .map((state) => `${label(state.state)}: ${state.problems.join('; ')}`);
    expect(failures, `${failures.length} of ${checked.length} states do not fit`).toEqual([]);
  });
}
