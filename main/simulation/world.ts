import type { DemoFault, ViewState } from '../../preload/contract';
import { GatewayError, type IssuanceGateway } from '../issuance/gateway';
import { IssuingServiceClient, terminalIdOfCertificate } from '../issuance/service-client';
import type { FleetChannel } from '../issuance/fleet-wire';
import type { VirtualReader } from '../card/virtual-reader';
import { makeEnrolledCard } from './card-factory';
import { cardImageSchema, type CardImage } from './card/card-image';
import { listPersonas, resolvePersona, type Persona, type ResolvedPersona } from './personas';
import { VirtualMyNumberCard } from './card/virtual-my-number-card';
import { openSimulatedJlis, type SimulatedJlis } from './jlis/service';
import { japanDate } from '../domain/japan-calendar';
import type { AuditChain } from '../store/audit';
import type { AuditOutbox } from '../store/audit-outbox';
import { dirname } from 'node:path';
import type { RenewalJournal } from '../store/journal';
import { openTerminalRecords, type TerminalRecords } from '../store/terminal-records';
import type { SignInLimitStore } from '../store/staff-sign-in-limits';

type DemoFaults = NonNullable<ViewState['demo']>['faults'];

/** How slow "slow" is: long enough to watch the progress screen, short of any time-out. */
export const SLOW_SERVICE_MS = 800;

/** The trainer's hands on the virtual reader and the simulated issuing service (the kiosk's `DemoCards`). */
export type TrainerTools = ReturnType<typeof trainerTools>;

/** What a terminal runs with: its records, its gateway, cards for the trainer. */
export interface TerminalWorld {
  /** The kiosk's records: the renewal journal and the audit chain, in one database. */
  journal: RenewalJournal;
  audit: AuditChain;
  /** What a customer session needs besides the card (the kiosk's `SessionServices`). */
  sessions: { gateway: IssuanceGateway; journal: RenewalJournal; audit: AuditChain; now: () => Date };
  /** The counter's staff sign-in limits, in the same database (the kiosk's `signInLimits`). */
  signInLimits: SignInLimitStore;
  /** Trainer tools on the given virtual reader (absent when the reader is real). */
  demo?: TrainerTools;
  /**
   * A new card for a persona, its dates counted from the world's today: new
   * keys and certificates from the world's CA, and the resident enrolled at
   * its J-LIS, so the card can be renewed (again and again, one card each).
   */
  freshCard(persona: Persona): Promise<{ persona: ResolvedPersona; image: CardImage }>;
  /**
   * Against a separate issuing service: the channel and the records the
   * terminal's fleet reporter ships and reports from (kiosk/fleet-reporter.ts).
   */
  fleet?: { channel: FleetChannel; records: { outbox: AuditOutbox; audit: AuditChain }; dataDir: string };
  /** Closes the records and the simulated J-LIS (after the calls under way). */
  close(): Promise<void>;
}

/** A world with its own simulated J-LIS (in its folder, with its CA). */
export interface SimulatedWorld extends TerminalWorld {
  jlis: SimulatedJlis;
}

export interface SimulatedWorldOptions {
  /** The terminal's name in the audit chain. */
  terminalId: string;
  /** The simulated J-LIS's folder (default: the user's simulation folder, shared with the virtual-card tool). */
  simDir?: string;
  /** The simulated J-LIS's records on a PostgreSQL server (`postgres://…`) instead of the embedded PGlite in `simDir`. */
  database?: string;
  /** The kiosk's records; without it, a practice database of this world's own, deleted on close. */
  dbPath?: string;
  /** The world's clock (a trainer's practice day and hour); the machine's clock by default. */
  now?: () => Date;
  /** A virtual reader: the world then gives the trainer's tools on it. */
  reader?: VirtualReader;
}

