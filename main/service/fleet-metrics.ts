import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditRow } from '../domain/audit-record';
import type { FleetStore } from './fleet-store';

/**
 * The service's Prometheus metrics (docs/fleet.md, "Metrics"), so a
 * municipality's existing monitoring (Prometheus, or Zabbix's Prometheus
 * items) watches the fleet with nothing new installed:
 *
 * - sessions, renewals and hand-offs, counted from the audit rows the
 *   terminals deliver (each row once: a repeated delivery is not counted),
 *   by terminal, outcome and reason;
 * - how long each issuing call takes, by route and status;
 * - terminals up / stale / never seen, each terminal's outbox backlog and
 *   the open alerts by kind — read from the fleet store at every scrape.
 *
 * Labels are terminal ids, routes and codes: never anything of a resident.
 */

const PREFIX = 'myna_kiosk_';

export class FleetMetrics {
  readonly registry = new Registry();
  readonly #sessions: Counter<'terminal' | 'outcome'>;
  readonly #renewals: Counter<'terminal'>;
  readonly #handOffs: Counter<'terminal' | 'reason'>;
  readonly #auditRows: Counter<'terminal'>;
  readonly #requests: Histogram<'route' | 'status'>;

  constructor(store: FleetStore, options: { staleAfterMs: number; enrolled: () => string[]; now?: () => Date }) {
    const now = () => (options.now ?? (() => new Date()))().getTime();
    const registers = [this.registry];
    this.#sessions = new Counter({
      name: `${PREFIX}sessions_total`,
      help: 'Customer sessions ended, by terminal and outcome (from the audit rows delivered since the service started)',
      labelNames: ['terminal', 'outcome'],
      registers,
    });
    this.#renewals = new Counter({
      name: `${PREFIX}renewals_total`,
      help: 'Certificate renewals completed, by terminal',
      labelNames: ['terminal'],
      registers,
    });
    this.#handOffs = new Counter({
      name: `${PREFIX}hand_offs_total`,
      help: 'Residents handed off to the counter, by terminal and reason',
      labelNames: ['terminal', 'reason'],
      registers,
    });
    this.#auditRows = new Counter({
      name: `${PREFIX}audit_rows_received_total`,
      help: 'Audit rows taken from terminals (repeats of a delivery not counted)',
      labelNames: ['terminal'],
      registers,
    });
    this.#requests = new Histogram({
      name: `${PREFIX}issuing_request_duration_seconds`,
      help: "Time the service took to answer a terminal's call, by route and HTTP status",
      labelNames: ['route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    new Gauge({
      name: `${PREFIX}terminals`,
      help: 'Enrolled terminals by state: up (a heartbeat within the stale limit), stale, never-seen',
      labelNames: ['state'],
      registers,
      async collect() {
        const seen = new Map((await store.heartbeats()).map((entry) => [entry.terminalId, Date.parse(entry.receivedAt)]));
        const at = now();
        const counts = { up: 0, stale: 0, 'never-seen': 0 };
        for (const id of new Set([...options.enrolled(), ...seen.keys()])) {
          const last = seen.get(id);
          counts[last === undefined ? 'never-seen' : at - last > options.staleAfterMs ? 'stale' : 'up']++;
        }
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: `${PREFIX}audit_backlog_rows`,
      help: 'Audit rows a terminal has not yet delivered, as its last heartbeat said',
      labelNames: ['terminal'],
      registers,
      async collect() {
        this.reset();
        for (const entry of await store.heartbeats()) this.set({ terminal: entry.terminalId }, entry.report.outbox.backlog);
      },
    });
    new Gauge({
      name: `${PREFIX}heartbeat_age_seconds`,
      help: "Seconds since a terminal's last heartbeat",
      labelNames: ['terminal'],
      registers,
      async collect() {
        this.reset();
        const at = now();
        for (const entry of await store.heartbeats())
          this.set({ terminal: entry.terminalId }, Math.max(0, (at - Date.parse(entry.receivedAt)) / 1000));
      },
    });
    new Gauge({
      name: `${PREFIX}alerts_open`,
      help: 'Open alerts by kind (chain-* are breaks in a terminal audit chain)',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const alert of await store.alerts({ open: true })) counts.set(alert.kind, (counts.get(alert.kind) ?? 0) + 1);
        for (const [kind, n] of counts) this.set({ kind }, n);
      },
    });
  }

  /** Counts what newly delivered rows record (each row is delivered fresh once). */
  countRows(terminal: string, rows: readonly AuditRow[]): void {
    if (rows.length > 0) this.#auditRows.inc({ terminal }, rows.length);
    for (const row of rows) {
      if (row.event === 'session-ended') this.#sessions.inc({ terminal, outcome: String(row.detail.outcome) });
      else if (row.event === 'renewal-done') this.#renewals.inc({ terminal });
      else if (row.event === 'hand-off') this.#handOffs.inc({ terminal, reason: String(row.detail.reason) });
    }
  }

  observeRequest(route: string, status: number, seconds: number): void {
    this.#requests.observe({ route, status: String(status) }, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
