import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/base/log';
import type { AuditRow } from '../../main/domain/audit-record';
import { japanTimestamp, nextWeekdayAt } from '../../main/domain/japan-calendar';
import type { FleetChannel } from '../../main/issuance/fleet-wire';
import type { IssuingServiceClient } from '../../main/issuance/service-client';
import { FleetReporter } from '../../main/kiosk/fleet-reporter';
import { openFleetStore } from '../../main/service/fleet-store';
import { AuditChain } from '../../main/store/audit';
import { openKioskDatabase } from '../../main/store/database';
import { CLI } from '../support/cli-harness';
import { TerminalFile } from '../support/fleet-fakes';
import { fleetStoreContract } from '../support/fleet-store-contract';
import { ServiceProcess } from '../support/service-rig';

// The fleet's records through a real `myna-kiosk service` process
// (docs/fleet.md): terminals' audit rows delivered exactly once whatever
// happens to the service or the kiosk, chains cut or rewritten after they
// were delivered seen by `audit verify` and by the service, and the metrics
// counting what the sessions did. The store's own rules, on PGlite here and
// on PostgreSQL in postgres.test.ts.

const work = mkdtempSync(join(tmpdir(), 'myna-kiosk-fleet-test-'));
const serviceDir = join(work, 'service');
const terminalFolder = (id: string) => join(serviceDir, 'terminals', id);
let service: ServiceProcess;

beforeAll(async () => {
  service = await ServiceProcess.start(serviceDir, join(work, 'service-sim'), undefined, { cardFactory: true });
  for (const [id, role] of [
    ['counter-01', 'counter'],
    ['shipping-01', 'lobby'],
  ]) {
    const enrolled = await cli(['service', 'enrol-terminal', '--dir', serviceDir, '--id', id!, '--role', role!]);
    expect(enrolled.status, enrolled.stderr).toBe(0);
  }
}, 90_000);

afterAll(async () => {
  await service?.stop();
  rmSync(work, { recursive: true, force: true });
});

fleetStoreContract('PGlite', (clock) => openFleetStore({ dir: join(work, 'contract'), now: clock }));

/** The CLI without blocking this process (its reporters and the service's pipes keep running). */
async function cli(args: string[], input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, MYNA_KIOSK_SIM_DIR: join(work, 'session-sim') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, stdout, stderr };
}

/** Every hash the service holds for the terminal, in seq order (paged as the API gives them). */
async function heldHashes(client: IssuingServiceClient, chainId: string): Promise<{ seq: number; hash: string }[]> {
  const all: { seq: number; hash: string }[] = [];
  for (;;) {
    const page = await client.auditHashes(chainId, all.at(-1)?.seq ?? 0, 1000);
    if (page.hashes.length === 0) return all;
    all.push(...page.hashes);
  }
}

describe('audit shipping through a service that goes away', () => {
  it('delivers every row once, in order: service down, SIGKILLed mid-batch, restarted; kiosk restarted with a backlog', async () => {
    const file = new TerminalFile('shipping-01');
    try {
      file.append(1200);
      let calls = 0;
      let killed: Promise<void> | undefined;
      const client = () => service.clientOf(terminalFolder('shipping-01'), { attempts: 1, timeoutMs: 5_000 });
      // The service is killed while the third batch is on the wire: whether it stored that batch is unknown to the kiosk.
      const killing = (inner: IssuingServiceClient): FleetChannel => ({
        shipAudit: (chainId: string, rows: readonly AuditRow[]) => {
          calls++;
          const answer = inner.shipAudit(chainId, rows);
          if (calls === 3) killed = service.kill();
          return answer;
        },
        auditHashes: (chainId, after, limit) => inner.auditHashes(chainId, after, limit),
        heartbeat: (report) => inner.heartbeat(report),
      });
      const first = client();
      const shipper = new FleetReporter({ ...reporterParts(file), channel: killing(first) });
      const delivered = await shipper.ship();
      await killed;
      expect(service.running).toBe(false);
      expect(shipper.state).toBe('retrying');
      expect(delivered).toBeLessThan(1200);
      first.close();

      // While it is down, the kiosk keeps writing and trying; then the kiosk restarts too.
      file.append(40);
      const down = client();
      expect(await new FleetReporter({ ...reporterParts(file), channel: down }).ship()).toBe(0);
      down.close();
      file.reopen();
      expect(file.outbox.backlog()).toBeGreaterThan(40);

      await service.restart();
      const second = client();
      const after = new FleetReporter({ ...reporterParts(file), channel: second });
      await after.ship();
      expect(after.state).toBe('shipping');
      expect(file.outbox.backlog()).toBe(0);

      // A repeated delivery of rows already held changes nothing.
      const repeat = await second.shipAudit(file.outbox.chainId(), file.chain.rowsAfter(100, 150));
      expect(repeat).toMatchObject({ accepted: 0, repeats: 150, head: { seq: 1240 } });

      const local = file.chain.hashesAfter(0, 10_000);
      expect(local).toHaveLength(1240);
      expect(await heldHashes(second, file.outbox.chainId())).toEqual(local);
      second.close();
    } finally {
      file.close();
    }
  }, 120_000);
});

