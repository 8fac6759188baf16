import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// Packaging cannot run on the offline machines (electron-builder downloads
// Electron), so this test is what keeps its security settings true.
const config = parse(readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8'));

describe('electron-builder.yml', () => {
  it('builds a Linux deb and a Windows NSIS installer', () => {
    expect(config.linux.target).toContain('deb');
    expect(config.win.target).toContain('nsis');
  });

  it('packs the app into an asar but unpacks the native modules (PC/SC, SQLite)', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('node_modules/smartcard/**');
    expect(config.asarUnpack).toContain('node_modules/better-sqlite3/**');
  });

  it('sets the Electron fuses that close the usual back doors', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('ships only the built output', () => {
    expect(config.files).toContain('out/**');
    expect(config.files).not.toContain('**/*');
  });

  it('is valid against electron-builder’s own schema', async () => {
    const { validateConfiguration } = await import('app-builder-lib/out/util/config/config.js');
    const { DebugLogger } = await import('builder-util');
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });
});
