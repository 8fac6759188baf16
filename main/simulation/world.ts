import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DemoFault, ViewState } from '../../preload/contract';
import type { IssuanceGateway } from '../issuance/gateway';
import type { VirtualReader } from '../card/virtual-reader';
import { buildCardImage } from './card/build-card-image';
import { listPersonas, resolvePersona } from './personas';
import { VirtualMyNumberCard } from './card/virtual-my-number-card';
import { openSimulatedJlis, type SimulatedJlis } from './jlis/service';
import { japanDate } from '../domain/japan-calendar';
import { AuditChain } from '../store/audit';
import { openKioskDatabase } from '../store/database';
import { RenewalJournal } from '../store/journal';

type DemoFaults = NonNullable<ViewState['demo']>['faults'];

/** How slow "slow" is: long enough to watch the progress screen, short of any time-out. */
export const SLOW_SERVICE_MS = 800;

/** The trainer's hands on the virtual reader and the simulated issuing service (the kiosk's `DemoCards`). */
export type TrainerTools = ReturnType<typeof trainerTools>;

export interface SimulatedWorld {
  /** What a customer session needs besides the card (the kiosk's `SessionServices`). */
  sessions: { gateway: IssuanceGateway; journal: RenewalJournal; audit: AuditChain; now: () => Date };
  /** Trainer tools on the given virtual reader (absent when the reader is real). */
  demo?: TrainerTools;
  jlis: SimulatedJlis;
  close(): void;
}

/**
 * The world a kiosk runs in until a real issuing-service gateway exists
 * (docs/architecture.md, "Issuance"): the simulated J-LIS, shared with the
 * virtual-card tool, and the kiosk's records. A practice run (`practice`)
 * gets a database of its own that is deleted on close, so a trainer's
 * practice leaves no records behind; otherwise the records go to `dbPath`.
 *
 * On a virtual reader it also gives the trainer's tools: each inserted card
 * is a fresh card for the persona (new keys), so a persona can be renewed
 * again and again; the faults act on the reader and the simulated service.
 */
export async function openSimulatedWorld(options: {
  reader?: VirtualReader;
  simDir?: string;
  dbPath?: string;
  terminalId: string;
  /** The world's clock (a trainer's practice day and hour); the machine's clock by default. */
  now?: () => Date;
}): Promise<SimulatedWorld> {
  const now = options.now ?? (() => new Date());
  const jlis = await openSimulatedJlis(options.simDir, { now });
  const practiceDir = options.dbPath ? undefined : mkdtempSync(join(tmpdir(), 'myna-kiosk-practice-'));
  let db: ReturnType<typeof openKioskDatabase>;
  try {
    db = openKioskDatabase(options.dbPath ?? join(practiceDir!, 'kiosk.sqlite'));
  } catch (error) {
    // The kiosk will not start: release what was opened before failing.
    jlis.close();
    if (practiceDir) rmSync(practiceDir, { recursive: true, force: true });
    throw error;
  }
  const reader = options.reader;
  return {
    sessions: { gateway: jlis, journal: new RenewalJournal(db), audit: new AuditChain(db, { terminalId: options.terminalId }), now },
    ...(reader ? { demo: trainerTools(reader, jlis, now) } : {}),
    jlis,
    close() {
      db.close();
      jlis.close();
      if (practiceDir) rmSync(practiceDir, { recursive: true, force: true });
    },
  };
}

function trainerTools(reader: VirtualReader, jlis: SimulatedJlis, now: () => Date) {
  const personas = listPersonas();
  let persona: string | undefined;
  let pulled: VirtualMyNumberCard | undefined;
  let inReader: VirtualMyNumberCard | undefined;
  let service: DemoFaults['service'] = 'up';
  let unplugged = false;

  const setService = (next: typeof service) => {
    service = next;
    jlis.clearFaults();
    if (next === 'down') jlis.setFault('*', { kind: 'unavailable' });
    if (next === 'slow') jlis.setFault('*', { kind: 'latency', ms: SLOW_SERVICE_MS });
  };

  return {
    personas: personas.map(({ id, title, description }) => ({ id, title, description })),
    async insert(personaId: string): Promise<void> {
      const chosen = personas.find((candidate) => candidate.id === personaId);
      if (!chosen) throw new RangeError(`no persona "${personaId}"`);
      // The persona's dates count from the world's today, so a practice day keeps every edge case where it belongs.
      const resolved = resolvePersona(chosen, japanDate(now()));
      const image = await buildCardImage(resolved, jlis.ca);
      if (image.jpki?.authentication.certificate) jlis.enrol(resolved, image);
      const card = new VirtualMyNumberCard(image);
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