function reporterParts(file: TerminalFile) {
  return {
    outbox: file.outbox,
    audit: file.chain,
    health: () => ({
      profile: 'lobby' as const,
      reader: 'waiting_for_card' as const,
      printer: 'none' as const,
      sessionInProgress: false,
      lastSessionEnd: null,
    }),
    appVersion: 'test',
    configFingerprint: '0'.repeat(64),
    freeDisk: async () => null,
    log: silentLogger,
  };
}

describe('sessions, shipped, in the fleet records and the metrics', () => {
  const at = japanTimestamp(nextWeekdayAt('10:00', new Date()));
  let cards = 0;
  const sessionArgs = (persona: string, db: string, terminal: string, pins: string[]) => [
    'session',
    '--persona',
    persona,
    ...pins.flatMap((pin) => ['--pin', pin]),
    '--service',
    service.url,
    '--terminal',
    terminalFolder(terminal),
    '--db',
    db,
    '--at',
    at,
    '--json',
    // A new card from the card factory for each session (a card's state is kept per file).
    '--card-state',
    join(work, `card-${terminal}-${persona}-${(cards += 1)}.json`),
  ];
  const lobbyDb = join(work, 'lobby-01.sqlite');
  const counterDb = join(work, 'counter-01.sqlite');

  it('counts renewals, hand-offs and sessions by outcome, reason and terminal, as the rows say', async () => {
    const renewed = await cli(sessionArgs('standard-in-window', lobbyDb, 'lobby-01', ['auth=1234', 'sign=ABC123', 'registry=1234']));
    expect(renewed.status, renewed.stderr + renewed.stdout.slice(-600)).toBe(0);
    // A card whose authentication PIN is blocked: the resident is handed off to the counter.
    const blocked = await cli(sessionArgs('authentication-pin-locked', lobbyDb, 'lobby-01', ['auth=1234']));
    expect(blocked.status, blocked.stdout.slice(-400)).toBe(3);
    const counter = await cli(sessionArgs('standard-in-window', counterDb, 'counter-01', ['auth=1234', 'sign=ABC123', 'registry=1234']));
    expect(counter.status, counter.stderr + counter.stdout.slice(-600)).toBe(0);
    for (const [db, terminal] of [
      [lobbyDb, 'lobby-01'],
      [counterDb, 'counter-01'],
    ] as const) {
      const shipped = await cli(['audit', 'ship', '--db', db, '--service', service.url, '--terminal', terminalFolder(terminal)]);
      expect(shipped.status, shipped.stdout + shipped.stderr).toBe(0);
      expect(shipped.stdout).toMatch(/nothing left to deliver/);
    }

    const expected = new Map<string, number>();
    for (const [db, terminal] of [
      [lobbyDb, 'lobby-01'],
      [counterDb, 'counter-01'],
    ] as const) {
      const opened = openKioskDatabase(db, { create: false });
      const rows = new AuditChain(opened, { terminalId: terminal }).rowsAfter(0, 100_000);
      opened.close();
      const add = (key: string) => expected.set(key, (expected.get(key) ?? 0) + 1);
      for (const row of rows) {
        if (row.event === 'session-ended') add(`myna_kiosk_sessions_total{terminal="${terminal}",outcome="${String(row.detail.outcome)}"}`);
        if (row.event === 'renewal-done') add(`myna_kiosk_renewals_total{terminal="${terminal}"}`);
        if (row.event === 'hand-off') add(`myna_kiosk_hand_offs_total{terminal="${terminal}",reason="${String(row.detail.reason)}"}`);
      }
      add(`myna_kiosk_audit_rows_received_total{terminal="${terminal}"}`);
      expected.set(`myna_kiosk_audit_rows_received_total{terminal="${terminal}"}`, rows.length);
    }
    // What the sessions did, seen independently: one renewal per renewing terminal, one hand-off for the blocked PIN.
    expect(expected.get('myna_kiosk_renewals_total{terminal="lobby-01"}')).toBe(1);
    expect(expected.get('myna_kiosk_renewals_total{terminal="counter-01"}')).toBe(1);
    expect(expected.get('myna_kiosk_hand_offs_total{terminal="lobby-01",reason="pin-blocked"}')).toBe(1);

    const metrics = await get(`${service.dashboard}/metrics`);
    expect(metrics.status).toBe(200);
    const counters = new Map(
      metrics.body
        .split('\n')
        .filter((line) => /^myna_kiosk_(sessions|renewals|hand_offs|audit_rows_received)_total\{/.test(line))
        // The shipping test's terminal delivered synthetic rows (counted since the service's last restart).
        .filter((line) => !line.includes('terminal="shipping-01"'))
        .map((line) => {
          const [key, value] = line.split(' ');
          return [key!, Number(value)] as const;
        }),
    );
    expect(counters).toEqual(expected);
    expect(metrics.body).toMatch(
      /myna_kiosk_issuing_request_duration_seconds_count\{route="\/v1\/renewals\/:renewalId\/issue",status="200"\} 2/,
    );
    expect(metrics.body).toMatch(/myna_kiosk_terminals\{state="never-seen"\} 3/);
  }, 180_000);

  it('a chain cut after it was delivered: audit verify and the service both name the first row that differs', async () => {
    const file = join(work, 'lobby-01.sqlite');
    const delivered = await cli(['audit', 'verify', '--db', file, '--service', service.url, '--terminal', terminalFolder('lobby-01')]);
    expect(delivered.status, delivered.stdout).toBe(0);
    const rows = Number(/rows 1–(\d+) held there/.exec(delivered.stdout)?.[1]);
    expect(rows).toBeGreaterThan(20);

    // The insider removes the last five rows and puts the guards back, so the kiosk opens the file.
    const keep = rows - 5;
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(file);
    const triggers = raw.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'").all() as { name: string; sql: string }[];
    for (const trigger of triggers) raw.exec(`DROP TRIGGER ${trigger.name}`);
    raw.prepare('DELETE FROM audit_log WHERE seq > ?').run(keep);
    const last = raw.prepare('SELECT seq, hash FROM audit_log WHERE seq = ?').get(keep) as { seq: number; hash: string };
    raw.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(last.seq, last.hash);
    for (const trigger of triggers) raw.exec(trigger.sql);
    raw.close();

    const verified = await cli(['audit', 'verify', '--db', file, '--service', service.url, '--terminal', terminalFolder('lobby-01')]);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toContain('audit chain intact'); // on its own, the file looks whole
    expect(verified.stdout).toContain(
      `audit chain BROKEN against the issuing service's copy at row ${keep + 1}: row ${keep + 1} is gone here`,
    );

    // The terminal goes on (a resident's session), and its next delivery is refused with an alert naming that row.
    const again = await cli(sessionArgs('standard-in-window', file, 'lobby-01', ['auth=1234', 'sign=ABC123', 'registry=1234']));
    expect(again.status, again.stderr).toBe(0);
    const shipped = await cli(['audit', 'ship', '--db', file, '--service', service.url, '--terminal', terminalFolder('lobby-01')]);
    expect(shipped.status).toBe(1);
    expect(shipped.stdout).toMatch(/audit rows NOT delivered/);
    const conflicts = service.log
      .join('')
      .split('\n')
      .filter((line) => line.includes('"audit-chain-conflict"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(conflicts.at(-1)).toMatchObject({ terminal: 'lobby-01', kind: 'rewritten', firstBadSeq: keep + 1 });

    // And the metrics show it.
    expect((await get(`${service.dashboard}/metrics`)).body).toMatch(/myna_kiosk_alerts_open\{kind="chain-rewritten"\} 1/);
  }, 120_000);
});

describe('more of what a terminal or an auditor does with the fleet records', () => {
  const counterDb = () => join(work, 'counter-01.sqlite');
  const verify = () => cli(['audit', 'verify', '--db', counterDb(), '--service', service.url, '--terminal', terminalFolder('counter-01')]);

  it('a row rewritten after delivery, every later hash recomputed: named by audit verify and by the service', async () => {
    const before = await verify();
    expect(before.status, before.stdout).toBe(0);
    const { default: Database } = await import('better-sqlite3');
    const { canonicalJson, rowHash } = await import('../../main/domain/audit-record');
    // The insider changes how row 3 ended up and re-hashes the rest, so the file on its own is whole again.
    const opened = openKioskDatabase(counterDb(), { create: false });
    const rows = new AuditChain(opened, { terminalId: 'counter-01' }).rowsAfter(0, 100_000);
    opened.close();
    const raw = new Database(counterDb());
    const triggers = raw.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger'").all() as { name: string; sql: string }[];
    for (const trigger of triggers) raw.exec(`DROP TRIGGER ${trigger.name}`);
    let prevHash = rows[1]!.hash;
    for (const row of rows.slice(2)) {
      const changed = { ...row, prevHash, ...(row.seq === 3 ? { at: new Date(Date.parse(row.at) + 3_600_000).toISOString() } : {}) };
      const hash = rowHash(changed);
      raw
        .prepare('UPDATE audit_log SET at = ?, detail = ?, prev_hash = ?, hash = ? WHERE seq = ?')
        .run(changed.at, canonicalJson(changed.detail), prevHash, hash, row.seq);
      prevHash = hash;
    }
    raw.prepare('UPDATE audit_head SET hash = ? WHERE id = 1').run(prevHash);
    for (const trigger of triggers) raw.exec(trigger.sql);
    raw.close();

    const after = await verify();
    expect(after.status).toBe(1);
    expect(after.stdout).toMatch(/audit chain intact/);
    expect(after.stdout).toContain("audit chain BROKEN against the issuing service's copy at row 3: row 3 differs");

    const shipped = await cli(['audit', 'ship', '--db', counterDb(), '--service', service.url, '--terminal', terminalFolder('counter-01')]);
    expect(shipped.status).toBe(1);
    const conflicts = service.log
      .join('')
      .split('\n')
      .filter((line) => line.includes('"audit-chain-conflict"') && line.includes('"counter-01"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(conflicts.at(-1)).toMatchObject({ kind: 'rewritten', firstBadSeq: 3 });
  }, 60_000);

  it('a file whose guards were dropped is not shipped from, and audit verify names them', async () => {
    const file = join(work, 'no-guards.sqlite');
    const terminal = new TerminalFile('lobby-01');
    terminal.append(3);
    terminal.db.close();
    terminal.dropGuards();
    const { copyFileSync } = await import('node:fs');
    copyFileSync(terminal.path, file);
    terminal.close();
    const shipped = await cli(['audit', 'ship', '--db', file, '--service', service.url, '--terminal', terminalFolder('lobby-01')]);
    expect(shipped.status).not.toBe(0);
    expect(shipped.stderr).toMatch(/guards have been tampered with — the trigger audit_log_no_update has been dropped/);
    const verified = await cli(['audit', 'verify', '--db', file]);
    expect(verified.status).toBe(1);
    expect(verified.stdout).toMatch(/^audit schema TAMPERED: the trigger audit_log_no_update has been dropped/);
  });

  it("exports every terminal's rows as the service holds them, as a dashboard account, and the export is recorded", async () => {
    const account = await cli(['service', 'dashboard-account', '--dir', serviceDir, '--id', 'auditor'], 'kite-river-7-Qz!m\n');
    expect(account.status, account.stderr).toBe(0);
    const day = japanTimestamp(nextWeekdayAt('10:00', new Date())).slice(0, 10);
    const out = join(work, 'fleet-export.jsonl');
    const args = ['audit', 'export', '--service', service.dashboard, '--account', 'auditor', '--dir', serviceDir];
    const exported = await cli([...args, '--from', day, '--to', day, '--format', 'jsonl', '--out', out], 'kite-river-7-Qz!m\n');
    expect(exported.status, exported.stderr).toBe(0);
    const count = Number(/^exported (\d+) rows/.exec(exported.stdout)?.[1]);
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(count);
    expect([...new Set(lines.map((line) => line.stored_for))]).toEqual(expect.arrayContaining(['lobby-01', 'counter-01']));
    // The service's rows of lobby-01 are the ones it acknowledged: as many as its held hashes up to the cut.
    const lobby = lines.filter((line) => line.stored_for === 'lobby-01').map((line) => line.seq as number);
    expect(lobby).toEqual([...lobby].sort((a, b) => a - b));
    const logged = () => service.log.join('').includes('"fleet-exported"');
    await expect.poll(logged, { timeout: 5_000 }).toBe(true);

    const refused = await cli([...args, '--from', day, '--to', day, '--format', 'csv'], 'not-the-passcode\n');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/refused account auditor/);
  });
});

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpsRequest(url, { ca: readFileSync(join(serviceDir, 'pki', 'ca.pem'), 'utf8') }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}
