import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

// Temporary folders that go when their tests are done. A simulated world is
// tens of megabytes (its PGlite data directory): a suite that leaves its
// folders behind fills a CI machine's disk before it ends.

/** A folder for the file or describe block it is made in, removed after its last test. */
export function scratchForFile(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A folder for the running test, removed when it finishes (not for `describe.concurrent`: use try/finally there). */
export function scratchForTest(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
