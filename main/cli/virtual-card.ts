import { parseArgs } from 'node:util';
import { createLogger } from '../base/log';
import { cardImageForPersona, persistedCard, writeCardState } from '../simulation/card/card-state';
import { VirtualMyNumberCard } from '../simulation/card/virtual-my-number-card';
import { VPCD_DEFAULT_PORT, VpcdBridge } from '../simulation/vpcd-bridge';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk virtual-card --persona <name|path> [--vpcd-port 35963] [--vpcd-host 127.0.0.1]
 *   [--remove-after <ms>] [--reinsert-after <ms>] [--state <path>] [--sim-dir <dir>] [--fault non-atomic-commit] [--json]`
 *
 * Puts a virtual My Number Card into a vpcd reader and answers until
 * SIGTERM/SIGINT, then takes it out. With --state the card's state
 * (counters, new keys and certificates) is read from and written back to that
 * file; without it, nothing the card goes through is kept.
 */
export async function runVirtualCard(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      persona: { type: 'string' },
      'vpcd-port': { type: 'string', default: String(VPCD_DEFAULT_PORT) },
      'vpcd-host': { type: 'string', default: '127.0.0.1' },
      'remove-after': { type: 'string' },
      'reinsert-after': { type: 'string' },
      state: { type: 'string' },
      'sim-dir': { type: 'string' },
      fault: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.persona) throw new UsageError('--persona <name|path> is required (see "myna-kiosk personas")');
  const port = wholeNumber(values['vpcd-port'], '--vpcd-port', 1, 65_535)!;
  const removeAfter = wholeNumber(values['remove-after'], '--remove-after');
  const reinsertAfter = wholeNumber(values['reinsert-after'], '--reinsert-after');
  if (reinsertAfter !== undefined && removeAfter === undefined) throw new UsageError('--reinsert-after needs --remove-after');
  if (values.fault !== undefined && values.fault !== 'non-atomic-commit')
    throw new UsageError(`--fault must be "non-atomic-commit" (got "${values.fault}")`);

  const { persona, image } = await cardImageForPersona(values.persona, {
    ...(values['sim-dir'] ? { simDir: values['sim-dir'] } : {}),
    ...(values.state ? { statePath: values.state } : {}),
  });
  const statePath = values.state;
  const card = new VirtualMyNumberCard(image, { faults: { nonAtomicCommit: values.fault === 'non-atomic-commit' } });
  const persistent = statePath ? persistedCard(card, statePath) : card;

  const log = createLogger();
  const bridge = new VpcdBridge({ card: persistent, host: values['vpcd-host'], port, log });
  const say = (event: string, extra: Record<string, unknown> = {}) =>
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ event, persona: persona.id, vpcd: `${values['vpcd-host']}:${port}`, ...extra })}\n`
        : `${event}: ${persona.id} (${persona.title.en}) at vpcd ${values['vpcd-host']}:${port}\n`,
    );

  await bridge.insert();
  say('inserted');

  const timers: NodeJS.Timeout[] = [];
  if (removeAfter !== undefined) {
    timers.push(
      setTimeout(() => {
        void bridge.remove().then(() => {
          say('removed');
          if (reinsertAfter !== undefined) {
            timers.push(setTimeout(() => void bridge.insert().then(() => say('inserted')), reinsertAfter));
          }
        });
      }, removeAfter),
    );
  }

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  timers.forEach(clearTimeout);
  await bridge.remove();
  if (statePath) writeCardState(statePath, card.snapshot());
  say('removed', { final: true });
  return 0;
}

function wholeNumber(text: string | undefined, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${text}")`);
  return value;
}
