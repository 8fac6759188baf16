import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { profileSchema } from '../../preload/contract';
import type { RenewalRoute } from '../../preload/vocabulary';
import { IssuerChannelClient } from '../card/issuer-channel-client';
import { PcscReader } from '../card/pcsc-reader';
import { startPcscd } from '../harness/pcscd-sandbox';
import type { PinId } from '../domain/pin-rules';
import type { CardConnection } from '../card/reader';
import { VIRTUAL_READER_NAME, VirtualReader } from '../card/virtual-reader';
import type { CardImage } from '../simulation/card/card-image';
import { cardImageForPersona, persistedCard, readCardState, writeCardState } from '../simulation/card/card-state';
import { readServiceConnection, serviceOfTerminalFolder } from '../kiosk/config';
import { loadPersona } from '../simulation/personas';
import { japanDate } from '../domain/japan-calendar';
import { VirtualMyNumberCard } from '../simulation/card/virtual-my-number-card';
import { GATEWAY_OPERATIONS, type GatewayFault, type GatewayOperation } from '../simulation/jlis/faults';
import { openRemoteWorld, openSimulatedWorld, type TerminalWorld } from '../simulation/world';
import { RENEWAL_STEPS, type RenewalJournal, type RenewalStep, type StepWrite } from '../store/journal';
import { CustomerSession, type SessionIntent, type SessionResult } from '../session/session-runner';
import type { SessionView } from '../session/view';
import { parseInstant } from './eligibility';
import { withTeardown, type Teardown } from './teardown';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk session --persona <name|path> --pin auth=<pin> --pin sign=<pw> --pin registry=<pin>
 *    [--route self|proxy|representative] [--profile lobby|counter|demo] [--pcsc]
 *    [--fault <step>:<kind>] [--new-pin <name>=<pin>] [--proxy-fail <check>] [--at <ISO>] [--json]
 *    [--card-state <path>] [--db <path>] [--sim-dir <dir> | --service <https url> --terminal <folder>] [--staff <id>]`
 *
 * One whole session against the virtual card, scripted: the tool answers each
 * screen as a resident (or staff) would, prints one JSON object per screen,
 * then the outcome. Exit code 0 only when the certificates were renewed.
 *
 * It never touches the terminal's records or another card: without --db (and
 * --sim-dir) its kiosk database (and simulation folder) are temporary, and
 * with --pcsc it runs a pcscd of its own (private socket, its vpcd readers
 * only) and checks the card's chip serial before anything else. Whatever it
 * started and every temporary folder go when it ends, also on Ctrl+C.
 *
 * --pin values may list several tries in order (auth=0000,1234). Faults:
 *   <renewal step>:crash   the process dies (SIGKILL) right after that step is journalled as finished
 *   <renewal step>:pull    the card is pulled when that step starts, and put back 200 ms later
 *   gateway:<operation>:<timeout|server-error|garbled-answer|unavailable>   the issuing service fails once
 */

const PIN_NAMES: Record<string, PinId> = {
  auth: 'authentication',
  authentication: 'authentication',
  sign: 'signature',
  signature: 'signature',
  registry: 'registry',
};
/** The --route words, for the routes of the vocabulary. */
const ROUTES = { self: 'in-person', proxy: 'voluntary-proxy', representative: 'legal-representative' } as const satisfies Record<
  string,
  RenewalRoute
>;
const GATEWAY_FAULTS = ['timeout', 'server-error', 'garbled-answer', 'unavailable'] as const;
const PROXY_CHECKS = ['envelope-unsealed', 'form-expired', 'form-not-handed-in-person', 'proxy-without-identity'] as const;

type Fault =
  | { kind: 'crash' | 'pull'; step: RenewalStep }
  | { kind: 'gateway'; operation: GatewayOperation; failure: (typeof GATEWAY_FAULTS)[number] };

export async function runSession(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      persona: { type: 'string' },
      pin: { type: 'string', multiple: true, default: [] },
      'new-pin': { type: 'string', multiple: true, default: [] },
      route: { type: 'string', default: 'self' },
      profile: { type: 'string' },
      pcsc: { type: 'boolean', default: false },
      fault: { type: 'string', multiple: true, default: [] },
      'proxy-fail': { type: 'string' },
      at: { type: 'string' },
      json: { type: 'boolean', default: false },
      'card-state': { type: 'string' },
      db: { type: 'string' },
      'sim-dir': { type: 'string' },
      service: { type: 'string' },
      terminal: { type: 'string' },
      staff: { type: 'string', default: 'session-driver' },
    },
    strict: true,
  });
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(values.staff))
    throw new UsageError(`--staff is a staff id: 1–32 of letters, digits, _ and - (got "${values.staff}")`);
  if ((values.service === undefined) !== (values.terminal === undefined)) {
    throw new UsageError('--service <https url> and --terminal <folder written by "myna-kiosk service enrol-terminal"> go together');
  }
  if (!values.persona) throw new UsageError('--persona <name|path> is required (see "myna-kiosk personas")');
  const route = ROUTES[values.route as keyof typeof ROUTES];
  if (!route) throw new UsageError(`--route must be self, proxy or representative (got "${values.route}")`);
  // Staff routes happen at the counter.
  const profileText = values.profile ?? (route === 'in-person' ? 'lobby' : 'counter');
  const profile = profileSchema.safeParse(profileText);
  if (!profile.success) throw new UsageError(`--profile must be lobby, counter or demo (got "${profileText}")`);
  if (values['proxy-fail'] !== undefined && !(PROXY_CHECKS as readonly string[]).includes(values['proxy-fail'])) {
    throw new UsageError(`--proxy-fail must be one of ${PROXY_CHECKS.join(', ')}`);
  }
  const pins = parsePins(values.pin, '--pin');
  const newPins = parsePins(values['new-pin'], '--new-pin');
  const faults = values.fault.map(parseFault);
  if (faults.some((fault) => fault.kind === 'crash')) {
    // The killed process runs no clean-up: nothing of the drill may be temporary or running beside it.
    if (values.pcsc)
      throw new UsageError('--fault <step>:crash is a drill in process: with --pcsc it would leave its pcscd and card running');
    if (values.db === undefined || values['sim-dir'] === undefined)
      throw new UsageError('--fault <step>:crash needs --db <path> and --sim-dir <dir>: the next session resumes from them');
  }
  const fixedNow = values.at ? parseInstant(values.at) : undefined;
  const now = fixedNow ? () => fixedNow : () => new Date();
  const { persona, service, terminal } = values;

  return withTeardown('session', async (teardown) => {
    let temporary: string | undefined;
    /** A folder of this run's own, made at the first need. */
    const scratch = () => {
      if (temporary === undefined) {
        const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-session-'));
        teardown.add(() => rmSync(dir, { recursive: true, force: true }));
        temporary = dir;
      }
      return temporary;
    };
    const simDir = values['sim-dir'] ?? join(scratch(), 'sim');
    const dbPath = values.db ?? join(scratch(), 'kiosk.sqlite');
    const statePath = values['card-state'] ?? join(simDir, 'session-cards', `${persona.replace(/[^a-z0-9-]/gi, '_')}.json`);
    const today = fixedNow ? { today: japanDate(fixedNow) } : {};
    const { world, image } =
      service !== undefined && terminal !== undefined
        ? await againstService({ url: service, terminal, persona, statePath, dbPath, now, faults, today })
        : await withOwnJlis({ simDir, statePath, dbPath, now, faults, persona, today });
    teardown.add(() => world.close());
    const { audit } = world;
    const journal = faultyJournal(world.journal, faults);
    const print = (object: Record<string, unknown>) =>
      process.stdout.write(values.json ? `${JSON.stringify(object)}\n` : `${describe(object)}\n`);

    let card: InsertedCard;
    if (values.pcsc) {
      // The card process loads this very card from the state file.
      writeCardState(statePath, image);
      card = await insertThroughPcsc({ persona, statePath, simDir, chipSerial: chipSerialOf(image, statePath), teardown });
    } else {
      card = insertInProcess(image, statePath, teardown);
    }
    const session = new CustomerSession({
      profile: profile.data,
      // The staff member this script acts as at the counter: a PIN reset carries their id to the service.
      staffId: () => values.staff,
      connect: card.connect,
      gateway: world.sessions.gateway,
      journal,
      audit,
      now,
    });
    pullFaults(faults, journal, card);
    const result = await Promise.race([
      drive(session, { pins, newPins, route, proxyFail: values['proxy-fail'], card, print }),
      card.trouble,
    ]);
    print({ event: 'outcome', ...outcomeOf(result) });
    return result.end === 'renewed' ? 0 : result.end === 'handed-off' ? 3 : 4;
  });
}

interface SessionWorld {
  world: TerminalWorld;
  image: CardImage;
}

/** The simulated J-LIS of the simulation folder, in this process: the card enrolled there, the gateway faults set on it. */
async function withOwnJlis(options: {
  simDir: string;
  statePath: string;
  dbPath: string;
  now: () => Date;
  faults: Fault[];
  persona: string;
  today: { today?: string };
}): Promise<SessionWorld> {
  const { persona, image, fromState } = await cardImageForPersona(options.persona, {
    simDir: options.simDir,
    statePath: options.statePath,
    ...options.today,
  });
  const world = await openSimulatedWorld({
    terminalId: 'session-driver',
    simDir: options.simDir,
    dbPath: options.dbPath,
    now: options.now,
  });
  // A card that comes back from its saved state is already known to the service (with the certificates it has now).
  if (!fromState) await world.jlis.enrol(persona, image);
  for (const fault of options.faults) {
    if (fault.kind === 'gateway') world.jlis.setFault(fault.operation, gatewayFault(fault.failure));
  }
  return { world, image };
}

/**
 * A separate issuing service (`npx myna-kiosk service --card-factory`), as
 * the terminal whose folder `service enrol-terminal` wrote: the card comes
 * from the service's card factory (or from its saved state), and the
 * service's faults are the network's, not this command's to set.
 */
async function againstService(options: {
  url: string;
  terminal: string;
  persona: string;
  statePath: string;
  dbPath: string;
  now: () => Date;
  faults: Fault[];
  today: { today?: string };
}): Promise<SessionWorld> {
  if (options.faults.some((fault) => fault.kind === 'gateway')) {
    throw new UsageError('--fault gateway:… acts on a simulated J-LIS of this process; with --service the service is elsewhere');
  }
  const connection = readServiceConnection(serviceOfTerminalFolder(options.url, options.terminal));
  const world = await openRemoteWorld({ terminalId: 'session-driver', dbPath: options.dbPath, now: options.now, service: connection });
  try {
    const image = existsSync(options.statePath)
      ? readCardState(options.statePath)
      : (await world.freshCard(loadPersona(options.persona))).image;
    return { world, image };
  } catch (error) {
    world.close();
    throw error;
  }
}

interface InsertedCard {
  connect: () => Promise<CardConnection>;
  /** Takes the card out; resolves once the reader has seen it go. */
  pull: () => Promise<void>;
  /** Puts it back; resolves once the reader has seen it come. */
  putBack: () => Promise<void>;
  /** Tells the session when the card leaves or comes back. */
  watch: (onChange: (present: boolean) => void) => void;
  /** Rejects when the card cannot go on: not seen in time, or not this session's own. */
  trouble: Promise<never>;
}

/** The virtual card in this process, in the virtual reader; its state kept in `statePath`. */
function insertInProcess(image: CardImage, statePath: string, teardown: Teardown): InsertedCard {
  let onChange: (present: boolean) => void = () => {};
  const reader = new VirtualReader();
  const card = persistedCard(new VirtualMyNumberCard(image), statePath);
  reader.start((event) => {
    if (event.type === 'card-removed') onChange(false);
    if (event.type === 'card-inserted') onChange(true);
  });
  teardown.add(() => reader.stop());
  reader.insert(card);
  return {
    connect: () => reader.connect(VIRTUAL_READER_NAME, { exclusive: true }),
    pull: async () => reader.remove(),
    putBack: async () => reader.insert(card),
    watch: (listener) => (onChange = listener),
    // In process the card comes and goes at once.
    trouble: new Promise<never>(() => {}),
  };
}

/** How long the card process may take to start, and the reader to see the card come or go. */
const CARD_WAIT_MS = 15_000;
/** After this long without exiting on SIGTERM, the card process gets SIGKILL. */
const CARD_STOP_MS = 5_000;

/**
 * The real PC/SC stack: a pcscd of this command's own (private socket, its
 * two vpcd readers only, main/harness/pcscd-sandbox.ts), the virtual card in
 * its own process (the virtual-card command, with the same state file) in
 * that pcscd's first reader, and this process talking to that reader alone,
 * by its exact name, like the kiosk does. Never the machine's pcscd, whose
 * readers may hold residents' cards.
 */
async function insertThroughPcsc(options: {
  persona: string;
  statePath: string;
  simDir: string;
  /** What the card must answer to GET CHIP SERIAL; undefined for a card without the JPKI application. */
  chipSerial: string | undefined;
  teardown: Teardown;
}): Promise<InsertedCard> {
  const pcscd = await startPcscd({ privateSocket: true, friendlyName: 'myna-kiosk session reader' });
  options.teardown.add(() => pcscd.stop());
  const readerName = pcscd.readerNames[0]!;
  let fail: (error: Error) => void = () => {};
  const trouble = new Promise<never>((_, reject) => (fail = reject));
  // Raced by the caller from the start; until then a rejection is kept, not reported as unhandled.
  trouble.catch(() => {});

  let onChange: (present: boolean) => void = () => {};
  let present = false;
  const changes = new EventTarget();
  const reader = new PcscReader({ pollIntervalMs: 100 });
  reader.start((event) => {
    if ((event.type !== 'card-inserted' && event.type !== 'card-removed') || event.reader !== readerName) return;
    present = event.type === 'card-inserted';
    onChange(present);
    changes.dispatchEvent(new Event('change'));
  });
  options.teardown.add(() => reader.stop());
  const seen = (wanted: boolean) =>
    until(
      () => present === wanted,
      changes,
      `the card was not seen ${wanted ? 'in' : 'leaving'} reader "${readerName}" within ${CARD_WAIT_MS / 1000} s`,
    );

  let child: ChildProcess | undefined;
  const startCard = async () => {
    const args = ['virtual-card', '--persona', options.persona, '--state', options.statePath, '--sim-dir', options.simDir];
    const started = spawn(process.execPath, [process.argv[1]!, ...args, '--vpcd-port', String(pcscd.vpcdPorts[0]), '--json'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child = started;
    const inserted = new Promise<void>((resolve, reject) => {
      createInterface({ input: started.stdout! }).on(
        'line',
        (line) => (JSON.parse(line) as { event: string }).event === 'inserted' && resolve(),
      );
      started.once('exit', (code) => reject(new Error(`the virtual card exited with ${code}`)));
    });
    await withDeadline(inserted, `the virtual card did not start within ${CARD_WAIT_MS / 1000} s`);
    await seen(true);
  };
  const stopCard = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), CARD_STOP_MS);
    await exited;
    clearTimeout(timer);
  };
  options.teardown.add(stopCard);
  await startCard();

  return {
    connect: async () => {
      const connection = await reader.connect(readerName, { exclusive: true });
      try {
        await confirmOwnCard(connection, options.chipSerial);
      } catch (error) {
        await connection.disconnect({ unpower: true }).catch(() => undefined);
        if (error instanceof NotOwnCardError) fail(error);
        throw error;
      }
      return connection;
    },
    pull: () =>
      stopCard()
        .then(() => seen(false))
        .catch(fail),
    putBack: () => startCard().catch(fail),
    watch: (listener) => (onChange = listener),
    trouble,
  };
}

class NotOwnCardError extends Error {}

/**
 * Before the session sends anything, the card in the reader must be the one
 * this command put there: the same chip serial (read without a PIN, nothing
 * changed), or no JPKI application when its own card has none.
 */
export async function confirmOwnCard(connection: CardConnection, chipSerial: string | undefined): Promise<void> {
  const client = new IssuerChannelClient(connection);
  const found = (await client.selectApplication('jpki'))
    ? Buffer.from(await client.chipSerial())
        .toString('hex')
        .toUpperCase()
    : undefined;
  if (found !== chipSerial) {
    throw new NotOwnCardError(
      `the card in reader "${connection.reader}" is not the one this session put there (its chip serial differs): no PIN was sent to it`,
    );
  }
}

/** The chip serial that tells the session's card from any other. */
function chipSerialOf(image: CardImage, statePath: string): string | undefined {
  if (!image.jpki) return undefined;
  if (image.chipSerial === undefined) {
    throw new Error(
      `the card state ${statePath} has no chip serial, so the card in the reader could not be told from another: ` +
        'start from the persona instead',
    );
  }
  return image.chipSerial;
}

/** Resolves once the condition holds, re-checked at each event; rejects with the message after CARD_WAIT_MS. */
function until(condition: () => boolean, changes: EventTarget, message: string): Promise<void> {
  if (condition()) return Promise.resolve();
  return withDeadline(
    new Promise<void>((resolve) => {
      const check = () => {
        if (!condition()) return;
        changes.removeEventListener('change', check);
        resolve();
      };
      changes.addEventListener('change', check);
    }),
    message,
  );
}

function withDeadline(work: Promise<void>, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), CARD_WAIT_MS)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Answers each screen as the resident or staff would, until the card comes out. */
function drive(
  session: CustomerSession,
  script: {
    pins: Map<PinId, string[]>;
    newPins: Map<PinId, string[]>;
    route: string;
    proxyFail: string | undefined;
    card: InsertedCard;
    print: (o: Record<string, unknown>) => void;
  },
): Promise<SessionResult> {
  let last = '';
  let removing = false;
  let present = true;
  script.card.watch((now) => {
    present = now;
    if (now) session.cardInserted();
    else session.cardRemoved();
  });
  const answer = (view: SessionView) => {
    const key = JSON.stringify(view);
    if (key === last) return;
    last = key;
    // The counter's view carries the substituted name and address for the screen; a printed trace never does.
    const { substitutes, ...printable } = view;
    script.print({ event: 'screen', ...printable, ...(substitutes ? { substitutes: 'shown-to-the-resident' } : {}) });
    const send = (intent: SessionIntent) => queueMicrotask(() => session.send(intent));
    // Each try in order; the last one is typed again whenever the PIN is asked again (after the card came back).
    const next = (from: Map<PinId, string[]>, pin: PinId) => {
      const tries = from.get(pin);
      return tries && tries.length > 1 ? tries.shift() : tries?.[0];
    };
    switch (view.screen) {
      case 'route-choice':
        return send({ type: 'CHOOSE_ROUTE', route: script.route as never });
      case 'status':
        return send({ type: 'CONTINUE' });
      case 'proxy-check':
        return send({
          type: 'PROXY_CHECKED',
          checks: {
            envelopeSealed: script.proxyFail !== 'envelope-unsealed',
            formWithinValidity: script.proxyFail !== 'form-expired',
            handedInPerson: script.proxyFail !== 'form-not-handed-in-person',
            proxyIdentity: script.proxyFail === 'proxy-without-identity' ? 'none' : 'document-a',
            relationship: 'family',
          },
        });
      case 'authority-check':
        return send({ type: 'AUTHORITY_CHECKED', proven: true });
      case 'identity-check':
        return send({ type: 'IDENTITY_CHECKED', check: { documentsA: 1, documentsB: 0, oralQuestioning: false, accepted: true } });
      case 'new-pin':
      case 'new-pin-again': {
        const value = script.newPins.get(view.pin!.name)?.[0];
        if (value === undefined) return send({ type: 'CANCEL' });
        if (view.screen === 'new-pin-again') script.newPins.get(view.pin!.name)!.shift();
        return send({ type: view.screen === 'new-pin' ? 'SUBMIT_NEW_PIN' : 'SUBMIT_NEW_PIN_AGAIN', value });
      }
      case 'pin-entry': {
        const value = next(script.pins, view.pin!.name);
        return send(value === undefined ? { type: 'FORGOT_PIN' } : { type: 'SUBMIT_PIN', value });
      }
      case 'last-try':
        return send({ type: 'CONFIRM_LAST_TRY' });
      case 'substitutes':
        return send({ type: 'SUBSTITUTES_CONFIRMED', accepted: true });
      case 'confirm':
        return send({ type: 'CONFIRM_RENEWAL' });
      case 'card-away':
        // Put the card back, as the screen asks.
        return void setTimeout(() => void script.card.putBack(), 200);
      case 'done':
      case 'hand-off':
      case 'not-yet':
      case 'card-renewal':
        // Take the card out (or, if it is out already, say so): the session ends with it.
        if (!removing) {
          removing = true;
          if (present) void script.card.pull();
          else queueMicrotask(() => session.cardRemoved());
        }
        return;
      default:
        return;
    }
  };
  session.subscribe(answer);
  answer(session.view);
  return session.done;
}

/** Wraps the journal so that a fault fires at the named step (drills and the fault matrix). */
function faultyJournal(journal: RenewalJournal, faults: Fault[]): RenewalJournal {
  const crashes = faults.flatMap((fault) => (fault.kind === 'crash' ? [fault.step] : []));
  if (crashes.length === 0) return journal;
  const finished = journal.stepFinished.bind(journal) as StepWrite;
  (journal as { stepFinished: StepWrite }).stepFinished = (id, step, data, session) => {
    finished(id, step, data, session);
    // A power cut right after the journal write: nothing after it runs.
    if (crashes.includes(step)) process.kill(process.pid, 'SIGKILL');
  };
  return journal;
}

function pullFaults(faults: Fault[], journal: RenewalJournal, card: InsertedCard): void {
  const pulls = faults.flatMap((fault) => (fault.kind === 'pull' ? [fault.step] : []));
  if (pulls.length === 0) return;
  const started = journal.stepStarted.bind(journal) as StepWrite;
  (journal as { stepStarted: StepWrite }).stepStarted = (id, step, data, session) => {
    started(id, step, data, session);
    const at = pulls.indexOf(step);
    if (at >= 0) {
      pulls.splice(at, 1);
      void card.pull();
    }
  };
}

/** The injected failure, once: a time-out gives up after 200 ms. */
function gatewayFault(failure: (typeof GATEWAY_FAULTS)[number]): GatewayFault {
  return failure === 'timeout' ? { kind: 'timeout', ms: 200, times: 1 } : { kind: failure, times: 1 };
}

function parsePins(entries: string[], flag: string): Map<PinId, string[]> {
  const pins = new Map<PinId, string[]>();
  for (const entry of entries) {
    const [name, value] = entry.split('=', 2);
    const pin = PIN_NAMES[name ?? ''];
    if (!pin || value === undefined || value === '')
      throw new UsageError(`${flag} takes auth=<pin>, sign=<password> or registry=<pin> (got "${name}=…")`);
    pins.set(pin, value.split(','));
  }
  return pins;
}

function parseFault(text: string): Fault {
  const parts = text.split(':');
  if (parts[0] === 'gateway') {
    const [, operation, failure] = parts;
    if (
      !(GATEWAY_OPERATIONS as readonly string[]).includes(operation ?? '') ||
      !(GATEWAY_FAULTS as readonly string[]).includes(failure ?? '')
    ) {
      throw new UsageError(`--fault gateway:<${GATEWAY_OPERATIONS.join('|')}>:<${GATEWAY_FAULTS.join('|')}> (got "${text}")`);
    }
    return { kind: 'gateway', operation: operation as GatewayOperation, failure: failure as (typeof GATEWAY_FAULTS)[number] };
  }
  const [step, kind] = parts;
  if (!(RENEWAL_STEPS as readonly string[]).includes(step ?? '') || (kind !== 'crash' && kind !== 'pull')) {
    throw new UsageError(`--fault <${RENEWAL_STEPS.join('|')}>:<crash|pull> or gateway:<operation>:<kind> (got "${text}")`);
  }
  return { kind, step: step as RenewalStep };
}

function outcomeOf(result: SessionResult): Record<string, unknown> {
  if (result.end === 'renewed' && result.outcome) {
    return {
      result: 'renewed',
      renewalId: result.outcome.renewalId,
      authentication: result.outcome.authentication,
      ...(result.outcome.signature ? { signature: result.outcome.signature } : {}),
    };
  }
  if (result.end === 'handed-off')
    return { result: 'handed-off', reason: result.handOff, ...(result.failure ? { failure: result.failure } : {}) };
  return { result: result.end === 'error' ? 'failed' : result.end, ...(result.failure ? { failure: result.failure } : {}) };
}

function describe(object: Record<string, unknown>): string {
  if (object.event === 'screen') {
    const pin = object.pin as { name: string; triesLeft?: number } | undefined;
    const tries = pin?.triesLeft !== undefined ? `, ${pin.triesLeft} tries left` : '';
    const handOff = object.handOff ? ` → ${String(object.handOff)}` : '';
    return `screen ${String(object.screen)}${pin ? ` (${pin.name} PIN${tries})` : ''}${handOff}`;
  }
  return `outcome: ${JSON.stringify(object)}`;
}
