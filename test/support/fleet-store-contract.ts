import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowHash as hashOf, type AuditRow } from '../../main/domain/audit-record';
import type { Heartbeat } from '../../main/issuance/fleet-wire';
import type { FleetStore } from '../../main/service/fleet-store';
import { TerminalFile } from './fleet-fakes';

/**
 * What the fleet's records must keep on every database they run on
 * (PGlite embedded, a PostgreSQL server): rows once per (terminal, seq)
 * however deliveries race, alerts one per kind and terminal while open,
 * health alerts that close themselves, the day's figures from the rows.
 * `clock` moves the store's "now" (the test's practice clock).
 */
export function fleetStoreContract(name: string, open: (clock: () => Date) => Promise<FleetStore>): void {
  describe(`the fleet's records on ${name}`, () => {
    let store: FleetStore;
    let now = new Date('2026-12-07T02:00:00.000Z');
    const files: TerminalFile[] = [];
    const chains = new Map<string, string>();
    /** The chain of the file a terminal id was made with (day-01 has none: its rows are made by hand). */
    const chainOf = (id: string) => chains.get(id) ?? 'd'.repeat(32);
    const terminal = (id: string, rows: number) => {
      const file = new TerminalFile(id);
      chains.set(id, file.outbox.chainId());
      file.append(rows);
      files.push(file);
      return file;
    };

    beforeAll(async () => {
      store = await open(() => now);
    }, 120_000);
    afterAll(async () => {
      await store?.close();
      for (const file of files) file.close();
    });

    it('keeps each row once however many deliveries of it race, and tells repeats from new rows', async () => {
      const file = terminal('race-01', 60);
      const rows = file.chain.rowsAfter(0, 60);
      const answers = await Promise.all([
        store.receiveAudit('race-01', chainOf('race-01'), rows.slice(0, 40)),
        store.receiveAudit('race-01', chainOf('race-01'), rows.slice(0, 40)),
        store.receiveAudit('race-01', chainOf('race-01'), rows.slice(0, 40)),
      ]);
      expect(answers.map((answer) => answer.accepted).sort()).toEqual([0, 0, 40]);
      expect(answers.every((answer) => answer.conflict === undefined)).toBe(true);
      const more = await store.receiveAudit('race-01', chainOf('race-01'), rows.slice(30, 60));
      expect(more).toMatchObject({ accepted: 20, repeats: 10, head: { seq: 60, hash: rows[59]!.hash } });
      expect(await store.auditHashes('race-01', chainOf('race-01'), 0, 1000)).toEqual(
        rows.map((row) => ({ seq: row.seq, hash: row.hash })),
      );
    });

    it('refuses what does not continue the chain, keeps one open alert per kind, and names the earliest row seen', async () => {
      const file = terminal('cut-01', 10);
      const original = file.chain.rowsAfter(0, 10);
      await store.receiveAudit('cut-01', chainOf('cut-01'), original);
      file.rewrite(7, { midRenewal: true });
      const rewritten = file.chain.rowsAfter(0, 10);
      const late = await store.receiveAudit('cut-01', chainOf('cut-01'), rewritten.slice(8, 10));
      expect(late.conflict).toMatchObject({ kind: 'rewritten', firstBadSeq: 9 });
      const early = await store.receiveAudit('cut-01', chainOf('cut-01'), rewritten.slice(6, 10));
      expect(early.conflict).toMatchObject({ kind: 'rewritten', firstBadSeq: 7 });
      const alerts = (await store.alerts({ open: true })).filter((alert) => alert.terminalId === 'cut-01');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ kind: 'chain-rewritten', firstBadSeq: 7, count: 2, closedAt: null });
      // Nothing of the rewritten rows was taken; the evidence is kept.
      expect((await store.auditHashes('cut-01', chainOf('cut-01'), 0, 100)).map((entry) => entry.hash)).toEqual(
        original.map((row) => row.hash),
      );
      const evidence = await store.query<{ seq: string | number }>('SELECT seq FROM fleet_audit_evidence WHERE alert_id = $1', [
        alerts[0]!.id,
      ]);
      expect(evidence.map((row) => Number(row.seq)).sort()).toEqual([7, 9]);
      // A person closes it; the next break opens a new one.
      expect(await store.closeAlert(alerts[0]!.id, 'auditor')).toBe(true);
      expect(await store.closeAlert(alerts[0]!.id, 'auditor')).toBe(false);
      expect((await store.alerts({ open: true })).some((alert) => alert.terminalId === 'cut-01')).toBe(false);
    });

    it('keeps a new database of a terminal as a new chain, beside the old one, and says so', async () => {
      const first = terminal('disk-01', 5);
      await store.receiveAudit('disk-01', first.outbox.chainId(), first.chain.rowsAfter(0, 5));
      // The disk is replaced: a new file, its chain from row 1 again.
      const second = new TerminalFile('disk-01');
      files.push(second);
      second.append(3);
      const answer = await store.receiveAudit('disk-01', second.outbox.chainId(), second.chain.rowsAfter(0, 3));
      expect(answer).toMatchObject({ accepted: 3, head: { seq: 3 } });
      expect(answer.conflict).toBeUndefined();
      const [alert] = (await store.alerts({ open: true })).filter((entry) => entry.terminalId === 'disk-01');
      expect(alert).toMatchObject({ kind: 'chain-restarted' });
      expect(alert!.message).toContain('previous chain');
      expect(alert!.message).toContain('ends at row 5');
      expect(await store.auditHashes('disk-01', first.outbox.chainId(), 0, 100)).toHaveLength(5);
      expect((await store.auditHeads()).get('disk-01')).toMatchObject({ chainId: second.outbox.chainId(), seq: 3 });
    });

    it('opens a gap alert for rows missing before a delivery', async () => {
      const file = terminal('gap-01', 8);
      const rows = file.chain.rowsAfter(0, 8);
      await store.receiveAudit('gap-01', chainOf('gap-01'), rows.slice(0, 3));
      const answer = await store.receiveAudit('gap-01', chainOf('gap-01'), rows.slice(5, 8));
      expect(answer).toMatchObject({ accepted: 0, head: { seq: 3 }, conflict: { kind: 'gap', firstBadSeq: 4 } });
    });

    const beat = (file: TerminalFile, changes: Partial<Heartbeat> = {}): Heartbeat => ({
      appVersion: '0.1.0',
      configFingerprint: 'c'.repeat(64),
      profile: 'lobby',
      reader: 'waiting_for_card',
      printer: 'ready',
      sessionInProgress: false,
      lastSessionEnd: null,
      clockOffsetMs: 12,
      freeDiskBytes: 1_000_000,
      outbox: { backlog: file.outbox.backlog(), state: 'shipping' },
      auditHead: file.chain.head(),
      auditChain: file.outbox.chainId(),
      sentAt: now.toISOString(),
      ...changes,
    });
    const openKinds = async (id: string) =>
      (await store.alerts({ open: true }))
        .filter((alert) => alert.terminalId === id)
        .map((alert) => alert.kind)
        .sort();

    it('opens and closes health alerts from heartbeats and silence', async () => {
      const file = terminal('health-01', 2);
      await store.receiveHeartbeat('health-01', beat(file, { reader: 'no_reader', printer: 'failed' }));
      expect(await openKinds('health-01')).toEqual(['printer-failed', 'reader-unplugged']);
      await store.receiveHeartbeat('health-01', beat(file));
      expect(await openKinds('health-01')).toEqual([]);
      now = new Date(now.getTime() + 120_000);
      expect(await store.sweepStale(90_000)).toBeGreaterThanOrEqual(1);
      expect(await openKinds('health-01')).toEqual(['stale']);
      await store.receiveHeartbeat('health-01', beat(file));
      expect(await openKinds('health-01')).toEqual([]);
      const [kept] = (await store.heartbeats()).filter((entry) => entry.terminalId === 'health-01');
      expect(kept).toMatchObject({ receivedAt: now.toISOString(), report: { clockOffsetMs: 12 } });
    });

    it('sees a chain rolled back on the terminal from the head its heartbeat carries', async () => {
      const file = terminal('roll-01', 9);
      await store.receiveAudit('roll-01', chainOf('roll-01'), file.chain.rowsAfter(0, 9));
      file.cutAfter(5);
      await store.receiveHeartbeat('roll-01', beat(file));
      const [alert] = (await store.alerts({ open: true })).filter((entry) => entry.terminalId === 'roll-01');
      expect(alert).toMatchObject({ kind: 'chain-rolled-back', firstBadSeq: 6 });
      expect(alert!.message).toContain('ends at row 5');
    });

    it("counts the day's renewals, hand-offs by reason, abandoned and all sessions, per Japan hour", async () => {
      const at = (iso: string, seq: number, event: AuditRow['event'], detail: Record<string, unknown>, prevHash: string) => {
        const row = { seq, at: iso, event, terminalId: 'day-01', detail, prevHash } as Omit<AuditRow, 'hash'>;
        return { ...row, hash: hashOf(row) };
      };
      // 10:15 and 10:40 Japan time on 2026-12-07, and 09:05 the week before.
      const rows: AuditRow[] = [];
      let prev = '0'.repeat(64);
      for (const [iso, event, detail] of [
        ['2026-12-07T01:15:00.000Z', 'renewal-done', { certificates: 'both', newAuthenticationSerial: 'A1' }],
        ['2026-12-07T01:16:00.000Z', 'session-ended', { outcome: 'renewed' }],
        ['2026-12-07T01:40:00.000Z', 'hand-off', { reason: 'pin-blocked', slip: true }],
        ['2026-12-07T01:41:00.000Z', 'session-ended', { outcome: 'handed-off' }],
        ['2026-12-07T01:50:00.000Z', 'session-ended', { outcome: 'timed-out' }],
      ] as const) {
        const row = at(iso, rows.length + 1, event, detail, prev);
        rows.push(row);
        prev = row.hash;
      }
      expect((await store.receiveAudit('day-01', chainOf('day-01'), rows)).accepted).toBe(5);
      const figures = await store.dayFigures('2026-12-07');
      expect(figures.get('day-01')).toEqual({ renewals: 1, handOffs: { 'pin-blocked': 1 }, abandoned: 1, sessions: 3 });
      const hours = await store.renewalsByHour('2026-12-07');
      expect(hours[10]).toBe(1);
      expect(hours.reduce((sum, n) => sum + n, 0)).toBe(1);
      const exported = (await store.auditRows('2026-12-07', '2026-12-07')).filter((row) => row.storedFor === 'day-01');
      expect(exported.map((row) => [row.seq, row.hash])).toEqual(rows.map((row) => [row.seq, row.hash]));
      expect(await store.auditRows('2026-12-08', '2026-12-09')).toEqual([]);
    });
  });
}
