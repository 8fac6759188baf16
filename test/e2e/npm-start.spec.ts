import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('npm start without the Electron binary serves the demo, and the browser shows the reader state', async ({ page }) => {
  test.setTimeout(120_000);
  // Point Electron's own override at an empty folder: no binary, whatever this machine has.
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: mkdtempSync(join(tmpdir(), 'no-electron-')) };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const start = spawn(process.execPath, ['scripts/start.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  try {
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: start.stdout! }).on('line', (line) => {
        lines.push(line);
        const match = /at (http:\/\/127\.0\.0\.1:\d+\/#token=\S+)/.exec(line);
        if (match) resolve(match[1]!);
      });
      start.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${lines.join('\n')}`)));
    });
    expect(lines).toContain(
      'The Electron binary is not installed and cannot be downloaded here (offline install): ' +
        'serving the demo profile to a browser instead.',
    );

    await page.goto(url);
    await expect(page.getByRole('note')).toContainText('デモ');
    await expect(page.getByRole('main').getByRole('status')).toHaveAttribute('data-reader-state', 'waiting_for_card');
    await expect(page.getByRole('main').getByRole('status')).toHaveText(/カードリーダーに差し込んでください/);
  } finally {
    // start.mjs forwards the signal to the web host it started; one that already ended has said why above.
    if (start.exitCode === null && start.signalCode === null) {
      process.kill(-start.pid!, 'SIGTERM');
      await once(start, 'exit');
    }
  }
});
