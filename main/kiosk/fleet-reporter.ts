import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import type { Logger } from '../base/log';
import type { AuditBatchResponse, FleetChannel, Heartbeat } from '../issuance/fleet-wire';
export type { FleetChannel } from '../issuance/fleet-wire';
import { AUDIT_BATCH_MAX } from '../issuance/fleet-wire';
import type { AuditChain } from '../store/audit';
import type { AuditOutbox } from '../store/audit-outbox';

/**
 * What a terminal tells its issuing service about itself (docs/fleet.md):
 *
 * - **Audit shipping.** The outbox (store/audit-outbox.ts) is delivered in
 *   seq order, at least once; the service deduplicates by (terminal, seq).
 *   While the service is away the reporter waits (backoff with full jitter,
 *   up to `maxBackoffMs`) and tries again; nothing here is ever awaited by
 *   a resident's session. A restart resumes from the acknowledged cursor.
 * - **Conflicts.** When the service says a delivery does not continue the
 *   chain it holds, the reporter finds where the two copies part (comparing
 *   hashes) and delivers its rows from there, so the service names the
 *   first row that differs; then it stops shipping (state `conflict`) and
 *   tries again only after `conflictRetryMs`. A person must look.
 * - **Heartbeat.** Every `heartbeatMs` (30 s by default): app version,
 *   config fingerprint, reader, printer, session in progress, the last
 *   session's ending, clock offset from the service, free disk, outbox
 *   backlog and state, and the local chain's head (the service compares it
 *   with its copy: a chain rolled back on the terminal shows there).
 */

/** What the terminal itself knows at a heartbeat (the Kiosk's `health()`). */
export type TerminalHealthNow = Pick<Heartbeat, 'profile' | 'reader' | 'printer' | 'sessionInProgress' | 'lastSessionEnd'>;

export interface FleetReporterOptions {
  channel: FleetChannel;
  outbox: AuditOutbox;
  audit: AuditChain;
  health: () => TerminalHealthNow;
  appVersion: string;
  configFingerprint: string;
  /** Free bytes on the records' disk, or null when unknown. */
  freeDisk: () => Promise<number | null>;
  log: Logger;
  heartbeatMs?: number;
  /**
   * How often the outbox is delivered besides at each session's end
   * (`shipSoon`), default 30 s: a session's rows then travel together, in
   * one delivery, rather than a few at a time — the service's cost is
   * mostly per delivery (docs/performance.md).
   */
  shipPollMs?: number;
  /** First wait after a failed delivery, doubled each time up to maxBackoffMs (with full jitter). */
  backoffMs?: number;
  maxBackoffMs?: number;
  conflictRetryMs?: number;
  /** How long rows of a session under way may wait for its end before a poll delivers them anyway (default 5 min). */
  maxHoldMs?: number;
  now?: () => Date;
}

export type OutboxState = Heartbeat['outbox']['state'];

/** The outbox's delivery besides each session's end (see FleetReporterOptions.shipPollMs). */
export const DEFAULT_SHIP_POLL_MS = 30_000;

export class FleetReporter {
  readonly #options: Required<Omit<FleetReporterOptions, 'now'>> & { now: () => Date };
  #state: OutboxState = 'shipping';
  #failures = 0;
  #clockOffsetMs: number | null = null;
  #shipTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #shipping: Promise<void> | undefined;
  #beating: Promise<boolean> | undefined;
  #stopped = true;
  #unfollow: (() => void) | undefined;
  #sessionEnded = false;

