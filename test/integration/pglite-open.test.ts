import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PgliteOpenReport } from '../../main/base/sql-database';
import { templatePath } from '../../main/base/sql-database';
import { JLIS_TEMPLATE } from '../../main/simulation/jlis/storage';
import { SimulatedJlis } from '../../main/simulation/jlis/service';

// What opening the embedded PGlite costs (docs/issuing-service.md, "The
// database"): a new data directory runs PGlite's initdb and the schema's
// migrations once per machine, PGlite version and schema version, and keeps
// that database as a template; every later new directory unpacks it, the
// schema already in place. Here with a template
// folder of the test's own, so the first open really is the first.

const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-pglite-open-'));
const templates = join(work, 'templates');

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** When the directory's schema was applied: a directory made from the template carries the template's time. */
let schemaAppliedAt: Date | undefined;

async function open(name: string): Promise<PgliteOpenReport> {
  let report: PgliteOpenReport | undefined;
  const jlis = await SimulatedJlis.open(join(work, name), { pglite: { templateDir: templates, onOpened: (seen) => (report = seen) } });
  try {
    // Migrated and usable, however it was made.
    expect(await jlis.issuesPerRenewal()).toEqual(new Map());
    expect(await jlis.lookupResident('ABCDEF')).toBeUndefined();
    const [row] = await jlis.records.query<{ applied: Date }>('SELECT MIN(applied_at) AS applied FROM schema_migrations');
    schemaAppliedAt = new Date(row!.applied);
  } finally {
    await jlis.close();
  }
  return report!;
}

describe('opening the embedded PGlite', () => {
  it('runs initdb for the first new directory, unpacks the template for the next, and reopens an existing one', async () => {
    const timings: string[] = [];
    const first = await open('first');
    expect(first.created).toBe('initdb');
    expect(existsSync(templatePath(templates, JLIS_TEMPLATE.key))).toBe(true);
    timings.push(`new (initdb): ${first.ms.toFixed(0)} ms`);

    const beforeNext = new Date();
    const next = await open('next');
    expect(next.created).toBe('template');
    // The schema came with the template: it was applied before this directory existed.
    expect(schemaAppliedAt!.getTime()).toBeLessThan(beforeNext.getTime());
    timings.push(`new (template): ${next.ms.toFixed(0)} ms`);

    const again = await open('next');
    expect(again.created).toBe('existing');
    timings.push(`existing: ${again.ms.toFixed(0)} ms`);
    console.info(`PGlite open — ${timings.join('; ')}`);
  }, 120_000);

  it('replaces a damaged template by running initdb again', async () => {
    writeFileSync(templatePath(templates, JLIS_TEMPLATE.key), 'not a tarball');
    const report = await open('after-damage');
    expect(report.created).toBe('initdb');
    expect(await open('after-repair')).toMatchObject({ created: 'template' });
  }, 120_000);
});
