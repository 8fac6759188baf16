import { test as base } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface RunningWebHost {
  url: string;
  origin: string;
  process: ChildProcess;
}

const WEB_HOST_CLI = fileURLToPath(new URL('../../out/main/web-host-cli.js', import.meta.url));

/** Starts the built web host exactly as `npm start` does, and reads the address it prints. */
export async function startWebHostProcess(profile: 'demo' | 'lobby' | 'counter'): Promise<RunningWebHost> {
  // The simulated J-LIS of a test run lives in a temporary folder, not the user's cache.
  const env = { ...process.env, MYNA_KIOSK_SIM_DIR: mkdtempSync(join(tmpdir(), 'myna-kiosk-e2e-sim-')) };
  const child = spawn(process.execPath, [WEB_HOST_CLI, '--profile', profile, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line as string),
    once(child, 'exit').then(([code]) => {
      throw new Error(`web host exited with ${code}: ${stderr.join('')}`);
    }),
  ]);
  const { url, origin } = JSON.parse(first) as { url: string; origin: string };
  return { url, origin, process: child };
}

export async function stopWebHostProcess(host: RunningWebHost): Promise<void> {
  if (host.process.exitCode !== null) return;
  host.process.kill('SIGTERM');
  await once(host.process, 'exit');
}

export const test = base.extend<{ demoHost: RunningWebHost }>({
  // Playwright reads a fixture's dependencies from this destructuring pattern; this one has none.
  // eslint-disable-next-line no-empty-pattern
  demoHost: async ({}, use) => {
    const host = await startWebHostProcess('demo');
    await use(host);
    await stopWebHostProcess(host);
  },
});

export { expect } from '@playwright/test';
