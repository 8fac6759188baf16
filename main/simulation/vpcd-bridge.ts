import { connect, type Socket } from 'node:net';
import type { VirtualCard } from '../card/virtual-reader';
import { silentLogger, type Logger } from '../base/log';

/**
 * Puts a virtual card into a real PC/SC reader through vsmartcard's vpcd
 * driver: the card side connects to vpcd's TCP port, and being connected is
 * "card inserted". Frames both ways are a 2-byte big-endian length and a
 * payload; one-byte payloads from vpcd are control messages, longer ones are
 * command APDUs answered with response APDUs.
 *
 * Run it in its own process or worker, never on the thread of a PC/SC client
 * of the same pcscd: a synchronous disconnect with reset waits for this side.
 */

export const VPCD_DEFAULT_PORT = 35963;

const CONTROL = { powerOff: 0x00, powerOn: 0x01, reset: 0x02, getAtr: 0x04 } as const;

export interface VpcdBridgeOptions {
  card: VirtualCard;
  host?: string;
  port?: number;
  log?: Logger;
}

export class VpcdBridge {
  private socket: Socket | undefined;
  private pending = Buffer.alloc(0);
  private readonly log: Logger;
  /** APDUs answered since the last insertion (benchmarks and fault tests read it). */
  apduCount = 0;

  constructor(private readonly options: VpcdBridgeOptions) {
    this.log = options.log ?? silentLogger;
  }

  get inserted(): boolean {
    return this.socket !== undefined;
  }

  /** Connects to vpcd: the card is in the reader once this resolves. */
  insert(): Promise<void> {
    if (this.socket) return Promise.resolve();
    const host = this.options.host ?? '127.0.0.1';
    const port = this.options.port ?? VPCD_DEFAULT_PORT;
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', (error) => this.log.warn('vpcd.socket-error', { message: error.message }));
        this.socket = socket;
        this.pending = Buffer.alloc(0);
        this.apduCount = 0;
        this.log.info('vpcd.inserted', { host, port });
        resolve();
      });
      socket.once('error', (error) =>
        reject(new Error(`cannot reach vpcd at ${host}:${port} (${error.message}); is pcscd running with the vpcd driver?`)),
      );
      socket.on('data', (chunk) => this.receive(socket, chunk));
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        // Pulled from the reader: the card loses power.
        this.options.card.powerDown();
      });
    });
  }

  /** Closes the connection: the reader sees the card removed. */
  async remove(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      socket.destroySoon();
    });
    this.log.info('vpcd.removed');
  }

  private receive(socket: Socket, chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + length) return;
      const payload = this.pending.subarray(2, 2 + length);
      this.pending = this.pending.subarray(2 + length);
      const answer = this.handle(payload);
      if (answer) socket.write(frame(answer));
    }
  }

  private handle(payload: Buffer): Uint8Array | undefined {
    if (payload.length === 1) {
      switch (payload[0]) {
        case CONTROL.powerOff:
        case CONTROL.reset:
          this.options.card.powerDown();
          return undefined;
        case CONTROL.powerOn:
          return undefined;
        case CONTROL.getAtr:
          return this.options.card.atr;
        default:
          this.log.warn('vpcd.unknown-control', { code: payload[0] });
          return undefined;
      }
    }
    this.apduCount++;
    return this.options.card.transmit(new Uint8Array(payload));
  }
}

function frame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + payload.length);
  out.writeUInt16BE(payload.length, 0);
  out.set(payload, 2);
  return out;
}
