import type { Command, CommandResult, KioskEvent, ReaderStatus, ViewState } from '../preload/contract';
import { parseCommand } from '../preload/contract';
import type { TerminalConfig } from './config';
import type { Logger } from './log';
import { PcscReader } from './card/pcsc-reader';
import type { CardReader } from './card/reader';
import { ReaderStatusService } from './card/reader-status';
import { VirtualReader } from './card/virtual-reader';
import type { IssuanceGateway } from './issuance/gateway';
import { CustomerSession } from './session/session-runner';
import type { AuditChain } from './store/audit';
import type { RenewalJournal } from './store/journal';

export type KioskEventListener = (event: KioskEvent) => void;

/** What a customer session needs besides the card: the issuing service and the records. */
export interface SessionServices {
  gateway: IssuanceGateway;
  journal: RenewalJournal;
  audit: AuditChain;
  now?: () => Date;
}

/** The demo's hands on the virtual reader: a trainer inserts a persona's card or takes it out. */
export interface DemoCards {
  personas: NonNullable<ViewState['demo']>['personas'];
  insert(personaId: string): Promise<void>;
  remove(): void;
}

/**
 * The composition root: builds the services a terminal profile needs and is
 * the one object both transports (Electron IPC and the web bridge) talk to.
 * It owns the view-state; the renderer only ever receives copies of it.
 */
export class Kiosk {
  private readonly readerStatus: ReaderStatusService;
  private readonly listeners = new Set<KioskEventListener>();
  private state: ViewState;

  private session: CustomerSession | undefined;

  constructor(
    readonly config: TerminalConfig,
    readonly reader: CardReader,
    private readonly log: Logger,
    private readonly options: { sessions?: SessionServices; demo?: DemoCards } = {},
  ) {
    this.readerStatus = new ReaderStatusService(reader);
    this.state = {
      profile: config.profile,
      cardSource: reader.kind,
      screen: 'attract',
      language: config.defaultLanguage,
      reader: this.readerStatus.status,
      ...(options.demo && config.profile === 'demo' ? { demo: { personas: options.demo.personas } } : {}),
    };
  }

  start(): void {
    this.readerStatus.subscribe((status) => {
      this.log.info('reader-status', { state: status.state });
      this.state = { ...this.state, reader: status };
      this.followCard(status);
      this.emit({ type: 'reader', status });
      this.emitSnapshot();
    });
    this.readerStatus.start();
  }

  /**
   * A card in the reader starts a customer session; the card leaving tells it.
   * A session waiting for its card (pulled mid-renewal) gets it back instead
   * of a new session starting.
   */
  private followCard(status: ReaderStatus): void {
    const services = this.options.sessions;
    if (!services) return;
    if (status.state === 'card_present') {
      if (this.session) {
        this.session.cardInserted();
        return;
      }
      const reader = status.reader;
      const session = new CustomerSession({
        profile: this.config.profile,
        connect: () => this.reader.connect(reader, { exclusive: true }),
        ...services,
      });
      this.session = session;
      session.subscribe((view) => {
        if (this.session !== session) return;
        this.state = { ...this.state, screen: 'session', session: view };
        this.emitSnapshot();
      });
      void session.done.then((result) => {
        this.log.info('session-ended', { end: result.end });
        if (this.session !== session) return;
        this.session = undefined;
        const { session: _ended, ...rest } = this.state;
        this.state = { ...rest, screen: 'attract' };
        this.emitSnapshot();
      });
      return;
    }
    this.session?.cardRemoved();
  }

  async stop(): Promise<void> {
    await this.readerStatus.stop();
    this.listeners.clear();
  }

  snapshot(): ViewState {
    return structuredClone(this.state);
  }

  subscribe(listener: KioskEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Untrusted input from either transport enters here and nowhere else: it is
   * validated against the contract, and a refusal is logged by kind — never
   * with the payload, which in later commands may carry a PIN.
   */
  receive(input: unknown, transport: 'ipc' | 'web'): CommandResult {
    const parsed = parseCommand(input);
    if (!parsed.ok) {
      this.log.warn('command-refused', { transport, reason: parsed.error });
      return { ok: false, error: parsed.error };
    }
    try {
      return this.handle(parsed.command);
    } catch (error) {
      this.log.error('command-failed', { transport, command: parsed.command.type, error: (error as Error).name });
      return { ok: false, error: 'internal-error' };
    }
  }

  /** After a renderer crash or hang the new page starts from the attract screen. */
  returnToAttract(cause: string): void {
    this.log.warn('return-to-attract', { cause });
    this.state = { ...this.state, screen: 'attract', language: this.config.defaultLanguage };
    this.emitSnapshot();
  }

  private handle(command: Command): CommandResult {
    switch (command.type) {
      case 'VIEW_READY':
        this.emitSnapshot();
        return { ok: true };
      case 'SET_LANGUAGE':
        this.state = { ...this.state, language: command.language };
        this.emitSnapshot();
        return { ok: true };
      case 'SESSION':
        if (!this.session) return { ok: false, error: 'not-now' };
        this.session.send(command.intent);
        return { ok: true };
      case 'DEMO_INSERT_CARD': {
        const demo = this.options.demo;
        if (!demo || !demo.personas.some((persona) => persona.id === command.persona)) return { ok: false, error: 'not-now' };
        demo.insert(command.persona).catch((error: unknown) => this.log.error('demo-insert-failed', { persona: command.persona, error: (error as Error).name }));
        return { ok: true };
      }
      case 'DEMO_REMOVE_CARD':
        if (!this.options.demo) return { ok: false, error: 'not-now' };
        this.options.demo.remove();
        return { ok: true };
    }
  }

  private emitSnapshot(): void {
    this.emit({ type: 'snapshot', state: this.snapshot() });
  }

  private emit(event: KioskEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** Picks the reader stack the config asks for; a demo terminal never opens PC/SC. */
export function createKiosk(config: TerminalConfig, log: Logger, reader?: CardReader): Kiosk {
  const chosen = reader ?? (config.cardSource === 'pcsc' ? new PcscReader({ log }) : new VirtualReader());
  return new Kiosk(config, chosen, log);
}
