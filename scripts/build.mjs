// The app's build (electron-vite: main, preload, renderer, then the dashboard)
// and the stamp that says which sources it was built from. `npm test` and
// `npm run build` always build; `npm start` and `npx myna-kiosk` build only
// when a source is newer than the last build, so starting the kiosk (or an
// end-to-end test of `npm start`) never rewrites an up-to-date out/ under
// something that is reading it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const stampOf = (root) => join(root, 'out', '.built-from-sources');
/** Everything the build reads: a change to any of these makes out/ stale. */
const SOURCES = ['main', 'preload', 'renderer', 'assets', 'electron.vite.config.ts', 'package.json', 'package-lock.json'];

/** The newest modification time under the build's sources, in ms. */
function newestSource(root) {
  let newest = 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) visit(join(root, source));
  return newest;
}

/** Whether out/ under `root` is missing its stamp or older than a source. */
export function buildIsStale(root = ROOT) {
  const stamp = stampOf(root);
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newestSource(root);
}

/** Marks out/ under `root` as built from the sources as they were at `started`. */
export function stampBuild(started, root = ROOT) {
  writeFileSync(stampOf(root), '');
  utimesSync(stampOf(root), started, started);
}

/**
 * Builds, and on success stamps out/ with the time the build started (a
 * source saved during the build makes the next check build again). Returns
 * the build's exit status. `quiet` keeps the build's own output off stdout
 * (the CLI's --json output must stay clean); its errors still show.
 */
export function build({ quiet = false } = {}) {
  const started = new Date();
  // The screens' cut of Noto Sans JP first: the renderer's CSS imports it.
  const fonts = spawnSync(process.execPath, [join(ROOT, 'scripts', 'ui-fonts.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'],
  });
  if (fonts.status !== 0) return fonts.status ?? 1;
  const result = spawnSync('npx', ['electron-vite', 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'],
  });
  if (result.status !== 0) return result.status ?? 1;
  stampBuild(started);
  return 0;
}

/** Builds when out/ is missing or older than a source; says which. Returns the exit status. */
export function buildIfStale({ quiet = false } = {}) {
  if (!buildIsStale()) return 0;
  if (!quiet) console.log('Building the app (a source is newer than the last build)…');
  return build({ quiet });
}

// `node scripts/build.mjs`: always build.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const status = build();
  if (status !== 0) console.error(`The build failed (exit ${status}).`);
  process.exit(status);
}
