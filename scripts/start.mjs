// `npm start`: install what is missing, build, then run the kiosk — in
// Electron when its binary is present, otherwise the demo profile through
// the web host in the system Chromium (or just the address, without a display).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildIfStale } from './build.mjs';
import { ROOT, ensureNodeModules, ensureSystemPackages } from './ensure-deps.mjs';

ensureSystemPackages({ strict: false });
ensureNodeModules();
const built = buildIfStale();
if (built !== 0) process.exit(built);

const electron = electronBinary();
const extraArgs = process.argv.slice(2);
const child = electron
  ? spawn(electron, [ROOT, ...extraArgs], { cwd: ROOT, stdio: 'inherit' })
  : (console.log(
      'The Electron binary is not installed and cannot be downloaded here (offline install): ' +
        'serving the demo profile to a browser instead.',
    ),
    spawn(process.execPath, [join(ROOT, 'out/main/web-host-cli.js'), '--profile', 'demo', '--open', ...extraArgs], {
      cwd: ROOT,
      stdio: 'inherit',
    }));

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

/**
 * The Electron binary, fetching it once if this machine can (electron 42+
 * downloads lazily instead of at npm install). `require('electron')` is not
 * used to look: it starts that download itself and prints a stack trace
 * when it fails.
 */
function electronBinary() {
  // Electron's own override for where its binary lives; nothing is downloaded then.
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) return existsSync(join(override, 'electron')) ? join(override, 'electron') : undefined;
  const packageDir = join(ROOT, 'node_modules', 'electron');
  const located = () => {
    const pathFile = join(packageDir, 'path.txt');
    if (!existsSync(pathFile)) return undefined;
    const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : undefined;
  };
  const found = located();
  if (found || !existsSync(join(packageDir, 'install.js'))) return found;
  spawnSync(process.execPath, [join(packageDir, 'install.js')], { cwd: ROOT, stdio: 'ignore', timeout: 300_000 });
  return located();
}
