import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadTerminalConfig, parseTerminalConfig } from '../../main/config';

const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-config-test-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('the terminal config', () => {
  it('defaults to a Japanese lobby terminal on real readers', () => {
    expect(parseTerminalConfig({})).toEqual({ profile: 'lobby', cardSource: 'pcsc', defaultLanguage: 'ja' });
  });

  it('puts the demo profile on virtual cards', () => {
    expect(parseTerminalConfig({ profile: 'demo' }).cardSource).toBe('virtual');
  });

  it('refuses a demo terminal on real readers, naming the field', () => {
    expect(() => parseTerminalConfig({ profile: 'demo', cardSource: 'pcsc' })).toThrow(/cardSource: the demo profile runs on virtual cards only/);
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
    expect(loadTerminalConfig(file('counter.json', '{"profile":"counter","defaultLanguage":"en"}'))).toEqual({
      profile: 'counter',
      cardSource: 'pcsc',
      defaultLanguage: 'en',
    });
  });

  it('says where the JSON is broken', () => {
    const path = file('broken.json', '{"profile": ');
    expect(() => loadTerminalConfig(path)).toThrow(new RegExp(`${path} is not valid JSON`));
  });
});
