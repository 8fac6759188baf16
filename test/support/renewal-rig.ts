import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IssuerChannelClient } from '../../main/card/issuer-channel-client';
import type { CardConnection } from '../../main/card/reader';
import { ReaderError } from '../../main/card/reader-errors';
import { VIRTUAL_READER_NAME, VirtualReader } from '../../main/card/virtual-reader';
import type { CardImage } from '../../main/simulation/card/card-image';
import { listPersonas, type ResolvedPersona } from '../../main/simulation/personas';
import { VirtualMyNumberCard } from '../../main/simulation/card/virtual-my-number-card';
import type { SimulatedJlis } from '../../main/simulation/jlis/service';
import { openSimulatedWorld } from '../../main/simulation/world';
import type { IssuanceGateway } from '../../main/issuance/gateway';
import type { RenewalContext } from '../../main/session/renewal';
import type { AuditChain } from '../../main/store/audit';
import type { CardIdentity, RenewalJournal } from '../../main/store/journal';

/**
 * Everything a renewal needs, wired as the kiosk wires it but in one process:
 * the simulated J-LIS, a kiosk database with journal and audit chain, and a
 * persona's virtual card in the virtual reader.
 */
export interface Rig {
  dir: string;
  jlis: SimulatedJlis;
  journal: RenewalJournal;
  audit: AuditChain;
  card(personaId?: string): Promise<RigCard>;
  /** A standard card made into another by `change` (a card the rig could not enrol), in its reader; `image` stays the enrolled one. */
  cardAs(change: (jpki: NonNullable<CardImage['jpki']>) => CardImage['jpki']): Promise<RigCard>;
  issuesPerRenewal(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** `database`: the simulated J-LIS's records on that PostgreSQL server (shared with a service process) instead of its own PGlite. */
export async function renewalRig(options: { database?: string } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'myna-kiosk-renewal-'));
  const world = await openSimulatedWorld({
    terminalId: 'test-kiosk',
    simDir: join(dir, 'jlis'),
    dbPath: join(dir, 'kiosk.sqlite'),
    ...(options.database ? { database: options.database } : {}),
  });
  const rig: Rig = {
    dir,
    jlis: world.jlis,
    journal: world.journal,
    audit: world.audit,
    /** A fresh card for the persona (new keys), enrolled at the simulated J-LIS. */
    async card(personaId = 'standard-in-window') {
      const persona = listPersonas().find((candidate) => candidate.id === personaId);
      if (!persona) throw new Error(`no persona ${personaId}`);
      const { persona: resolved, image } = await world.freshCard(persona);
      return new RigCard(resolved, image, rig);
    },
    async cardAs(change) {
      const card = await rig.card('standard-in-window');
      card.reader.remove();
      card.reader.insert(new VirtualMyNumberCard({ ...card.image, jpki: change(card.image.jpki!) }));
      return card;
    },
    /** How many certificate sets the service issued under each renewal id (at most one is the rule). */
    issuesPerRenewal: () => world.jlis.issuesPerRenewal(),
    close: async () => {
      await world.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

export class RigCard {
  readonly card: VirtualMyNumberCard;
  readonly reader = new VirtualReader();
  readonly identity: CardIdentity;

  constructor(
    readonly persona: ResolvedPersona,
    readonly image: CardImage,
    private readonly rig: Rig,
  ) {
    this.card = new VirtualMyNumberCard(image);
    this.reader.insert(this.card);
    this.identity = {
      tokenLabel: image.jpki!.tokenLabel,
      authenticationSerial: serialOf(image.jpki!.authentication.certificate!),
      ...(image.jpki!.signature.certificate ? { signatureSerial: serialOf(image.jpki!.signature.certificate) } : {}),
    };
  }

  /** A client on a fresh connection; `pullBefore` makes the card leave the reader just before that APDU (0-based). */
  async client(options: { pullBefore?: number } = {}): Promise<{ client: IssuerChannelClient; apdus: () => number }> {
    if (!this.reader.hasCard) this.reader.insert(this.card);
    const connection = await this.reader.connect(VIRTUAL_READER_NAME, { exclusive: true });
    let sent = 0;
    const counted: CardConnection = {
      reader: connection.reader,
      atr: connection.atr,
      disconnect: (o) => connection.disconnect(o),
      transmit: async (command) => {
        if (options.pullBefore === sent) {
          this.reader.remove();
          throw new ReaderError('card-removed', 'the card was pulled');
        }
        sent++;
        return connection.transmit(command);
      },
    };
    return { client: new IssuerChannelClient(counted), apdus: () => sent };
  }

  /** The PINs a resident at the terminal would have verified before the renewal. */
  async verifyPins(client: IssuerChannelClient): Promise<void> {
    const pins = this.persona.pins!;
    await client.verify('authentication', pins.authentication!.value);
    if (this.hasSignature) await client.verify('signature', pins.signature!.value);
  }

  get hasSignature(): boolean {
    return this.image.jpki!.signature.certificate !== undefined;
  }

  context(client: IssuerChannelClient): RenewalContext {
    const { journal, jlis } = this.rig;
    return {
      client,
      gateway: jlis,
      journal,
      now: () => new Date(),
      replaceRenewal: (renewalId) => {
        journal.abandon(renewalId, 'rolled-back');
        return journal.beginRenewal(this.identity, 'in-person');
      },
    };
  }

  /** Which set the card holds now: each key with its own certificate, both old or both new. */
  heldSet(): 'old' | 'new' | 'mixed' {
    const jpki = this.card.snapshot().jpki!;
    const slots = this.hasSignature ? (['authentication', 'signature'] as const) : (['authentication'] as const);
    const kinds = slots.map((slot) => {
      const { privateKey, certificate } = jpki[slot];
      if (!privateKey || !certificate) return 'mixed';
      const certificateKey = new X509Certificate(Buffer.from(certificate, 'base64')).publicKey.export({ type: 'spki', format: 'der' });
      const cardKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
      if (!certificateKey.equals(cardKey)) return 'mixed';
      return certificate === this.image.jpki![slot].certificate ? 'old' : 'new';
    });
    return kinds.every((kind) => kind === kinds[0]) ? kinds[0]! : 'mixed';
  }
}

function serialOf(base64Der: string): string {
  return new X509Certificate(Buffer.from(base64Der, 'base64')).serialNumber.toUpperCase();
}

/**
 * `target` with some of its methods answered by `overrides` instead; every
 * other method still runs on `target` itself (its private fields need it).
 */
export function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(original, property) {
      if (property in overrides) return overrides[property as keyof T];
      const value: unknown = Reflect.get(original, property, original);
      return typeof value === 'function' ? value.bind(original) : value;
    },
  });
}

/** `gateway` counting the resident look-ups it is asked for; `answer` answers them (by default `gateway` itself). */
export function countingLookups(
  gateway: IssuanceGateway,
  answer: IssuanceGateway['lookupResident'] = (serial) => gateway.lookupResident(serial),
): { gateway: IssuanceGateway; asked: () => number } {
  let asked = 0;
  const counting = overriding(gateway, {
    lookupResident: (serial) => {
      asked++;
      return answer(serial);
    },
  });
  return { gateway: counting, asked: () => asked };
}
