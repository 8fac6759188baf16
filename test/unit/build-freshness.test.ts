import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain-Node script without types (it runs before any package is installed)
import { buildIsStale, stampBuild } from '../../scripts/build.mjs';
import { scratchForTest } from '../support/scratch';

// `npm start` and `npx myna-kiosk` rebuild only when a source is newer than the last build: an up-to-date out/ is
// never rewritten under a web host (or a test) reading it.
describe('build freshness', () => {
  const tree = () => {
    const root = scratchForTest('build-freshness-');
    mkdirSync(join(root, 'main', 'kiosk'), { recursive: true });
    mkdirSync(join(root, 'out'));
    writeFileSync(join(root, 'main', 'kiosk', 'kiosk.ts'), '');
    const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
    at('main/kiosk/kiosk.ts', 1_000);
    return { root, at };
  };

  it('a tree never built is stale', () => {
    expect(buildIsStale(tree().root)).toBe(true);
  });

  it('a build stamped after the newest source is fresh, until a source is saved after the build started', () => {
    const { root, at } = tree();
    stampBuild(new Date(2_000_000), root);
    expect(buildIsStale(root)).toBe(false);
    at('main/kiosk/kiosk.ts', 2_001);
    expect(buildIsStale(root)).toBe(true);
  });

  it('a new file deep in a source folder, or a changed lock file, makes it stale', () => {
    const { root } = tree();
    stampBuild(new Date(2_000_000), root);
    writeFileSync(join(root, 'package-lock.json'), '{}');
    expect(buildIsStale(root)).toBe(true);
  });
});