/**
 * The world a kiosk runs in until a real issuing-service gateway exists
 * (docs/architecture.md, "Issuing service"): the simulated J-LIS and the kiosk's
 * records, assembled here and nowhere else — for Electron, the web host,
 * the CLI's session driver and benchmarks, and the tests. A practice run (no
 * `dbPath`) gets a database of its own that is deleted on close, so a
 * trainer's practice leaves no records behind.
 *
 * On a virtual reader it also gives the trainer's tools: each inserted card
 * is a fresh card for the persona (new keys), so a persona can be renewed
 * again and again; the faults act on the reader and the simulated service.
 */
export async function openSimulatedWorld(options: SimulatedWorldOptions): Promise<SimulatedWorld> {
  const now = options.now ?? (() => new Date());
  const jlis = await openSimulatedJlis(options.simDir, { now, ...(options.database ? { database: options.database } : {}) });
  let records: TerminalRecords;
  try {
    records = openTerminalRecords({ terminalId: options.terminalId, now, ...(options.dbPath ? { dbPath: options.dbPath } : {}) });
  } catch (error) {
    // The kiosk will not start: release what was opened before failing.
    await jlis.close();
    throw error;
  }
  const { journal, audit } = records;
  const freshCard = (persona: Persona) => makeEnrolledCard(jlis, persona, japanDate(now()));
  return {
    jlis,
    journal,
    audit,
    sessions: { gateway: jlis, journal, audit, now },
    signInLimits: records.signInLimits,
    ...(options.reader ? { demo: trainerTools(options.reader, freshCard, (state) => setServiceFaults(jlis, state)) } : {}),
    freshCard,
    async close() {
      records.close();
      await jlis.close();
    },
  };
}

/** The trainer's service faults on a simulated J-LIS of the world's own. */
function setServiceFaults(jlis: SimulatedJlis, state: ServiceState): void {
  jlis.clearFaults();
  if (state === 'down') jlis.setFault('*', { kind: 'unavailable' });
  if (state === 'slow') jlis.setFault('*', { kind: 'latency', ms: SLOW_SERVICE_MS });
}

type ServiceState = DemoFaults['service'];

/** The trainer's picker starts on the everyday case: a card that renews, no edge case. */
const EVERYDAY_PERSONA = 'standard-in-window';

function trainerTools(reader: VirtualReader, freshCard: TerminalWorld['freshCard'], setServiceState: (state: ServiceState) => void) {
  const catalogue = listPersonas();
  const personas = [
    ...catalogue.filter((persona) => persona.id === EVERYDAY_PERSONA),
    ...catalogue.filter((persona) => persona.id !== EVERYDAY_PERSONA),
  ];
  let persona: string | undefined;
  let pulled: VirtualMyNumberCard | undefined;
  let inReader: VirtualMyNumberCard | undefined;
  let service: ServiceState = 'up';
  let unplugged = false;

  const setService = (next: ServiceState) => {
    service = next;
    setServiceState(next);
  };

  return {
    personas: personas.map(({ id, title, description }) => ({ id, title, description })),
    async insert(personaId: string): Promise<void> {
      const chosen = personas.find((candidate) => candidate.id === personaId);
      if (!chosen) throw new RangeError(`no persona "${personaId}"`);
      // The persona's dates count from the world's today, so a practice day keeps every edge case where it belongs.
      const card = new VirtualMyNumberCard((await freshCard(chosen)).image);
      persona = personaId;
      pulled = undefined;
      inReader = card;
      reader.insert(card);
    },
    remove() {
      reader.remove();
      inReader = undefined;
      pulled = undefined;
      persona = undefined;
    },
    /** Every fault but the power cut, which the kiosk itself must live through. */
    fault(fault: Exclude<DemoFault, 'power-cut'>): void {
      switch (fault) {
        case 'pull-card':
          if (!inReader) return;
          pulled = inReader;
          inReader = undefined;
          reader.remove();
          return;
        case 'reinsert-card':
          if (!pulled) return;
          inReader = pulled;
          pulled = undefined;
          reader.insert(inReader);
          return;
        case 'unplug-reader':
          unplugged = true;
          reader.unplug();
          return;
        case 'plug-in-reader':
          unplugged = false;
          reader.plugIn();
          return;
        case 'service-down':
          return setService('down');
        case 'service-slow':
          return setService('slow');
        case 'service-up':
          return setService('up');
      }
    },
    powerCycle() {
      reader.unplug();
      if (!unplugged) reader.plugIn();
    },
    reset() {
      reader.remove();
      reader.plugIn();
      unplugged = false;
      inReader = undefined;
      pulled = undefined;
      persona = undefined;
      setService('up');
    },
    state(): { persona?: string; faults: DemoFaults } {
      return {
        ...(persona ? { persona } : {}),
        faults: { reader: unplugged ? 'unplugged' : 'plugged-in', service, cardPulled: pulled !== undefined },
      };
    },
  };
}

