import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCardState } from '../../main/simulation/card/card-state';
import { listPersonas } from '../../main/simulation/personas';
import { VPCD_DEFAULT_PORT } from '../../main/simulation/vpcd-bridge';
import { RENEWAL_STEPS } from '../../main/store/journal';
import { CLI, pinArgs, usePcscdSandbox } from '../support/cli-harness';
import { makeSimulationTemplate, type SimulationTemplate } from '../support/simulation-template';

// Every route of docs/domain.md, end to end with the headless driver
// (`myna-kiosk session`), once in process and once through the real PC/SC
// stack (the virtual card in its own process behind a pcscd of the command's own + vpcd).

// A Tuesday morning in Japan: the issuing service is open. Personas' dates are relative to it.
const OPEN = '2026-12-01T10:00';

// The machine's pcscd, as on a terminal in service, with another card in its first reader; vpcd's
// default port (where a card goes without --vpcd-port) is its second reader. `session --pcsc` must
// never use it.
const machinePcscd = usePcscdSandbox({ needsCli: true, basePort: VPCD_DEFAULT_PORT - 1 });

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  screens: Array<Record<string, unknown>>;
  outcome: Record<string, unknown> | undefined;
  stderr: string;
  /** Still running at the deadline, so killed by the test. */
  overran: boolean;
}

interface RunOptions {
  env?: NodeJS.ProcessEnv;
  /** SIGINT to the command (not its children) when it shows this screen. */
  interruptAt?: string;
  /** SIGKILL after this long: a command that waits forever fails the test, not the suite's clock. */
  deadlineMs?: number;
}

/** A simulated world made once for the file (test/support/simulation-template.ts), copied for each scenario. */
let template: SimulationTemplate | undefined;
beforeAll(async () => {
  template = await makeSimulationTemplate();
}, 60_000);
afterAll(() => template?.remove());

/**
 * A fresh simulated world for one scenario, a copy of the template: its own J-LIS records, kiosk database
 * and card state, removed when the scenario is done with it (each is about 40 MB, and a run makes dozens).
 */
