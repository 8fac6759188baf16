import { EventEmitter } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback between the kiosk's HTTPS client and the issuing
 * service, for network-fault tests (docs/issuing-service.md, "Network
 * faults"). TLS runs end to end through it — the service still sees the
 * terminal's own certificate — so the proxy cannot read HTTP. It finds the
 * request and the answer by the TLS record layer instead:
 *
 * - Every TLS record starts with a 5-byte clear header: content type
 *   (20 change-cipher-spec, 21 alert, 22 handshake, 23 application data),
 *   version, length. The proxy parses both byte streams into records.
 * - Under TLS 1.2 the handshake travels in type-22 records, so the first
 *   application-data record a client sends is its HTTP request, and the
 *   first application-data record the service sends after it is the
 *   beginning of the answer (HTTP/1.1 from Node's agent: no pipelining, one
 *   request at a time per connection). The next client application data on
 *   the same connection is the next request.
 * - Under TLS 1.3 the handshake itself is application data on the wire, and
 *   session tickets arrive unasked, so requests and answers cannot be told
 *   from it. The client must therefore offer TLS 1.2 at most
 *   (`IssuingServiceClient`'s `maxTlsVersion`). A service that sends
 *   application data before the client ever did is not speaking TLS 1.2:
 *   the proxy cuts that connection and records the problem (`problems`), so
 *   a misconfigured test fails instead of cutting the wrong bytes.
 *
 * Faults are armed per request ("the next request"), in order, each for
 * `times` requests or until `disarm()`. What each does:
 *
 * - `cut`: the connection is cut (TCP reset) as the request arrives; the
 *   service never sees it.
 * - `drop`: the request is swallowed: never forwarded, never answered; the
 *   connection stays open until the client gives up.
 * - `delay-request`: the request reaches the service `ms` later (also when
 *   the client gave up meanwhile: bytes in flight still arrive).
 * - `delay-answer`: the answer reaches the client `ms` later.
 * - `trickle-answer`: the answer reaches the client `bytes` at a time, one
 *   piece every `everyMs` (the connection is never idle, the answer never
 *   complete in time).
 * - `cut-after-answer`: the request is forwarded, the service carries it
 *   out and answers; the client's connection is cut (reset) as the first
 *   byte of the answer reaches the proxy, so none of it reaches the client.
 *
 * `setMode('refuse')` cuts every new connection at once (nothing listening
 * behind), `setMode('blackhole')` accepts them and forwards nothing.
 * `retarget(port)` points it at a restarted service.
 *
 * Bounded: loopback only, every connection ends after `maxConnectionMs`,
 * and `close()` ends everything it opened.
 */

export type ProxyFault =
  | { kind: 'cut' }
  | { kind: 'drop' }
  | { kind: 'delay-request'; ms: number }
  | { kind: 'delay-answer'; ms: number }
  | { kind: 'trickle-answer'; bytes: number; everyMs: number }
  | { kind: 'cut-after-answer' };

export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

export interface FaultProxyOptions {
  /** The service's port on 127.0.0.1. */
  targetPort: number;
  /** Longest a connection is kept, whatever happens (default 60 s). */
  maxConnectionMs?: number;
}

/** What the proxy did with one request. */
export interface ProxyExchange {
  connection: number;
  request: number;
  fault: ProxyFault['kind'] | 'none';
  /** The first byte of the service's answer reached the proxy. */
  answered: boolean;
  /** The answer was cut before any of it reached the client. */
  answerCut: boolean;
}

const TLS_TYPES = new Set([20, 21, 22, 23, 24]);
const APPLICATION_DATA = 23;
const LOOPBACK = '127.0.0.1';

/** Splits one direction's byte stream into pieces, each tagged with the type of the TLS record it starts, if it starts one. */
class RecordSplitter {
  #header = Buffer.alloc(0);
  #bodyLeft = 0;

  split(chunk: Buffer): { bytes: Buffer; starts?: number }[] {
    const pieces: { bytes: Buffer; starts?: number }[] = [];
    let from = 0;
    let at = 0;
    let starts: number | undefined;
    const flush = () => {
      if (at > from) pieces.push({ bytes: chunk.subarray(from, at), ...(starts === undefined ? {} : { starts }) });
      from = at;
      starts = undefined;
    };
    while (at < chunk.length) {
      if (this.#bodyLeft > 0) {
        const n = Math.min(this.#bodyLeft, chunk.length - at);
        this.#bodyLeft -= n;
        at += n;
        continue;
      }
      if (this.#header.length === 0) {
        flush();
        const type = chunk[at]!;
        if (!TLS_TYPES.has(type)) throw new Error(`not a TLS record (type byte ${type})`);
        starts = type;
      }
      const need = 5 - this.#header.length;
      const take = chunk.subarray(at, at + need);
      this.#header = Buffer.concat([this.#header, take]);
      at += take.length;
      if (this.#header.length === 5) {
        if (this.#header[1] !== 3) throw new Error('not a TLS record (version)');
        this.#bodyLeft = this.#header.readUInt16BE(3);
        this.#header = Buffer.alloc(0);
      }
    }
    flush();
    return pieces;
  }
}

const sleep = (ms: number, timers: Set<NodeJS.Timeout>) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timers.add(timer);
  });

/** One client connection and its connection to the service. */
class ProxiedConnection {
  readonly #proxy: FaultProxy;
  readonly #client: Socket;
  readonly #upstream: Socket;
  readonly #id: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #toService = Promise.resolve();
  #toClient = Promise.resolve();
  #fromClient = new RecordSplitter();
  #fromService = new RecordSplitter();
  #phase: 'handshake' | 'requesting' | 'answering' = 'handshake';
  #exchange: ProxyExchange | undefined;
  #fault: ProxyFault | undefined;
  #blackhole: boolean;
  #closed = false;

  constructor(proxy: FaultProxy, client: Socket, id: number, targetPort: number, blackhole: boolean, maxMs: number) {
    this.#proxy = proxy;
    this.#client = client;
    this.#id = id;
    this.#blackhole = blackhole;
    this.#upstream = createConnection({ host: LOOPBACK, port: targetPort });
    for (const socket of [client, this.#upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => this.destroy());
      socket.on('close', () => this.#ended(socket));
    }
    client.on('data', (chunk: Buffer) => this.#fromClientData(chunk));
    this.#upstream.on('data', (chunk: Buffer) => this.#fromServiceData(chunk));
    const limit = setTimeout(() => this.destroy(), maxMs);
    this.#timers.add(limit);
  }

  /** One side went away: what the other side was still owed is delivered, then it goes too (as TCP would). */
  #ended(socket: Socket): void {
    if (this.#closed) return;
    if (socket === this.#client) void this.#toService.then(() => this.#upstream.end());
    else void this.#toClient.then(() => this.#client.end());
    void Promise.all([this.#toService, this.#toClient]).then(() => {
      if (this.#client.destroyed && this.#upstream.destroyed) this.destroy();
    });
  }

  /** The chunk as TLS records, or undefined (and the connection cut) when it is not TLS or not forwarded. */
  #records(splitter: RecordSplitter, chunk: Buffer, from: string): { bytes: Buffer; starts?: number }[] | undefined {
    if (this.#closed || this.#blackhole) return undefined;
    try {
      return splitter.split(chunk);
    } catch (error) {
      this.#problem(`from the ${from}: ${(error as Error).message}`);
      return undefined;
    }
  }

  #fromClientData(chunk: Buffer): void {
    const pieces = this.#records(this.#fromClient, chunk, 'client');
    if (!pieces) return;
    for (const piece of pieces) {
      if (piece.starts === APPLICATION_DATA && this.#phase !== 'requesting') this.#newRequest();
      if (this.#closed || this.#blackhole) return;
      const delay = piece.starts === APPLICATION_DATA && this.#fault?.kind === 'delay-request' ? this.#fault.ms : 0;
      this.#toService = this.#toService.then(async () => {
        if (delay > 0) await sleep(delay, this.#timers);
        if (!this.#upstream.destroyed) this.#upstream.write(piece.bytes);
      });
    }
  }

  #newRequest(): void {
    this.#phase = 'requesting';
    this.#fault = this.#proxy.takeFault();
    this.#exchange = {
      connection: this.#id,
      request: this.#proxy.exchanges.length + 1,
      fault: this.#fault?.kind ?? 'none',
      answered: false,
      answerCut: false,
    };
    this.#proxy.exchanges.push(this.#exchange);
    this.#proxy.emit('request', this.#exchange);
    if (this.#fault?.kind === 'cut') this.destroy({ reset: true });
    else if (this.#fault?.kind === 'drop') this.#blackhole = true;
  }

  #fromServiceData(chunk: Buffer): void {
    const pieces = this.#records(this.#fromService, chunk, 'service');
    if (!pieces) return;
    for (const piece of pieces) {
      if (piece.starts === APPLICATION_DATA) {
        if (this.#phase === 'handshake') {
          return this.#problem('the service sent application data before any request: not TLS 1.2 (pin the client to TLS 1.2)');
        }
        if (this.#phase === 'requesting') {
          this.#phase = 'answering';
          const exchange = this.#exchange!;
          exchange.answered = true;
          if (this.#fault?.kind === 'cut-after-answer') {
            exchange.answerCut = true;
            this.destroy({ reset: true });
            this.#proxy.emit('answer-cut', exchange);
            return;
          }
          this.#proxy.emit('answer', exchange);
        }
      }
      const fault = this.#phase === 'answering' ? this.#fault : undefined;
      this.#toClient = this.#toClient.then(async () => {
        if (fault?.kind === 'delay-answer' && piece.starts === APPLICATION_DATA) await sleep(fault.ms, this.#timers);
        if (fault?.kind === 'trickle-answer') {
          for (let at = 0; at < piece.bytes.length && !this.#client.destroyed; at += fault.bytes) {
            this.#client.write(piece.bytes.subarray(at, at + fault.bytes));
            await sleep(fault.everyMs, this.#timers);
          }
          return;
        }
        if (!this.#client.destroyed) this.#client.write(piece.bytes);
      });
    }
  }

  #problem(what: string): void {
    this.#proxy.problems.push(`connection ${this.#id}: ${what}`);
    this.destroy({ reset: true });
  }

  destroy(options: { reset?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (options.reset && !this.#client.destroyed) this.#client.resetAndDestroy();
    else this.#client.destroy();
    this.#upstream.destroy();
    this.#proxy.forget(this);
  }
}

export class FaultProxy extends EventEmitter {
  readonly #server: Server;
  readonly #connections = new Set<ProxiedConnection>();
  readonly #armed: { fault: ProxyFault; left: number | undefined }[] = [];
  readonly #maxConnectionMs: number;
  #targetPort: number;
  #mode: ProxyMode = 'pass';
  #connectionCount = 0;
  /** Every request seen, in order, with what was done to it. */
  readonly exchanges: ProxyExchange[] = [];
  /** What the proxy could not make sense of (should stay empty). */
  readonly problems: string[] = [];

  private constructor(options: FaultProxyOptions) {
    super();
    this.#targetPort = options.targetPort;
    this.#maxConnectionMs = options.maxConnectionMs ?? 60_000;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen({ host: LOOPBACK, port: 0 }, resolve);
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The proxy's address for the client (the service's certificate names 127.0.0.1). */
  get url(): string {
    return `https://${LOOPBACK}:${this.port}`;
  }

  /** Arms a fault for the next `times` requests (default 1; `Infinity` until disarmed), after those armed before it. */
  arm(fault: ProxyFault, times = 1): void {
    if (!(times >= 1)) throw new RangeError('times is at least 1');
    this.#armed.push({ fault: { ...fault }, left: Number.isFinite(times) ? times : undefined });
  }

  /** Removes every armed fault not yet used. */
  disarm(): void {
    this.#armed.length = 0;
  }

  /** How many requests the armed faults still apply to (Infinity when one is armed until disarmed). */
  get armed(): number {
    return this.#armed.reduce((sum, entry) => sum + (entry.left ?? Infinity), 0);
  }

  setMode(mode: ProxyMode): void {
    this.#mode = mode;
  }

  /** New connections go to this port on 127.0.0.1 (a restarted service). */
  retarget(port: number): void {
    this.#targetPort = port;
  }

  /** @internal The fault for the request now arriving. */
  takeFault(): ProxyFault | undefined {
    const entry = this.#armed[0];
    if (!entry) return undefined;
    if (entry.left !== undefined && --entry.left === 0) this.#armed.shift();
    return entry.fault;
  }

  /** @internal */
  forget(connection: ProxiedConnection): void {
    this.#connections.delete(connection);
  }

  /** Cuts every open connection (the kept-alive ones too). */
  cutAll(): void {
    for (const connection of [...this.#connections]) connection.destroy({ reset: true });
  }

  #accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.#mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const connection = new ProxiedConnection(
      this,
      client,
      ++this.#connectionCount,
      this.#targetPort,
      this.#mode === 'blackhole',
      this.#maxConnectionMs,
    );
    this.#connections.add(connection);
  }

  async close(): Promise<void> {
    this.disarm();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.cutAll();
    await closed;
  }
}
