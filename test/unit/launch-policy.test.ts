import { describe, expect, it } from 'vitest';
import { decideLaunch } from '../../main/kiosk/launch-policy';

const EXECUTABLE = '/opt/myna-kiosk/myna-kiosk';
const packaged = (argv: string[] = [], env: Record<string, string | undefined> = {}, platform: NodeJS.Platform = 'linux') =>
  decideLaunch({ isPackaged: true, argv: [EXECUTABLE, ...argv], env, platform });
const fromSource = (argv: string[] = [], env: Record<string, string | undefined> = {}) =>
  decideLaunch({ isPackaged: false, argv: ['/usr/lib/electron/electron', '.', ...argv], env, platform: 'linux' });

describe('the launch policy', () => {
  it('runs from source as the developer says: the config, the records and devtools from the environment', () => {
    expect(
      fromSource([], { MYNA_KIOSK_CONFIG: '/tmp/dev/terminal.json', MYNA_KIOSK_DB: '/tmp/dev/k.sqlite', MYNA_KIOSK_DEV: '1' }),
    ).toEqual({
      refused: false,
      configPath: '/tmp/dev/terminal.json',
      devTools: true,
      ignoredEnvironment: [],
    });
    expect(fromSource(['--inspect=9229', '--remote-debugging-port=9222'], { ELECTRON_ENABLE_LOGGING: '1' })).toMatchObject({
      refused: false,
      configPath: undefined,
      devTools: false,
    });
  });

  it('packaged, runs on its own files: every MYNA_KIOSK_* override and the Node variables Electron ignores are named as ignored', () => {
    expect(
      packaged([], {
        HOME: '/home/kiosk',
        MYNA_KIOSK_CONFIG: '/tmp/evil.json',
        MYNA_KIOSK_DB: '/tmp/evil.sqlite',
        MYNA_KIOSK_DATA_DIR: '/tmp',
        MYNA_KIOSK_SIM_DIR: '/tmp/sim',
        MYNA_KIOSK_DEV: '1',
        MYNA_KIOSK_PERSONAS_DIR: '/tmp/personas',
        NODE_OPTIONS: '--require /tmp/hook.js',
        NODE_EXTRA_CA_CERTS: '/tmp/ca.pem',
        MYNA_KIOSK_EMPTY: '',
      }),
    ).toEqual({
      refused: false,
      configPath: undefined,
      devTools: false,
      ignoredEnvironment: [
        'MYNA_KIOSK_CONFIG',
        'MYNA_KIOSK_DATA_DIR',
        'MYNA_KIOSK_DB',
        'MYNA_KIOSK_DEV',
        'MYNA_KIOSK_PERSONAS_DIR',
        'MYNA_KIOSK_SIM_DIR',
        'NODE_EXTRA_CA_CERTS',
        'NODE_OPTIONS',
      ],
    });
    expect(packaged([], { HOME: '/home/kiosk', LANG: 'ja_JP.UTF-8' })).toEqual({
      refused: false,
      configPath: undefined,
      devTools: false,
      ignoredEnvironment: [],
    });
  });

  it.each([
    ['--inspect'],
    ['--inspect=0.0.0.0:9229'],
    ['--inspect-brk'],
    ['--inspect-port=9230'],
    ['--remote-debugging-port=9222'],
    ['--remote-debugging-pipe'],
    ['--remote-allow-origins=*'],
    ['--js-flags=--allow-natives-syntax'],
    ['--enable-logging'],
    ['--log-file=/tmp/chromium.log'],
    ['--v=1'],
    ['--no-sandbox'],
    ['--disable-web-security'],
    ['--user-data-dir=/tmp/other'],
    ['-remote-debugging-port=9222'],
    ['--Remote-Debugging-Port=9222'],
  ])('packaged, refuses %s, naming the switch and why, never its value', (argv) => {
    const decision = packaged([argv]);
    expect(decision.refused).toBe(true);
    const name = argv.replace(/^-+/, '').split('=')[0]!.toLowerCase();
    expect(decision.refused && decision.reasons).toEqual([expect.stringMatching(new RegExp(`^--${name}: .+`))]);
    const value = argv.split('=')[1];
    if (value) expect(JSON.stringify(decision)).not.toContain(value);
  });

  it('packaged, refuses the switches of Windows shortcuts too, and reads no switch after "--"', () => {
    expect(packaged(['/remote-debugging-port=9222'], {}, 'win32').refused).toBe(true);
    expect(packaged(['/remote-debugging-port=9222'], {}, 'linux').refused).toBe(false);
    expect(packaged(['--', '--inspect'])).toMatchObject({ refused: false });
    expect(packaged(['--lang=ja', '--force-device-scale-factor=1.5', 'file.txt'])).toMatchObject({ refused: false });
  });

  it('packaged, refuses the debugging variables, naming each and never its value', () => {
    const decision = packaged([], {
      ELECTRON_RUN_AS_NODE: '1',
      ELECTRON_ENABLE_LOGGING: 'value-never-logged',
      ELECTRON_ENABLE_STACK_DUMPING: 'true',
      ELECTRON_LOG_ASAR_READS: '1',
      NODE_DEBUG: 'tls,https',
      ELECTRON_TRASH: 'gio',
    });
    expect(decision.refused && decision.reasons.map((reason) => reason.split(':')[0])).toEqual([
      'ELECTRON_ENABLE_LOGGING',
      'ELECTRON_ENABLE_STACK_DUMPING',
      'ELECTRON_LOG_ASAR_READS',
      'ELECTRON_RUN_AS_NODE',
      'NODE_DEBUG',
    ]);
    expect(JSON.stringify(decision)).not.toMatch(/tls,https|value-never-logged/);
  });

  it('packaged, names every reason at once: a switch and a variable', () => {
    expect(packaged(['--inspect', '--no-sandbox'], { ELECTRON_RUN_AS_NODE: '1' })).toMatchObject({
      refused: true,
      reasons: [
        expect.stringMatching(/^--inspect: /),
        expect.stringMatching(/^--no-sandbox: /),
        expect.stringMatching(/^ELECTRON_RUN_AS_NODE: /),
      ],
    });
  });
});
