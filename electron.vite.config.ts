import { cpSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { build, type Plugin } from 'vite';
import { UI_FONTS_FOLDER } from './scripts/ui-fonts.mjs';

/**
 * Data read at run time, shipped beside the bundle: the persona catalogue
 * (main/simulation/personas.ts) and the Japanese voice the speech engine
 * opens (main/kiosk/speech.ts).
 */
const copyPersonas: Plugin = {
  name: 'myna-kiosk:copy-personas',
  writeBundle() {
    cpSync(resolve('main/simulation/personas'), resolve('out/main/personas'), { recursive: true });
    cpSync(resolve('assets/voice'), resolve('out/main/voice'), { recursive: true });
  },
};

/**
 * The municipal dashboard (renderer/dashboard/), served by the issuing
 * service, is built on its own into out/dashboard after the kiosk's
 * renderer: sharing one build would split React into chunks shared by both
 * pages, and the kiosk's page would load three files instead of one (and
 * carry a page the kiosk never serves).
 */
const buildDashboard: Plugin = {
  name: 'myna-kiosk:build-dashboard',
  apply: 'build',
  async closeBundle() {
    await build({
      configFile: false,
      root: resolve('renderer'),
      publicDir: resolve('assets/public'),
      base: './',
      logLevel: 'warn',
      plugins: [react()],
      build: {
        outDir: resolve('out/dashboard'),
        emptyOutDir: true,
        assetsInlineLimit: 0,
        minify: true,
        rollupOptions: { input: { dashboard: resolve('renderer/dashboard.html') } },
      },
    });
  },
};

/**
 * BudouX's package.json maps its Node DOM module (which needs linkedom) to the
 * page's own DOM for browsers, in the "browser" field; the bundler does not
 * apply that file mapping, so it is applied here. Without it the renderer's
 * first download would carry linkedom (about 90 kB gzipped) it never runs.
 */
const budouxBrowserDom: Plugin = {
  name: 'myna-kiosk:budoux-browser-dom',
  enforce: 'pre',
  resolveId(source, importer) {
    if (source === './dom.js' && importer?.replaceAll('\\', '/').includes('/node_modules/budoux/module/')) {
      return resolve('node_modules/budoux/module/dom-browser.js');
    }
    return undefined;
  },
};

/**
 * The screens' own cut of Noto Sans JP, which fonts.css imports as
 * `@ui-fonts/ui-fonts.css`: scripts/build.mjs makes it (scripts/ui-fonts.mjs)
 * before this build starts.
 */
const UI_FONTS_DIR = resolve(UI_FONTS_FOLDER);

// One build for the three parts (and the dashboard after the renderer). It needs no Electron binary, so it runs on
// offline machines and in CI; `electron-vite dev/preview` do need it.
export default defineConfig({
  main: {
    plugins: [copyPersonas],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          // Electron's entry, and the plain-Node web host (demo in a browser, e2e tests).
          index: resolve('main/shell/index.ts'),
          'web-host-cli': resolve('main/web-host/web-host-cli.ts'),
          // The operator and developer CLI (npx myna-kiosk).
          cli: resolve('main/cli/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require anything at run time: one self-contained CommonJS file.
      externalizeDeps: false,
      isolatedEntries: true,
      rollupOptions: {
        input: { index: resolve('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    publicDir: resolve('assets/public'),
    base: './',
    plugins: [react(), buildDashboard, budouxBrowserDom],
    resolve: { alias: { '@ui-fonts': UI_FONTS_DIR } },
    build: {
      outDir: 'out/renderer',
      // Everything local: no inline scripts (the CSP forbids them), no remote assets.
      assetsInlineLimit: 0,
      minify: true,
      rollupOptions: {
        input: { index: resolve('renderer/index.html') },
      },
    },
  },
});
