import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadTerminalConfig,
  parseTerminalConfig,
  readServiceConnection,
  readTerminalConfigFile,
} from '../../main/kiosk/config';
import { hashPasscode } from '../../main/base/passcode';
import { scratchForFile } from '../support/scratch';

const dir = scratchForFile('myna-kiosk-config-test-');
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** A terminal's service entry as `service enrol-terminal` leaves the files (relative to the config). */
const SERVICE = { url: 'https://issuing.city.local:8443', certificate: 'terminal.pem', key: 'terminal-key.pem', ca: 'ca.pem' };

describe('the terminal config', () => {
  it('defaults to a Japanese lobby terminal on real readers, which needs its issuing service', () => {
    expect(() => parseTerminalConfig({})).toThrow(/service: a terminal on real card readers needs its issuing service/);
    expect(parseTerminalConfig({ service: SERVICE })).toEqual({
      profile: 'lobby',
      cardSource: 'pcsc',
      defaultLanguage: 'ja',
      idle: { warnAfterSeconds: 60, countdownSeconds: 30 },
      staff: { lockAfterSeconds: 300, accounts: [] },
      customerDisplay: false,
      service: { ...SERVICE, heartbeatSeconds: 30 },
    });
    // Virtual cards are never a resident's: a trainer's terminal needs no service of the municipality's.
    expect(parseTerminalConfig({ cardSource: 'virtual' }).service).toBeUndefined();
  });

  it('reaches the issuing service over https only, with every file named', () => {
    expect(() => parseTerminalConfig({ service: { ...SERVICE, url: 'http://issuing.city.local:8443' } })).toThrow(/service\.url: .*https/);
    expect(() => parseTerminalConfig({ service: { url: SERVICE.url, certificate: 'terminal.pem' } })).toThrow(/service\.key/);
    expect(() => parseTerminalConfig({ service: { ...SERVICE, pin: '1234' } })).toThrow(ConfigError);
    expect(parseTerminalConfig({ service: { ...SERVICE, heartbeatSeconds: 10 } }).service?.heartbeatSeconds).toBe(10);
    expect(() => parseTerminalConfig({ service: { ...SERVICE, heartbeatSeconds: 0 } })).toThrow(/service\.heartbeatSeconds/);
    expect(() => parseTerminalConfig({ service: { ...SERVICE, heartbeatSeconds: 7200 } })).toThrow(/service\.heartbeatSeconds/);
  });

  it("reads the terminal's files for the service, relative to the config, and names one it cannot read", () => {
    const folder = mkdtempSync(join(dir, 'terminal-'));
    writeFileSync(join(folder, 'terminal.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    writeFileSync(join(folder, 'terminal-key.pem'), '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    writeFileSync(join(folder, 'ca.pem'), 'not a certificate');
    writeFileSync(join(folder, 'terminal.json'), JSON.stringify({ service: SERVICE }));
    const config = loadTerminalConfig(join(folder, 'terminal.json'));
    expect(config.service).toEqual({
      ...SERVICE,
      heartbeatSeconds: 30,
      certificate: join(folder, 'terminal.pem'),
      key: join(folder, 'terminal-key.pem'),
      ca: join(folder, 'ca.pem'),
    });
    expect(() => readServiceConnection(config.service!)).toThrow(`service.ca: ${join(folder, 'ca.pem')} is not a PEM file`);
    writeFileSync(join(folder, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(readServiceConnection(config.service!)).toMatchObject({
      url: SERVICE.url,
      tls: { key: expect.stringContaining('PRIVATE KEY') },
    });
    expect(() => readServiceConnection({ ...config.service!, key: join(folder, 'absent.pem') })).toThrow(
      /service\.key: .*absent\.pem cannot be read/,
    );
  });

  it('puts the demo profile on virtual cards', () => {
    expect(parseTerminalConfig({ profile: 'demo' }).cardSource).toBe('virtual');
  });

  it('refuses a demo terminal on real readers, naming the field', () => {
    expect(() => parseTerminalConfig({ profile: 'demo', cardSource: 'pcsc' })).toThrow(
      /cardSource: the demo profile runs on virtual cards only/,
    );
  });

  it('refuses unknown fields and values, naming them', () => {
    expect(() => parseTerminalConfig({ profile: 'casino' })).toThrow(ConfigError);
    expect(() => parseTerminalConfig({ profile: 'casino' })).toThrow(/profile/);
    expect(() => parseTerminalConfig({ idleSeconds: 5 })).toThrow(/idleSeconds/);
  });

  it('treats a missing file as the defaults: a lobby on real readers, refused without its issuing service', () => {
    expect(() => loadTerminalConfig(join(dir, 'absent.json'))).toThrow(/absent\.json is invalid — service: /);
  });

  it('reads a valid file', () => {
    const passcodeHash = hashPasscode('counter-1');
    const text = JSON.stringify({
      profile: 'counter',
      defaultLanguage: 'en',
      customerDisplay: true,
      staff: { lockAfterSeconds: 120, accounts: [{ id: 'tanaka', passcodeHash }] },
      service: SERVICE,
    });
    expect(loadTerminalConfig(file('counter.json', text))).toEqual({
      profile: 'counter',
      cardSource: 'pcsc',
      defaultLanguage: 'en',
      idle: { warnAfterSeconds: 60, countdownSeconds: 30 },
      staff: { lockAfterSeconds: 120, accounts: [{ id: 'tanaka', passcodeHash, role: 'clerk' }] },
      customerDisplay: true,
      service: {
        url: SERVICE.url,
        certificate: join(dir, 'terminal.pem'),
        key: join(dir, 'terminal-key.pem'),
        ca: join(dir, 'ca.pem'),
        heartbeatSeconds: 30,
      },
    });
  });

  it('refuses a staff id the audit rows cannot carry, a hash of a cost other than the fixed one, and an unknown role', () => {
    const passcodeHash = hashPasscode('x');
    const counter = (account: Record<string, unknown>) =>
      parseTerminalConfig({ profile: 'counter', cardSource: 'virtual', staff: { accounts: [account] } });
    expect(() => counter({ id: 'ta_naka', passcodeHash })).toThrow(/a staff code: letters, digits and "-"/);
    expect(() => counter({ id: '123456789012', passcodeHash })).toThrow(/may not be a 12-digit number/);
    expect(() => counter({ id: 'tanaka', passcodeHash: passcodeHash.replace('scrypt$15$', 'scrypt$10$') })).toThrow(
      /make it with "npx myna-kiosk staff-passcode"/,
    );
    expect(() => counter({ id: 'tanaka', passcodeHash, role: 'admin' })).toThrow(/role/);
    expect(counter({ id: 'sato', passcodeHash, role: 'supervisor' }).staff.accounts[0]).toMatchObject({ role: 'supervisor' });
  });

  it('refuses a counter without staff, a plain passcode, duplicate ids and a countdown under 20 s', () => {
    expect(() => parseTerminalConfig({ profile: 'counter' })).toThrow(
      /staff\.accounts: a counter terminal needs at least one staff account/,
    );
    expect(() => parseTerminalConfig({ profile: 'counter', staff: { accounts: [{ id: 'tanaka', passcodeHash: '1234' }] } })).toThrow(
      /a plain passcode is never accepted/,
    );
    const passcodeHash = hashPasscode('x');
    expect(() =>
      parseTerminalConfig({
        profile: 'counter',
        staff: {
          accounts: [
            { id: 'a', passcodeHash },
            { id: 'a', passcodeHash },
          ],
        },
      }),
    ).toThrow(/same id/);
    expect(() => parseTerminalConfig({ idle: { countdownSeconds: 10 } })).toThrow(/idle\.countdownSeconds/);
  });

  it('says where the JSON is broken', () => {
    const path = file('broken.json', '{"profile": ');
    expect(() => loadTerminalConfig(path)).toThrow(new RegExp(`${path} is not valid JSON`));
  });
});

describe('a config the kiosk cannot trust', () => {
  const CERTIFICATE = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const COUNTER = {
    profile: 'counter',
    staff: { accounts: [{ id: 'tanaka', passcodeHash: hashPasscode('2468') }] },
    service: SERVICE,
  };

  /** A terminal's folder as `service enrol-terminal` leaves it, with a counter's config beside the files. */
  function terminalFolder() {
    const folder = mkdtempSync(join(dir, 'trust-'));
    const path = (name: string) => join(folder, name);
    writeFileSync(path('terminal.pem'), CERTIFICATE, { mode: 0o644 });
    writeFileSync(path('terminal-key.pem'), '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    writeFileSync(path('ca.pem'), CERTIFICATE, { mode: 0o644 });
    writeFileSync(path('terminal.json'), JSON.stringify(COUNTER), { mode: 0o600 });
    return { folder, path, config: path('terminal.json') };
  }

  it('reads a config, and the files it names, that nobody but their owner can change', () => {
    const { config } = terminalFolder();
    const loaded = loadTerminalConfig(config);
    expect(loaded.staff.accounts.map((account) => account.id)).toEqual(['tanaka']);
    expect(readServiceConnection(loaded.service!).tls.key).toContain('PRIVATE KEY');
  });

  it('refuses a config file its group or others can write, naming the file, what is wrong and the fix', () => {
    const { config } = terminalFolder();
    chmodSync(config, 0o664);
    expect(() => loadTerminalConfig(config)).toThrow(ConfigError);
    expect(() => loadTerminalConfig(config)).toThrow(`${config} is writable by its group (mode 0664) — fix: chmod go-w ${config}`);
    chmodSync(config, 0o646);
    expect(() => loadTerminalConfig(config)).toThrow(`${config} is writable by others (mode 0646) — fix: chmod go-w ${config}`);
    expect(() => loadTerminalConfig(config)).toThrow(/staff accounts/);
    chmodSync(config, 0o644);
    expect(loadTerminalConfig(config).profile).toBe('counter');
  });

  it('refuses a config in a folder others can write: they could put another file in its place', () => {
    const { folder, config } = terminalFolder();
    chmodSync(folder, 0o777);
    try {
      expect(() => loadTerminalConfig(config)).toThrow(
        `the folder ${folder} is writable by its group and others (mode 0777) — fix: chmod go-w ${folder}`,
      );
    } finally {
      chmodSync(folder, 0o700);
    }
  });

  it('refuses service files others could change, and a terminal key others could read', () => {
    const { path, config } = terminalFolder();
    const service = loadTerminalConfig(config).service!;
    chmodSync(path('ca.pem'), 0o666);
    expect(() => readServiceConnection(service)).toThrow(
      `service.ca: ${path('ca.pem')} is writable by its group and others (mode 0666) — fix: chmod go-w ${path('ca.pem')}`,
    );
    chmodSync(path('ca.pem'), 0o644);
    chmodSync(path('terminal-key.pem'), 0o640);
    expect(() => readServiceConnection(service)).toThrow(
      `service.key: ${path('terminal-key.pem')} is readable by its group (mode 0640) — fix: chmod go-rwx ${path('terminal-key.pem')}`,
    );
    chmodSync(path('terminal-key.pem'), 0o600);
    expect(readServiceConnection(service).url).toBe(SERVICE.url);
  });

  it('applies the same check to the file a web host is given with --config', () => {
    const { config } = terminalFolder();
    expect(readTerminalConfigFile(config)).toEqual(COUNTER);
    chmodSync(config, 0o666);
    expect(() => readTerminalConfigFile(config)).toThrow(/writable by its group and others/);
  });
});
