// `npm start`: install what is missing, build, then run the kiosk — in
// Electron when its binary is present, otherwise the demo profile through
// the web host in the system Chromium (or just the address, without a display).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, ensureNodeModules, ensureSystemPackages, run } from './ensure-deps.mjs';

ensureSystemPackages({ strict: false });
ensureNodeModules();
run('npx', ['electron-vite', 'build', '--logLevel', 'warn']);

const electron = electronBinary();
const extraArgs = process.argv.slice(2);
const child = electron
  ? spawn(electron, [ROOT, ...extraArgs], { cwd: ROOT, stdio: 'inherit' })
  : (console.log('The Electron binary is not installed here (offline install): serving the demo profile to a browser instead.'),
    spawn(process.execPath, [join(ROOT, 'out/main/web-host-cli.js'), '--profile', 'demo', '--open', ...extraArgs], {
      cwd: ROOT,
      stdio: 'inherit',
    }));

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

/** Under plain Node, `require('electron')` gives the binary's path, or throws when it was never downloaded. */
function electronBinary() {
  try {
    const path = createRequire(join(ROOT, 'package.json'))('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}
