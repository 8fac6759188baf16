import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { encodeCommand } from '../card/apdu';
import { JpkiClient } from '../card/jpki-client';
import { AID } from '../card/jpki-layout';
import { PcscReader } from '../card/pcsc-reader';
import type { CardConnection } from '../card/reader';
import { startPcscd, type PcscdHandle } from '../harness/pcscd-sandbox';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk bench card [--json] [--runs 50] [--persona standard-in-window] [--round-trips 2000]`
 *
 * Measures the card stack on the real PC/SC path: a private pcscd with the
 * vpcd driver (and the TCP_NODELAY shim), the virtual card in its own
 * process, the kiosk's PcscReader and JpkiClient in this one. A script that
 * measures, not a test: it asserts nothing and prints what it saw.
 */

interface StatusFigures {
  apdus: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  extendedLength: string;
}

export interface CardBenchmark {
  stack: string;
  persona: string;
  runs: number;
  status: { shortOnly: StatusFigures; extendedWhereSupported: StatusFigures };
  roundTrips: { count: number; perSecond: number; medianMs: number };
  pcscdReadyMs: number;
}

export async function runBenchCard(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      runs: { type: 'string', default: '50' },
      persona: { type: 'string', default: 'standard-in-window' },
      'round-trips': { type: 'string', default: '2000' },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  const roundTrips = Number(values['round-trips']);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a whole number ≥ 1 (got "${values.runs}")`);
  if (!Number.isInteger(roundTrips) || roundTrips < 1)
    throw new UsageError(`--round-trips must be a whole number ≥ 1 (got "${values['round-trips']}")`);

  const pcscd = await startPcscd({ friendlyName: 'myna-kiosk bench reader' });
  const card = spawn(
    process.execPath,
    [process.argv[1]!, 'virtual-card', '--persona', values.persona, '--vpcd-port', String(pcscd.vpcdPorts[0]), '--json'],
    {
      // The card's own log lines would interleave with the figures.
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const reader = new PcscReader({ pollIntervalMs: 100 });
  try {
    await waitForInsertion(card);
    const name = pcscd.readerNames[0]!;
    await new Promise<void>((resolve) => reader.start((event) => event.type === 'card-inserted' && event.reader === name && resolve()));
    const connection = await reader.connect(name, { exclusive: false });
    try {
      const result: CardBenchmark = {
        stack: 'PcscReader → smartcard → libpcsclite → pcscd (TCP_NODELAY shim) → vpcd → virtual card process',
        persona: values.persona,
        runs,
        status: {
          shortOnly: await measureStatus(connection, runs, 'never'),
          extendedWhereSupported: await measureStatus(connection, runs, 'auto'),
        },
        roundTrips: await measureRoundTrips(connection, roundTrips),
        pcscdReadyMs: Math.round(pcscd.readyMs),
      };
      process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
    } finally {
      await connection.disconnect({ unpower: true });
    }
  } finally {
    await reader.stop();
    card.kill('SIGTERM');
    if (card.exitCode === null) await once(card, 'exit');
    await stopQuietly(pcscd);
  }
  return 0;
}

async function measureStatus(connection: CardConnection, runs: number, extendedLength: 'never' | 'auto'): Promise<StatusFigures> {
  const times: number[] = [];
  let apdus = 0;
  let mode = 'untested';
  for (let run = 0; run < runs; run++) {
    let count = 0;
    const client = new JpkiClient(connection, { extendedLength, onExchange: () => count++ });
    const started = performance.now();
    await client.readStatus();
    times.push(performance.now() - started);
    apdus = count;
    // With extended length switched off there is nothing to detect.
    mode = extendedLength === 'never' ? 'off' : client.extendedLength;
  }
  times.sort((a, b) => a - b);
  return {
    apdus,
    medianMs: round(percentile(times, 0.5)),
    p90Ms: round(percentile(times, 0.9)),
    minMs: round(times[0]!),
    extendedLength: mode,
  };
}

async function measureRoundTrips(connection: CardConnection, count: number): Promise<CardBenchmark['roundTrips']> {
  const select = encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: AID.jpki });
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const sent = performance.now();
    await connection.transmit(select);
    times.push(performance.now() - sent);
  }
  const elapsed = performance.now() - started;
  times.sort((a, b) => a - b);
  return { count, perSecond: Math.round((count / elapsed) * 1000), medianMs: round(percentile(times, 0.5)) };
}

function waitForInsertion(card: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve, reject) => {
    createInterface({ input: card.stdout! }).on('line', (line) => {
      if ((JSON.parse(line) as { event: string }).event === 'inserted') resolve();
    });
    card.once('exit', (code) => reject(new Error(`the virtual card exited with ${code}`)));
  });
}

function describe(result: CardBenchmark): string {
  const line = (label: string, figures: StatusFigures) =>
    `${label}: ${figures.apdus} APDUs, median ${figures.medianMs} ms (p90 ${figures.p90Ms}, min ${figures.minMs}), ` +
    `extended length ${figures.extendedLength}`;
  return [
    `Card status on ${result.stack}`,
    `persona ${result.persona}, ${result.runs} runs each`,
    line('short APDUs only', result.status.shortOnly),
    line('extended where supported', result.status.extendedWhereSupported),
    `APDU round trips: ${result.roundTrips.perSecond}/s, median ${result.roundTrips.medianMs} ms over ${result.roundTrips.count}`,
    `pcscd ready in ${result.pcscdReadyMs} ms`,
    '',
  ].join('\n');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

async function stopQuietly(pcscd: PcscdHandle): Promise<void> {
  try {
    await pcscd.stop();
  } catch {
    // Best effort: the benchmark's figures are already printed.
  }
}