async function inWorld<T>(use: (place: string[]) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-route-'));
  try {
    if (!template) throw new Error('the template world was not made (see beforeAll)');
    template.copyTo(join(dir, 'sim'));
    return await use(['--sim-dir', join(dir, 'sim'), '--db', join(dir, 'kiosk.sqlite'), '--card-state', join(dir, 'card.json')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One session in a world of its own (`place` given: in that one, which the caller removes). */
function session(args: string[], mode: 'in-process' | 'pcsc', place?: string[], options: RunOptions = {}): Promise<Run> {
  return place ? sessionIn(place, args, mode, options) : inWorld((fresh) => sessionIn(fresh, args, mode, options));
}

async function sessionIn(place: string[], args: string[], mode: 'in-process' | 'pcsc', options: RunOptions): Promise<Run> {
  const transport = mode === 'pcsc' ? ['--pcsc'] : [];
  const child = spawn(process.execPath, [CLI, 'session', '--json', '--at', OPEN, ...place, ...transport, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  const lines: Array<Record<string, unknown>> = [];
  let interrupted = false;
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    if (options.interruptAt !== undefined && line.screen === options.interruptAt && !interrupted) interrupted = child.kill('SIGINT');
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let overran = false;
  const deadline = setTimeout(() => {
    overran = true;
    child.kill('SIGKILL');
  }, options.deadlineMs ?? 55_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(deadline);
  return {
    code,
    signal,
    screens: lines.filter((line) => line.event === 'screen'),
    outcome: lines.find((line) => line.event === 'outcome'),
    stderr,
    overran,
  };
}

const pinsOf = (id: string, omit: string[] = []) => pinArgs(id, { omit });
const screensOf = (run: Run) => run.screens.map((screen) => screen.screen);

for (const mode of ['in-process', 'pcsc'] as const) {
  // In process every scenario has a world and a card of its own, so they run side by side (two at a time,
  // vitest.config.ts); through PC/SC each session starts a pcscd of its own on the first free ports, so they
  // run one after another (two starting at once could choose the same ports).
  const scenarios = mode === 'in-process' ? describe.concurrent : describe;
  scenarios(`routes with the headless driver (${mode})`, () => {
    it('in person: a standard renewal', async () => {
      const run = await session(['--persona', 'standard-in-window', ...pinsOf('standard-in-window')], mode);
      expect(run.code, run.stderr).toBe(0);
      expect(run.outcome).toMatchObject({
        result: 'renewed',
        authentication: { serialNumber: expect.any(String) },
        signature: { serialNumber: expect.any(String) },
      });
      expect(screensOf(run)).toEqual(expect.arrayContaining(['pin-entry', 'confirm', 'renewing', 'done']));
    }, 60_000);

    it('in person: a wrong PIN, then the right one', async () => {
      const right = listPersonas().find((persona) => persona.id === 'standard-in-window')!.pins!.authentication!.value;
      const run = await session(
        ['--persona', 'standard-in-window', '--pin', `auth=0000,${right}`, ...pinsOf('standard-in-window', ['auth'])],
        mode,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.screens).toContainEqual(
        expect.objectContaining({
          screen: 'pin-entry',
          pin: expect.objectContaining({ name: 'authentication', triesLeft: 2, lastAttempt: 'wrong' }),
        }),
      );
    }, 60_000);

    it('in person: one try left asks for confirmation first', async () => {
      const run = await session(['--persona', 'authentication-pin-one-try-left', ...pinsOf('authentication-pin-one-try-left')], mode);
      expect(run.code, run.stderr).toBe(0);
      expect(run.screens).toContainEqual(
        expect.objectContaining({ screen: 'last-try', pin: expect.objectContaining({ name: 'authentication', triesLeft: 1 }) }),
      );
    }, 60_000);

    it('lobby: a locked PIN is handed off', async () => {
      const run = await session(['--persona', 'authentication-pin-locked', ...pinsOf('authentication-pin-locked')], mode);
      expect(run.code).toBe(3);
      expect(run.outcome).toMatchObject({ result: 'handed-off', reason: 'pin-locked' });
    }, 60_000);

    // Routes that differ from another only in what the session decides — the card sees the same commands (a
    // reading, the PIN checks) — run in process only; through PC/SC run the routes whose card commands differ:
    // a renewal, wrong and last tries, a locked PIN, a PIN reset, no PINs, an authentication-only renewal,
    // substitutes, a pull.
    if (mode === 'in-process') {
      it('lobby: a forgotten signature password is handed off', async () => {
        const run = await session(['--persona', 'standard-in-window', ...pinsOf('standard-in-window', ['sign'])], mode);
        expect(run.outcome).toMatchObject({ result: 'handed-off', reason: 'pin-forgotten' });
      }, 60_000);

      it('not yet in the window: says from which date', async () => {
        const run = await session(['--persona', 'not-yet-in-window', ...pinsOf('not-yet-in-window')], mode);
        expect(run.code).toBe(4);
        expect(run.screens).toContainEqual(
          expect.objectContaining({
            screen: 'not-yet',
            eligibility: expect.objectContaining({ opensOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }),
          }),
        );
      }, 60_000);

      it('card renewal needed instead', async () => {
        const run = await session(['--persona', 'card-expires-with-certificates', ...pinsOf('card-expires-with-certificates')], mode);
        expect(run.code).toBe(4);
        expect(screensOf(run)).toContain('card-renewal');
      }, 60_000);
    }

    it('legal representative, no signature certificate (adult ward): the authentication certificate only', async () => {
      const run = await session(
        ['--persona', 'adult-ward-no-signature', '--route', 'representative', ...pinsOf('adult-ward-no-signature')],
        mode,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.outcome).toMatchObject({ result: 'renewed' });
      expect(run.outcome).not.toHaveProperty('signature');
      expect(screensOf(run)).toContain('authority-check');
    }, 60_000);

    // Decided by the session, not the card (see above): in process only.
    if (mode === 'in-process') {
      it('lobby: an adult ward is sent to the counter for the legal representative', async () => {
        const run = await session(['--persona', 'adult-ward-no-signature', ...pinsOf('adult-ward-no-signature')], mode);
        expect(run.outcome).toMatchObject({ result: 'handed-off', reason: 'legal-representative-required' });
      }, 60_000);

      it('an under-15 card that ends with its certificates: a new card, not a renewal', async () => {
        const run = await session(['--persona', 'under-15-no-signature', ...pinsOf('under-15-no-signature')], mode);
        expect(screensOf(run)).toContain('card-renewal');
      }, 60_000);

      it('issuing service down: the PINs are still checked, then a hand-off', async () => {
        const run = await session(
          ['--persona', 'standard-in-window', ...pinsOf('standard-in-window'), '--fault', 'gateway:lookupResident:unavailable'],
          mode,
        );
        expect(run.outcome).toMatchObject({ result: 'handed-off', reason: 'service-unavailable' });
        expect(run.screens.filter((screen) => screen.screen === 'verifying').length).toBe(3);
      }, 60_000);

      it('after 20:00: the PINs are still checked, then a hand-off', async () => {
        const run = await session(['--persona', 'standard-in-window', ...pinsOf('standard-in-window'), '--at', '2026-12-01T20:00'], mode);
        expect(run.outcome).toMatchObject({ result: 'handed-off', reason: 'service-unavailable' });
        expect(screensOf(run)).toContain('verifying');
      }, 60_000);

      it('counter: a voluntary proxy with a correct sealed form', async () => {
        const run = await session(['--persona', 'standard-in-window', '--route', 'proxy', ...pinsOf('standard-in-window')], mode);
        expect(run.code, run.stderr).toBe(0);
        expect(screensOf(run)).toEqual(expect.arrayContaining(['route-choice', 'proxy-check']));
      }, 60_000);

      it.each(['envelope-unsealed', 'form-expired', 'form-not-handed-in-person', 'proxy-without-identity'])(
        'counter: a proxy whose check fails (%s) is handed off, naming it',
        async (check) => {
          const run = await session(
            ['--persona', 'standard-in-window', '--route', 'proxy', '--proxy-fail', check, ...pinsOf('standard-in-window')],
            mode,
          );
          expect(run.outcome).toMatchObject({ result: 'handed-off', reason: check });
          expect(screensOf(run)).not.toContain('pin-entry');
        },
        60_000,
      );
    }

    it('counter: a locked PIN reset after an identity check, the new PIN entered twice', async () => {
      const run = await session(
        [
          '--persona',
          'registry-pin-locked',
          '--profile',
          'counter',
          '--new-pin',
          'registry=2580',
          '--pin',
          'registry=2580',
          ...pinsOf('registry-pin-locked', ['registry']),
        ],
        mode,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(screensOf(run)).toEqual(expect.arrayContaining(['identity-check', 'new-pin', 'new-pin-again']));
    }, 60_000);

    it('counter: the face-authentication card, renewed by staff without PINs', async () => {
      const run = await session(['--persona', 'face-authentication-card', '--profile', 'counter'], mode);
      expect(run.code, run.stderr).toBe(0);
      expect(screensOf(run)).not.toContain('pin-entry');
    }, 60_000);

    it('counter: substitute characters confirmed before the renewal', async () => {
      const run = await session(['--persona', 'substitute-characters', '--profile', 'counter', ...pinsOf('substitute-characters')], mode);
      expect(run.code, run.stderr).toBe(0);
      expect(screensOf(run)).toContain('substitutes');
    }, 60_000);

    it('the card pulled during the renewal, then put back: it resumes', async () => {
      const run = await session(
        ['--persona', 'standard-in-window', ...pinsOf('standard-in-window'), '--fault', 'certificates-written:pull'],
        mode,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(screensOf(run)).toContain('card-away');
    }, 60_000);
  });
}

describe('a power cut (SIGKILL) after each journal step, then a restart', () => {
  it.each(RENEWAL_STEPS.filter((step) => step !== 'done'))(
    'after "%s": the next session on the card completes the renewal',
    async (step) => {
      await inWorld(async (place) => {
        const args = ['--persona', 'standard-in-window', ...pinsOf('standard-in-window')];
        const killed = await session([...args, '--fault', `${step}:crash`], 'in-process', place);
        expect(killed.signal).toBe('SIGKILL');
        const restarted = await session(args, 'in-process', place);
        expect(restarted.code, restarted.stderr).toBe(0);
        expect(restarted.outcome).toMatchObject({ result: 'renewed' });
        const audit = spawn(process.execPath, [CLI, 'audit', 'verify', '--db', place[3]!], { stdio: 'ignore' });
        const [code] = (await once(audit, 'exit')) as [number];
        expect(code).toBe(0);
      });
    },
    60_000,
  );
});

// Issue 12, finding 4: with another card in a reader of the machine's pcscd, `session --pcsc` took the
// first reader with a card, typed its scripted PINs on that card and then waited forever; and without
// --db it wrote to the terminal's database.
describe('session --pcsc on a machine with another card in a reader', () => {
  it('uses only its own card, through a pcscd of its own: the other card keeps every try; no records are left anywhere', async () => {
    const places = sealedPlaces();
    let other: Awaited<ReturnType<typeof cardInMachineReader>> | undefined;
    try {
      other = await cardInMachineReader(places.dir, 'standard-in-window');
      const before = pinTries(other.state);
      // Another persona, other PINs: typed on the other card, every one would be wrong.
      const run = await session(['--persona', 'expires-today', ...pinsOf('expires-today')], 'pcsc', [], {
        env: places.env,
        deadlineMs: 50_000,
      });
      expect(pinTries(other.state), "the other card's tries left").toEqual(before);
      expect(run.overran, `still running after 50 s:\n${run.stderr}`).toBe(false);
      expect(run.code, run.stderr).toBe(0);
      expect(run.outcome).toMatchObject({ result: 'renewed' });
      expect(existsSync(places.terminalDb), 'the terminal database ($MYNA_KIOSK_DB)').toBe(false);
      expect(existsSync(join(places.home, '.local', 'share', 'myna-kiosk')), "the terminal's data folder").toBe(false);
      expect(existsSync(join(places.home, '.cache', 'myna-kiosk', 'simulated-jlis')), 'the shared simulation folder').toBe(false);
      expect(filesUnder(places.temporary), 'files left in $TMPDIR').toEqual([]);
    } finally {
      await other?.stop();
      await endLeftovers(places.dir);
    }
  }, 90_000);

  it('on Ctrl+C ends its card process and its pcscd, removes its temporary folder, and says so', async () => {
    const places = sealedPlaces();
    try {
      const run = await session(['--persona', 'standard-in-window', ...pinsOf('standard-in-window')], 'pcsc', [], {
        env: places.env,
        interruptAt: 'pin-entry',
        deadlineMs: 50_000,
      });
      expect(run.overran, `still running after 50 s:\n${run.stderr}`).toBe(false);
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 130, signal: null });
      expect(run.stderr).toMatch(/interrupted/);
      expect(await processesNaming(places.dir), 'processes left behind').toEqual([]);
      expect(filesUnder(places.temporary), 'files left in $TMPDIR').toEqual([]);
    } finally {
      await endLeftovers(places.dir);
    }
  }, 90_000);
});

/** $HOME, $TMPDIR and $MYNA_KIOSK_DB in a folder of the test's, so whatever the command writes outside its own folders shows. */
function sealedPlaces() {
  const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-sealed-'));
  const home = join(dir, 'home');
  const temporary = join(dir, 'tmp');
  const terminalDb = join(dir, 'terminal', 'kiosk.sqlite');
  mkdirSync(home);
  mkdirSync(temporary);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TMPDIR: temporary, MYNA_KIOSK_DB: terminalDb };
  for (const name of ['XDG_CACHE_HOME', 'XDG_DATA_HOME', 'MYNA_KIOSK_DATA_DIR', 'MYNA_KIOSK_SIM_DIR']) delete env[name];
  return { dir, home, temporary, terminalDb, env };
}

/** A virtual card in the first reader of the machine's pcscd, its state (and so its tries) kept in a file. */
async function cardInMachineReader(dir: string, persona: string) {
  const state = join(dir, 'other-card.json');
  const port = machinePcscd.require().vpcdPorts[0]!;
  const child = spawn(
    process.execPath,
    [
      CLI,
      'virtual-card',
      '--persona',
      persona,
      '--state',
      state,
      '--sim-dir',
      join(dir, 'other-sim'),
      '--vpcd-port',
      String(port),
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on(
      'line',
      (line) => (JSON.parse(line) as { event: string }).event === 'inserted' && resolve(),
    );
    child.once('exit', (code) => reject(new Error(`the other card's virtual-card exited with ${code}`)));
  });
  return {
    state,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

function pinTries(statePath: string) {
  const card = readCardState(statePath);
  return {
    authentication: card.jpki?.authenticationPin?.triesLeft,
    signature: card.jpki?.signaturePassword?.triesLeft,
    registry: card.residentRegistry?.pin?.triesLeft,
    common: card.common?.pin?.triesLeft,
    cardInfo: card.cardInfo?.pin?.triesLeft,
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String);
}

/** After a failed run, what the command left (its pcscd, its card process) must not outlive the test: they name its folder. */
async function endLeftovers(dir: string): Promise<void> {
  for (const found of await processesNaming(dir)) {
    try {
      process.kill(Number(found.split(':')[0]), 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Processes whose command line names the folder (a card process, a pcscd), after a moment for exits under way. */
async function processesNaming(dir: string): Promise<string[]> {
  let found: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    found = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .flatMap((pid) => {
        try {
          const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
          return command.includes(dir) ? [`${pid}: ${command}`] : [];
        } catch {
          return []; // gone while we looked
        }
      });
    if (found.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return found;
}
