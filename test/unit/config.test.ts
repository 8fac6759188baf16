import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadTerminalConfig, parseTerminalConfig } from '../../main/kiosk/config';
import { hashPasscode } from '../../main/kiosk/staff-passcode';

const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-config-test-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('the terminal config', () => {
  it('defaults to a Japanese lobby terminal on real readers', () => {
    expect(parseTerminalConfig({})).toEqual({
      profile: 'lobby',
      cardSource: 'pcsc',
      defaultLanguage: 'ja',
      idle: { warnAfterSeconds: 60, countdownSeconds: 30 },
      staff: { lockAfterSeconds: 300, accounts: [] },
      customerDisplay: false,
    });
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

  it('treats a missing file as the defaults', () => {
    expect(loadTerminalConfig(join(dir, 'absent.json')).profile).toBe('lobby');
  });

  it('reads a valid file', () => {
    const passcodeHash = hashPasscode('counter-1', { log2N: 10 });
    const text = JSON.stringify({
      profile: 'counter',
      defaultLanguage: 'en',
      customerDisplay: true,
      staff: { lockAfterSeconds: 120, accounts: [{ id: 'tanaka', passcodeHash }] },
    });
    expect(loadTerminalConfig(file('counter.json', text))).toEqual({
      profile: 'counter',
      cardSource: 'pcsc',
      defaultLanguage: 'en',
      idle: { warnAfterSeconds: 60, countdownSeconds: 30 },
      staff: { lockAfterSeconds: 120, accounts: [{ id: 'tanaka', passcodeHash }] },
      customerDisplay: true,
    });
  });

  it('refuses a counter without staff, a plain passcode, duplicate ids and a countdown under 20 s', () => {
    expect(() => parseTerminalConfig({ profile: 'counter' })).toThrow(
      /staff\.accounts: a counter terminal needs at least one staff account/,
    );
    expect(() => parseTerminalConfig({ profile: 'counter', staff: { accounts: [{ id: 'tanaka', passcodeHash: '1234' }] } })).toThrow(
      /a plain passcode is never accepted/,
    );
    const passcodeHash = hashPasscode('x', { log2N: 10 });
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
