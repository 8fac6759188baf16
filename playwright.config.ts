import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests drive the real renderer, served by the web host, in
 * Debian's Chromium (Playwright's own browser downloads cannot work offline).
 * Each test starts its own web host (test/e2e/fixtures.ts).
 */
export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/e2e-artifacts',
  // Every test starts its own web host on its own port, so tests run side by side: one per core.
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 30_000,
  forbidOnly: true,
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  // The screen matrix drives one page through every screen with a stand-in bridge (no web host, no card):
  // `npm test` runs it on its own, beside the integration tests, and the routes after them (scripts/test.mjs).
  projects: [
    { name: 'routes', testIgnore: /screen-matrix\.spec\.ts/ },
    { name: 'screens', testMatch: /screen-matrix\.spec\.ts/, outputDir: 'test-results/screen-matrix-artifacts' },
  ],
});