  constructor(options: FleetReporterOptions) {
    this.#options = {
      heartbeatMs: 30_000,
      shipPollMs: DEFAULT_SHIP_POLL_MS,
      backoffMs: 1_000,
      maxBackoffMs: 5 * 60_000,
      conflictRetryMs: 10 * 60_000,
      maxHoldMs: 5 * 60_000,
      now: () => new Date(),
      ...options,
    };
  }

  get state(): OutboxState {
    return this.#state;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#scheduleShip(0);
    void this.sendHeartbeat();
    this.#heartbeatTimer = setInterval(() => void this.sendHeartbeat(), this.#options.heartbeatMs);
    this.#heartbeatTimer.unref?.();
  }

  /**
   * Delivers soon, without waiting for the next poll: a session has ended
   * and its rows are complete. Not while the reporter waits out a chain
   * conflict.
   */
  shipSoon(): void {
    if (this.#state === 'conflict') return;
    // Even if the next session has begun by the time the pass runs: these rows are the ended session's.
    this.#sessionEnded = true;
    this.#scheduleShip(0);
  }

  /** Delivers at the end of each of the kiosk's sessions (their rows complete), until stopped. */
  followSessions(kiosk: { health(): TerminalHealthNow; subscribe(listener: () => void): () => void }): void {
    let inSession = kiosk.health().sessionInProgress;
    this.#unfollow?.();
    this.#unfollow = kiosk.subscribe(() => {
      const now = kiosk.health().sessionInProgress;
      if (inSession && !now) this.shipSoon();
      inSession = now;
    });
  }

  /** Stops the timers and waits for a delivery under way; what is left stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unfollow?.();
    this.#unfollow = undefined;
    clearTimeout(this.#shipTimer);
    clearInterval(this.#heartbeatTimer);
    await this.#shipping;
  }

  /**
   * Delivers everything pending now (one pass: batches until the outbox is
   * empty, the service is away, or a conflict). Returns how many rows the
   * service took. Never throws: a failure is the state and the log's.
   */
  async ship(): Promise<number> {
    // Never beside a heartbeat (see sendHeartbeat).
    while (this.#shipping || this.#beating) await (this.#shipping ?? this.#beating);
    let accepted = 0;
    const run = (async () => {
      accepted = await this.#shipPending();
    })();
    this.#shipping = run;
    try {
      await run;
    } finally {
      this.#shipping = undefined;
    }
    return accepted;
  }

  /**
   * One heartbeat now; false when the service did not take it. Never beside
   * a delivery: a head read before rows go out but compared by the service
   * after they arrive would look like a chain rolled back. One at a time.
   */
  async sendHeartbeat(): Promise<boolean> {
    if (this.#beating) return this.#beating;
    while (this.#shipping) await this.#shipping;
    if (this.#beating) return this.#beating;
    const run = this.#heartbeat();
    this.#beating = run;
    try {
      return await run;
    } finally {
      this.#beating = undefined;
    }
  }

  async #heartbeat(): Promise<boolean> {
    try {
      const head = this.#options.audit.head();
      const report: Heartbeat = {
        appVersion: this.#options.appVersion,
        configFingerprint: this.#options.configFingerprint,
        ...this.#options.health(),
        clockOffsetMs: this.#clockOffsetMs,
        freeDiskBytes: await this.#options.freeDisk(),
        outbox: { backlog: this.#options.outbox.backlog(), state: this.#state },
        auditHead: head,
        auditChain: this.#options.outbox.chainId(),
        sentAt: this.#options.now().toISOString(),
      };
      const sent = Date.now();
      const answer = await this.#options.channel.heartbeat(report);
      const received = Date.now();
      // The service's clock was read about half-way through the round trip.
      this.#clockOffsetMs = Math.round(sent + (received - sent) / 2 - Date.parse(answer.serviceTime));
      return true;
    } catch (error) {
      this.#options.log.warn('heartbeat-failed', { error: (error as Error).name });
      return false;
    }
  }

  #scheduleShip(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#shipTimer);
    this.#shipTimer = setTimeout(() => {
      const forced = this.#sessionEnded;
      this.#sessionEnded = false;
      const pass = !forced && this.#holdingForSession() ? Promise.resolve(0) : this.ship();
      void pass.then(() => this.#scheduleShip(this.#nextWait()));
    }, ms);
    this.#shipTimer.unref?.();
  }

  /**
   * A session is under way and its rows are not old: they go together at its
   * end (`shipSoon`) rather than a few at each poll. A session that runs long
   * (a counter's, with staff) still has its rows delivered after `maxHoldMs`.
   */
  #holdingForSession(): boolean {
    if (!this.#options.health().sessionInProgress) return false;
    const oldest = this.#options.outbox.next(1)[0];
    return oldest !== undefined && this.#options.now().getTime() - Date.parse(oldest.at) < this.#options.maxHoldMs;
  }

  #nextWait(): number {
    if (this.#state === 'conflict') return this.#options.conflictRetryMs;
    if (this.#state === 'retrying') {
      const cap = Math.min(this.#options.maxBackoffMs, this.#options.backoffMs * 2 ** Math.min(this.#failures - 1, 20));
      return randomInt(0, Math.max(1, cap) + 1);
    }
    return this.#options.shipPollMs;
  }

  async #shipPending(): Promise<number> {
    const { outbox, channel, log } = this.#options;
    let accepted = 0;
    let from: number | undefined;
    if (!outbox.holdsAcknowledged()) {
      // Rows the service acknowledged are gone or changed here: find the first one, never ship past it.
      log.error('audit-chain-conflict', { kind: 'acknowledged-row-changed', firstBadSeq: outbox.acknowledged().seq });
      await this.#resolveConflict(outbox.acknowledged().seq);
      return accepted;
    }
    // The rows pending now: rows written while this pass delivers wait for the next one (a session's rows go together).
    const until = this.#options.audit.head().seq;
    for (;;) {
      const rows = outbox.next(AUDIT_BATCH_MAX, from).filter((row) => row.seq <= until);
      if (rows.length === 0) {
        if (this.#state === 'retrying') this.#state = 'shipping';
        return accepted;
      }
      let answer: AuditBatchResponse;
      try {
        answer = await channel.shipAudit(outbox.chainId(), rows);
      } catch (error) {
        this.#failures++;
        this.#state = 'retrying';
        log.warn('audit-shipping-failed', { error: (error as Error).name, backlog: outbox.backlog(), failures: this.#failures });
        return accepted;
      }
      this.#failures = 0;
      accepted += answer.accepted;
      if (!answer.conflict) {
        this.#state = 'shipping';
        if (!outbox.acknowledge(answer.head)) {
          // The service holds a head this chain does not have: the copies part somewhere below it.
          await this.#resolveConflict(answer.head.seq);
          return accepted;
        }
        from = undefined;
        continue;
      }
      log.error('audit-chain-conflict', { kind: answer.conflict.kind, firstBadSeq: answer.conflict.firstBadSeq });
      if (answer.conflict.kind === 'gap' && outbox.acknowledge(answer.head)) {
        // The service lost rows it once acknowledged (restored from a backup): deliver them again from its head.
        from = answer.head.seq;
        if (from < rows[0]!.seq) continue;
      }
      await this.#resolveConflict(answer.head.seq, answer.conflict.kind === 'rewritten' ? answer.conflict.firstBadSeq : undefined);
      return accepted;
    }
  }

  /**
   * The service's copy and this chain disagree: find the first seq where
   * they part and deliver this chain's row there, so the service itself sees
   * (and records) which row differs. Then stop until conflictRetryMs.
   */
  async #resolveConflict(serviceHeadSeq: number, alreadyNamed?: number): Promise<void> {
    this.#state = 'conflict';
    if (alreadyNamed !== undefined) return;
    const { channel, audit, log } = this.#options;
    const chainId = this.#options.outbox.chainId();
    try {
      let after = 0;
      while (after < serviceHeadSeq) {
        const page = await channel.auditHashes(chainId, after, 1000);
        if (page.hashes.length === 0) return;
        const local = new Map(audit.hashesAfter(after, page.hashes.length).map((entry) => [entry.seq, entry.hash]));
        const parted = page.hashes.find((entry) => local.get(entry.seq) !== entry.hash);
        if (parted) {
          const row = audit.rowsAfter(parted.seq - 1, 1)[0];
          // A row of ours at that seq: the service compares it with its own and names it. None: the heartbeat's head shows the cut.
          if (row && row.seq === parted.seq) await channel.shipAudit(chainId, [row]);
          log.error('audit-chain-parted', { firstBadSeq: parted.seq });
          return;
        }
        after = page.hashes.at(-1)!.seq;
      }
    } catch (error) {
      log.warn('audit-conflict-check-failed', { error: (error as Error).name });
    }
  }
}

/** The kiosk's version, from the package it was built from (package.json two folders up, from source and from out/main alike). */
export function kioskVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Free bytes for an unprivileged writer on the disk holding `path` (null when the system cannot say). */
export async function freeDiskBytes(path: string): Promise<number | null> {
  try {
    const stats = await statfs(path);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return null;
  }
}

/**
 * The reporter of a terminal composed (Electron and the web host alike):
 * its Kiosk's health, its records' outbox, its client to the service.
 */
export function startFleetReporter(options: {
  kiosk: { health(): TerminalHealthNow; subscribe(listener: () => void): () => void };
  channel: FleetChannel;
  records: { outbox: AuditOutbox; audit: AuditChain };
  heartbeatSeconds: number;
  configFingerprint: string;
  /** The folder of the records' database (for the free disk). */
  dataDir: string;
  log: Logger;
}): FleetReporter {
  const reporter = new FleetReporter({
    channel: options.channel,
    outbox: options.records.outbox,
    audit: options.records.audit,
    health: () => options.kiosk.health(),
    appVersion: kioskVersion(),
    configFingerprint: options.configFingerprint,
    freeDisk: () => freeDiskBytes(options.dataDir),
    log: options.log,
    heartbeatMs: options.heartbeatSeconds * 1000,
  });
  reporter.start();
  reporter.followSessions(options.kiosk);
  return reporter;
}
