// Installs what `npm start` and `npm test` need on a bare Debian machine:
// the Debian packages (as root; otherwise prints the exact command), then
// node_modules from the lock file. Plain Node only: it runs before any npm
// package is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/** Debian packages and a file each one installs, to tell whether it is there. */
export const SYSTEM_PACKAGES = [
  { name: 'pcscd', provides: '/usr/sbin/pcscd', why: 'the PC/SC daemon that talks to card readers' },
  { name: 'libpcsclite-dev', provides: '/usr/include/PCSC/winscard.h', why: 'headers the smartcard binding compiles against' },
  {
    name: 'vsmartcard-vpcd',
    provides: '/usr/lib/pcsc/drivers/serial/libifdvpcd.so',
    why: 'the virtual reader driver for tests and the virtual card',
  },
  { name: 'chromium', provides: '/usr/bin/chromium', why: 'the browser for the demo without Electron and for end-to-end tests' },
  { name: 'fonts-ipafont-gothic', provides: '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf', why: 'a local Japanese font' },
  // The kiosk's other languages need their scripts' glyphs from local fonts (never a web font).
  {
    name: 'fonts-wqy-microhei',
    provides: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
    why: 'a local Chinese font (simplified and traditional)',
  },
  { name: 'fonts-nanum', provides: '/usr/share/fonts/truetype/nanum/NanumGothic.ttf', why: 'a local Korean font' },
  { name: 'fonts-tlwg-garuda', provides: '/usr/share/fonts/truetype/tlwg/Garuda.ttf', why: 'a local Thai font' },
  {
    name: 'fonts-lohit-deva',
    provides: '/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf',
    why: 'a local Devanagari font for Nepali',
  },
  // Spoken guidance that is heard offline (main/kiosk/speech.ts): Japanese by Open JTalk, the others by eSpeak NG.
  { name: 'open-jtalk', provides: '/usr/bin/open_jtalk', why: 'the Japanese voice of the spoken guidance' },
  {
    name: 'open-jtalk-mecab-naist-jdic',
    provides: '/var/lib/mecab/dic/open-jtalk/naist-jdic/sys.dic',
    why: 'the dictionary Open JTalk reads Japanese with',
  },
  { name: 'espeak-ng', provides: '/usr/bin/espeak-ng', why: 'the spoken guidance in the other languages' },
  {
    name: 'postgresql',
    provides: '/usr/lib/postgresql/<version>/bin/initdb',
    installed: postgresServerInstalled,
    why: "the PostgreSQL server the integration tests start for the issuing service's database (main/harness/postgres-sandbox.ts)",
  },
];

/** Debian's server binaries of any version (15 on Debian 12), as main/harness/postgres-sandbox.ts looks for them. */
function postgresServerInstalled() {
  const root = '/usr/lib/postgresql';
  return existsSync(root) && readdirSync(root).some((version) => existsSync(join(root, version, 'bin', 'initdb')));
}

export function missingSystemPackages() {
  return SYSTEM_PACKAGES.filter((pkg) => !(pkg.installed ? pkg.installed() : existsSync(pkg.provides)));
}

/**
 * strict: a missing package is an error (npm test); otherwise a warning (npm start still serves the demo).
 */
export function ensureSystemPackages({ strict }) {
  const missing = missingSystemPackages();
  if (missing.length === 0) return true;
  const names = missing.map((pkg) => pkg.name);
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (isRoot && hasApt) {
    console.log(`Installing Debian packages: ${names.join(' ')}`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { DEBIAN_FRONTEND: 'noninteractive' });
    const still = missingSystemPackages();
    if (still.length === 0) return true;
    console.error(`Still missing after apt-get: ${still.map((pkg) => pkg.name).join(' ')}`);
  } else {
    console.error('Missing Debian packages:');
    for (const pkg of missing) console.error(`  ${pkg.name} — ${pkg.why}`);
    console.error(`Install them with:\n  sudo apt-get install -y ${names.join(' ')}`);
  }
  if (strict) process.exit(1);
  return false;
}

/** `npm ci` when node_modules is missing or older than the lock file. */
export function ensureNodeModules() {
  const installed = join(ROOT, 'node_modules', '.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
    console.log('Installing npm packages (npm ci)…');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
  // smartcard is optional: it builds only where libpcsclite-dev was present at
  // install time. If the headers arrived later, build it now.
  if (!smartcardLoads() && existsSync('/usr/include/PCSC/winscard.h')) {
    console.log('Building the PC/SC binding (npm rebuild smartcard)…');
    spawnSync('npm', ['rebuild', 'smartcard'], { cwd: ROOT, stdio: 'inherit' });
  }
}

export function smartcardLoads() {
  try {
    createRequire(join(ROOT, 'package.json'))('smartcard');
    return true;
  } catch {
    return false;
  }
}

export function run(command, args, env = {}) {
  execFileSync(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
}
