import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPersonas } from '../../main/simulation/personas';
import { CLI, pinArgs } from '../support/cli-harness';
import { scratchForTest } from '../support/scratch';

// No secret anywhere: run sessions of every kind the kiosk has — right and
// wrong PINs, resets with new PINs, proxies, pulls, power cuts — export the
// audit log, then search every file the kiosk wrote (its database with the
// WAL, its logs, the exports) for every PIN typed and every persona's My
// Number, name and address. The simulated issuing service's own files and the
// virtual cards' state files are not the kiosk's and are not searched: they
// hold such data by design, as the real J-LIS and the real chip do.

const AT = '2026-12-01T10:00';
const NEW_PIN = '8024';
const NEW_PASSWORD = 'ZQX7UVW2';

async function cli(args: string[], log: string[]): Promise<number | null> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/**
 * Hashes, serials and base64 certificates are long runs of hex or base64, and
 * session and renewal ids are random UUIDs: a 4-digit PIN can appear in them
 * by chance (a renewal id "19ebeb54-1234-…" once matched 1234).
 */
function withoutEncodedRuns(text: string): string {
  return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ' ').replace(/[A-Za-z0-9+/=]{16,}/g, ' ');
}

/** What the base64 runs decode to: a certificate stored as base64 would carry a name or an address inside. */
function decodedRuns(text: string): string {
  return (text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []).map((run) => Buffer.from(run, 'base64').toString('utf8')).join('\n');
}

describe('no secret in anything the kiosk writes', () => {
  it('finds no PIN, My Number, name or address in the database, the logs or the exports', { timeout: 300_000 }, async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    const dir = scratchForTest('myna-kiosk-secrets-');
    const db = join(dir, 'kiosk.sqlite');
    const log: string[] = [];
    const run = (persona: string, extra: string[], card = persona) =>
      cli(
        [
          'session',
          '--json',
          '--at',
          AT,
          '--db',
          db,
          '--sim-dir',
          join(dir, `sim-${card}`),
          '--card-state',
          join(dir, `card-${card}.json`),
          '--persona',
          persona,
          ...extra,
        ],
        log,
      );

    expect(await run('standard-in-window', pinArgs('standard-in-window', { wrongFirst: '0909' }))).toBe(0);
    expect(
      await run('different-pins-per-application', [...pinArgs('different-pins-per-application'), '--fault', 'certificates-written:pull']),
    ).toBe(0);
    expect(await run('substitute-characters', [...pinArgs('substitute-characters'), '--route', 'proxy'])).toBe(0);
    expect(
      await run('registry-pin-locked', [
        '--profile',
        'counter',
        '--new-pin',
        `registry=${NEW_PIN}`,
        '--pin',
        `registry=${NEW_PIN}`,
        ...pinArgs('registry-pin-locked', { omit: ['registry'] }),
      ]),
    ).toBe(0);
    expect(await run('authentication-pin-one-try-left', pinArgs('authentication-pin-one-try-left'))).toBe(0);
    expect(await run('signature-password-locked', pinArgs('signature-password-locked'))).toBe(3);
    expect(
      await run(
        'signature-password-locked',
        [
          '--profile',
          'counter',
          '--new-pin',
          `sign=${NEW_PASSWORD}`,
          '--pin',
          `sign=${NEW_PASSWORD}`,
          ...pinArgs('signature-password-locked', { omit: ['sign'] }),
        ],
        'reset',
      ),
    ).toBe(0);
    expect(await run('foreign-resident-period-of-stay', pinArgs('foreign-resident-period-of-stay'))).not.toBeNull();
    // A power cut mid-renewal, then the restart.
    await run('standard-in-window', [...pinArgs('standard-in-window'), '--fault', 'committed:crash'], 'crash');
    expect(await run('standard-in-window', pinArgs('standard-in-window'), 'crash')).toBe(0);

    expect(
      await cli(
        ['audit', 'export', '--db', db, '--from', '2026-01-01', '--to', '2027-12-31', '--format', 'csv', '--out', join(dir, 'export.csv')],
        log,
      ),
    ).toBe(0);
    expect(
      await cli(
        [
          'audit',
          'export',
          '--db',
          db,
          '--from',
          '2026-01-01',
          '--to',
          '2027-12-31',
          '--format',
          'jsonl',
          '--out',
          join(dir, 'export.jsonl'),
        ],
        log,
      ),
    ).toBe(0);
    expect(await cli(['audit', 'verify', '--db', db], log)).toBe(0);
    writeFileSync(join(dir, 'kiosk.log'), log.join(''));

    const kioskFiles = readdirSync(dir).filter(
      (name) => name.startsWith('kiosk.sqlite') || name === 'kiosk.log' || name.startsWith('export.'),
    );
    expect(kioskFiles).toEqual(expect.arrayContaining(['kiosk.sqlite', 'kiosk.log', 'export.csv', 'export.jsonl']));

    const personas = listPersonas();
    const secrets = new Set<string>([NEW_PIN, NEW_PASSWORD, '0909']);
    for (const persona of personas) {
      for (const pin of Object.values(persona.pins ?? {})) secrets.add(pin.value);
      if (persona.myNumber) secrets.add(persona.myNumber);
      if (persona.holder) {
        secrets.add(persona.holder.name);
        secrets.add(persona.holder.name.replace(/[\s\u3000]/g, ''));
        secrets.add(persona.holder.address);
      }
    }
    const found: string[] = [];
    for (const file of kioskFiles) {
      const bytes = readFileSync(join(dir, file));
      // SQLite stores text as UTF-8; search both the raw bytes and the text with encoded runs removed.
      const text = withoutEncodedRuns(bytes.toString('utf8'));
      const decoded = decodedRuns(bytes.toString('utf8'));
      for (const secret of secrets) {
        const pattern = /^\d+$/.test(secret)
          ? new RegExp(`(?<!\\d)${secret}(?!\\d)`)
          : new RegExp(secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
        if (pattern.test(text)) found.push(`${file}: ${secret}`);
        // Inside encoded data only what cannot match by chance: names, addresses, passwords, My Numbers.
        if (!/^\d{1,8}$/.test(secret) && pattern.test(decoded)) found.push(`${file} (base64): ${secret}`);
      }
    }
    expect(found).toEqual([]);
    // The search would find a secret: the same scan over a card state file (which holds PINs by design) does.
    const cardState = withoutEncodedRuns(readFileSync(join(dir, 'card-standard-in-window.json'), 'utf8'));
    expect(cardState).toContain(personas.find((persona) => persona.id === 'standard-in-window')!.pins!.signature!.value);
  });
});
