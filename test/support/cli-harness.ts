import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { listPersonas } from '../../main/simulation/personas';
import { startPcscd, type PcscdHandle } from '../../main/harness/pcscd-sandbox';

/** The built command-line tool the integration tests run, as `npx myna-kiosk` runs it. */
export const CLI = fileURLToPath(new URL('../../out/main/cli.js', import.meta.url));

/**
 * A private pcscd with two vpcd readers for the test file, started before its
 * tests and stopped after. A failure to start is kept and thrown by
 * `require()` in each test, so a machine without pcscd shows failures, never
 * skipped tests.
 */
export function usePcscdSandbox(options: { needsCli?: boolean; basePort?: number } = {}): { require(): PcscdHandle } {
  let pcscd: PcscdHandle | undefined;
  let failure: unknown;
  beforeAll(async () => {
    if (options.needsCli && !existsSync(CLI)) {
      failure = new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
      return;
    }
    try {
      pcscd = await startPcscd(options.basePort === undefined ? {} : { basePort: options.basePort });
    } catch (error) {
      failure = error;
    }
  });
  afterAll(async () => {
    await pcscd?.stop();
  });
  return {
    require() {
      if (!pcscd) throw failure;
      return pcscd;
    },
  };
}

/** A persona's PINs as `--pin name=value` arguments; `omit` leaves some out, `wrongFirst` types a wrong authentication PIN first. */
export function pinArgs(id: string, options: { omit?: string[]; wrongFirst?: string } = {}): string[] {
  const pins = listPersonas().find((persona) => persona.id === id)!.pins ?? {};
  const entries = [
    ['auth', pins.authentication?.value],
    ['sign', pins.signature?.value],
    ['registry', pins.registry?.value],
  ] as const;
  return entries.flatMap(([name, value]) =>
    value === undefined || options.omit?.includes(name)
      ? []
      : ['--pin', `${name}=${options.wrongFirst && name === 'auth' ? `${options.wrongFirst},${value}` : value}`],
  );
}
