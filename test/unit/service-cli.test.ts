import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runService, serviceDir } from '../../main/cli/service';
import { UsageError } from '../../main/cli/usage-error';
import { scratchForFile } from '../support/scratch';

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runService(argv, (line) => lines.push(line));
  return { code, lines };
}

describe('npx myna-kiosk service (the PKI commands)', () => {
  const dir = scratchForFile('myna-kiosk-service-cli-');

  it('init writes the terminal CA and the server certificate, keys readable by the owner only, and refuses a second init', async () => {
    const { code, lines } = await run(['init', '--dir', dir, '--municipality', 'Sample City', '--host', 'issuing.city.local']);
    expect(code).toBe(0);
    expect(lines[0]).toContain('issuing.city.local');
    expect(statSync(join(dir, 'pki', 'ca-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'pki', 'server-key.pem')).mode & 0o777).toBe(0o600);
    await expect(run(['init', '--dir', dir])).rejects.toThrow(/already holds a terminal CA/);
  });

  it('enrols a terminal, lists it, and revokes it once', async () => {
    const enrolled = await run(['enrol-terminal', '--dir', dir, '--id', 'lobby-01', '--role', 'lobby']);
    expect(enrolled.code).toBe(0);
    expect(readFileSync(join(dir, 'terminals', 'lobby-01', 'terminal.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(statSync(join(dir, 'terminals', 'lobby-01', 'terminal-key.pem')).mode & 0o777).toBe(0o600);
    expect((await run(['terminals', '--dir', dir])).lines[0]).toMatch(/^lobby-01\tlobby\tin force until /);
    expect(await run(['revoke-terminal', '--dir', dir, '--id', 'lobby-01'])).toMatchObject({ code: 0 });
    expect(await run(['revoke-terminal', '--dir', dir, '--id', 'lobby-01'])).toMatchObject({
      code: 1,
      lines: [expect.stringMatching(/nothing revoked/)],
    });
    const listed = JSON.parse((await run(['terminals', '--dir', dir, '--json'])).lines[0]!) as { id: string; revokedAt?: string }[];
    expect(listed).toEqual([expect.objectContaining({ id: 'lobby-01', revokedAt: expect.any(String) })]);
  });

  it('says what is wrong with its arguments', async () => {
    await expect(run(['enrol-terminal', '--dir', dir, '--role', 'lobby'])).rejects.toThrow(UsageError);
    await expect(run(['enrol-terminal', '--dir', dir, '--id', 'x', '--role', 'admin'])).rejects.toThrow(/--role must be lobby or counter/);
    await expect(run(['enrol-terminal', '--dir', join(dir, 'nowhere'), '--id', 'x', '--role', 'lobby'])).rejects.toThrow(/service init/);
    await expect(run(['--port', 'eighty'])).rejects.toThrow(/--port must be a port number/);
    await expect(run(['run', '--dir', dir, '--database', 'mysql://db.city.local/jlis'])).rejects.toThrow(
      /--database must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });

  it('prints the API document', async () => {
    const { code, lines } = await run(['openapi']);
    expect(code).toBe(0);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({ openapi: '3.1.0' });
  });

  it('keeps the service folder where it is told: --dir, then $MYNA_KIOSK_SERVICE_DIR, then the data folder', () => {
    expect(serviceDir('/srv/issuing', {})).toBe('/srv/issuing');
    expect(serviceDir(undefined, { MYNA_KIOSK_SERVICE_DIR: '/srv/env' })).toBe('/srv/env');
    expect(serviceDir(undefined, { XDG_DATA_HOME: '/home/x/.data' })).toBe('/home/x/.data/myna-kiosk/service');
  });
});
