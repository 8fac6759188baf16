import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewState } from '../../preload/contract';
import { silentLogger } from '../../main/base/log';
import { japanTimestamp, nextWeekdayAt } from '../../main/domain/japan-calendar';
import { startWebHost } from '../../main/web-host/web-host';
import { CLI } from '../support/cli-harness';
import { ServiceProcess } from '../support/service-rig';

// A terminal against a separate issuing service (docs/issuing-service.md,
// "Terminals without a J-LIS of their own"): `npx myna-kiosk service
// --card-factory` in its own process, and the headless session and the web
// host pointed at it with --service and the folder `enrol-terminal` wrote.
// Their cards come from the service's card factory, so the service knows
// them; the renewal goes through the HTTPS client, mutual TLS and the
// possession proof, as a deployed terminal's would.

const RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-remote-terminal-'));
let service: ServiceProcess;
const terminalFolder = () => join(work, 'service', 'terminals', 'lobby-01');

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  service = await ServiceProcess.start(join(work, 'service'), join(work, 'service-sim'), undefined, { cardFactory: true });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  rmSync(work, { recursive: true, force: true });
});

const session = (args: string[]) =>
  spawnSync(process.execPath, [CLI, 'session', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, MYNA_KIOSK_SIM_DIR: join(work, 'session-sim') },
  });

describe('a terminal against a separate issuing service', () => {
  it('the headless session renews a card from the service’s card factory, through the service', async () => {
    const run = session([
      '--persona',
      'standard-in-window',
      '--pin',
      'auth=1234',
      '--pin',
      'sign=ABC123',
      '--pin',
      'registry=1234',
      '--service',
      service.url,
      '--terminal',
      terminalFolder(),
      '--db',
      join(work, 'session-kiosk.sqlite'),
      // Inside service hours, whenever the test runs (the kiosk's clock; the service keeps its own).
      '--at',
      japanTimestamp(nextWeekdayAt('10:00', new Date())),
      '--json',
    ]);
    expect(run.status, `${run.stderr}\n${run.stdout.split('\n').slice(-3).join('\n')}`).toBe(0);
    const outcome = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.event === 'outcome');
    expect(outcome).toMatchObject({ result: 'renewed' });
    // The service answered this terminal, by its certificate's id. (Its log arrives over a pipe, which
    // spawnSync kept this process from reading: wait for it, bounded.)
    const served = () =>
      service.log
        .join('')
        .split('\n')
        .filter((line) => line.includes('"service-request"'))
        .map((line) => JSON.parse(line) as { terminal: string; route: string; status: number });
    const until = Date.now() + 10_000;
    while (!served().some((line) => line.route === '/v1/renewals/:renewalId/confirm') && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = served();
    expect(lines.some((line) => line.route === '/v1/simulation/cards' && line.status === 200 && line.terminal === 'lobby-01')).toBe(true);
    expect(lines.some((line) => line.route === '/v1/renewals/:renewalId/possession-challenge' && line.status === 200)).toBe(true);
    expect(lines.some((line) => line.route === '/v1/renewals/:renewalId/confirm' && line.status === 200)).toBe(true);
  }, 120_000);

  it('says what is missing when --service comes without --terminal, or the folder holds no certificate', () => {
    const alone = session(['--persona', 'standard-in-window', '--service', service.url]);
    expect(alone.status).not.toBe(0);
    expect(alone.stderr).toMatch(/--service <https url> and --terminal <folder/);
    const empty = session(['--persona', 'standard-in-window', '--service', service.url, '--terminal', join(work, 'nothing-here')]);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toMatch(/service\.certificate: .*terminal\.pem cannot be read/);
  });

  it('the web host renews a trainer’s card against it, and the trainer’s "service down" acts on that connection', async () => {
    const host = await startWebHost({
      rendererRoot: RENDERER,
      profile: 'demo',
      log: silentLogger,
      config: {
        service: {
          url: service.url,
          certificate: join(terminalFolder(), 'terminal.pem'),
          key: join(terminalFolder(), 'terminal-key.pem'),
          ca: join(terminalFolder(), 'ca.pem'),
        },
      },
    });
    try {
      const { kiosk } = host;
      const waitFor = async (ok: (state: ViewState) => boolean, what: string) => {
        const until = Date.now() + 60_000;
        for (;;) {
          const state = kiosk.snapshot();
          if (ok(state)) return state;
          if (Date.now() > until) throw new Error(`waited 60 s for ${what}; the screen is ${state.screen}/${state.session?.screen}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      expect(kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web')).toEqual({ ok: true });
      const pins: Record<string, string> = { authentication: '1234', signature: 'ABC123', registry: '1234' };
      let last = '';
      for (;;) {
        const state = await waitFor((s) => {
          const key = `${s.session?.screen}:${s.session?.pin?.name ?? ''}`;
          return (
            s.screen === 'session' && ['status', 'pin-entry', 'confirm', 'done', 'hand-off'].includes(s.session!.screen) && key !== last
          );
        }, 'the next screen');
        const screen = state.session!.screen;
        last = `${screen}:${state.session?.pin?.name ?? ''}`;
        if (screen === 'done' || screen === 'hand-off') break;
        if (screen === 'status') kiosk.receive({ type: 'SESSION', intent: { type: 'CONTINUE' } }, 'web');
        if (screen === 'pin-entry')
          kiosk.receive({ type: 'SESSION', intent: { type: 'SUBMIT_PIN', value: pins[state.session!.pin!.name]! } }, 'web');
        if (screen === 'confirm') kiosk.receive({ type: 'SESSION', intent: { type: 'CONFIRM_RENEWAL' } }, 'web');
      }
      expect(kiosk.snapshot().session?.screen).toBe('done');

      // "Service down" on this terminal's connection: the next card's resident is told the service is away, nothing more.
      kiosk.receive({ type: 'DEMO_REMOVE_CARD' }, 'web');
      await waitFor((s) => s.screen === 'attract', 'the attract screen');
      const requestsBefore = service.log
        .join('')
        .split('\n')
        .filter((line) => line.includes('"/v1/residents/lookup"')).length;
      expect(kiosk.receive({ type: 'DEMO_FAULT', fault: 'service-down' }, 'web')).toEqual({ ok: true });
      expect(kiosk.receive({ type: 'DEMO_INSERT_CARD', persona: 'standard-in-window' }, 'web')).toEqual({ ok: true });
      await waitFor((s) => s.screen === 'session' && s.session !== undefined && s.session.screen !== 'reading', 'the card read');
      const requestsAfter = service.log
        .join('')
        .split('\n')
        .filter((line) => line.includes('"/v1/residents/lookup"')).length;
      expect(requestsAfter).toBe(requestsBefore);
    } finally {
      await host.close();
    }
  }, 120_000);
});