export interface RemoteWorldOptions extends Omit<SimulatedWorldOptions, 'simDir'> {
  /** The issuing service and this terminal's certificate (kiosk/config.ts, readServiceConnection). */
  service: { url: string; tls: { certificate: string; key: string; ca: string } };
}

/**
 * A terminal's world against a separate issuing service (`npx myna-kiosk
 * service --card-factory`): its records here, its gateway the HTTPS client,
 * and the trainer's cards from the service's card factory, so the service
 * knows them. The trainer's service faults act on this terminal's
 * connection: "down" fails every call as unreachable, "slow" delays each.
 */
export async function openRemoteWorld(options: RemoteWorldOptions): Promise<TerminalWorld> {
  const now = options.now ?? (() => new Date());
  const client = new IssuingServiceClient({ url: options.service.url, tls: options.service.tls });
  let records: TerminalRecords;
  try {
    // The rows carry the id the service knows this terminal by (its certificate's), so both copies of the chain agree.
    const terminalId = terminalIdOfCertificate(options.service.tls.certificate);
    records = openTerminalRecords({ terminalId, now, ...(options.dbPath ? { dbPath: options.dbPath } : {}) });
  } catch (error) {
    client.close();
    throw error;
  }
  const { journal, audit } = records;
  let state: ServiceState = 'up';
  const gateway = withTrainerFaults(client, () => state);
  const freshCard = async (persona: Persona) => {
    const on = japanDate(now());
    const image = cardImageSchema.safeParse(await client.simulationCard(persona.id, on));
    if (!image.success) throw new Error(`the issuing service's card factory made a card this kiosk cannot run: ${image.error.message}`);
    return { persona: resolvePersona(persona, on), image: image.data };
  };
  return {
    journal,
    audit,
    sessions: { gateway, journal, audit, now },
    signInLimits: records.signInLimits,
    ...(options.reader ? { demo: trainerTools(options.reader, freshCard, (next) => (state = next)) } : {}),
    freshCard,
    fleet: { channel: client, records, dataDir: dirname(records.path) },
    async close() {
      records.close();
      client.close();
    },
  };
}

/** The gateway with the trainer's "service down" and "service slow" in front of it. */
function withTrainerFaults(gateway: IssuanceGateway, state: () => ServiceState): IssuanceGateway {
  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    if (state() === 'down') throw new GatewayError('unavailable', 'the trainer took the issuing service down');
    if (state() === 'slow') await new Promise((resolve) => setTimeout(resolve, SLOW_SERVICE_MS));
    return call();
  };
  return {
    lookupResident: (serial) => guarded(() => gateway.lookupResident(serial)),
    issuerProof: (request) => guarded(() => gateway.issuerProof(request)),
    possessionChallenge: (renewalId, serial) => guarded(() => gateway.possessionChallenge(renewalId, serial)),
    issue: (request) => guarded(() => gateway.issue(request)),
    issuedFor: (renewalId) => guarded(() => gateway.issuedFor(renewalId)),
    voidUnconfirmed: (renewalId) => guarded(() => gateway.voidUnconfirmed(renewalId)),
    confirmWritten: (renewalId) => guarded(() => gateway.confirmWritten(renewalId)),
    certificateStatus: (der) => guarded(() => gateway.certificateStatus(der)),
  };
}
