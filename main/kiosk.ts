import type { Command, CommandResult, KioskEvent, ViewState } from '../preload/contract';
import { parseCommand } from '../preload/contract';
import type { TerminalConfig } from './config';
import type { Logger } from './log';
import { PcscReader } from './card/pcsc-reader';
import type { CardReader } from './card/reader';
import { ReaderStatusService } from './card/reader-status';
import { VirtualReader } from './card/virtual-reader';

export type KioskEventListener = (event: KioskEvent) => void;

/**
 * The composition root: builds the services a terminal profile needs and is
 * the one object both transports (Electron IPC and the web bridge) talk to.
 * It owns the view-state; the renderer only ever receives copies of it.
 */
export class Kiosk {
  private readonly readerStatus: ReaderStatusService;
  private readonly listeners = new Set<KioskEventListener>();
  private state: ViewState;

  constructor(
    readonly config: TerminalConfig,
    readonly reader: CardReader,
    private readonly log: Logger,
  ) {
    this.readerStatus = new ReaderStatusService(reader);
    this.state = {
      profile: config.profile,
      cardSource: reader.kind,
      screen: 'attract',
      language: config.defaultLanguage,
      reader: this.readerStatus.status,
    };
  }

  start(): void {
    this.readerStatus.subscribe((status) => {
      this.log.info('reader-status', { state: status.state });
      this.state = { ...this.state, reader: status };
      this.emit({ type: 'reader', status });
      this.emitSnapshot();
    });
    this.readerStatus.start();
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
