import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/base/log';
import { FleetReporter, type FleetChannel, type TerminalHealthNow } from '../../main/kiosk/fleet-reporter';
import { InMemoryFleetService, TerminalFile } from '../support/fleet-fakes';

let file: TerminalFile;
let service: InMemoryFleetService;
let reporters: FleetReporter[];

const HEALTH: TerminalHealthNow = {
  profile: 'lobby',
  reader: 'waiting_for_card',
  printer: 'ready',
  sessionInProgress: false,
  lastSessionEnd: 'renewed',
};

function reporter(options: Partial<ConstructorParameters<typeof FleetReporter>[0]> = {}): FleetReporter {
  const made = new FleetReporter({
    channel: service,
    outbox: file.outbox,
    audit: file.chain,
    health: () => HEALTH,
    appVersion: '0.1.0',
    configFingerprint: 'c'.repeat(64),
    freeDisk: async () => 123_456_789,
    log: silentLogger,
    backoffMs: 1,
    maxBackoffMs: 5,
    shipPollMs: 5,
    heartbeatMs: 10_000,
    ...options,
  });
  reporters.push(made);
  return made;
}

/** The service holds exactly the terminal's rows, in order, each once. */
function expectServiceHoldsTheChain(): void {
  const local = file.chain.rowsAfter(0, 1_000_000);
  expect([...service.rows.keys()].sort((a, b) => a - b)).toEqual(local.map((row) => row.seq));
  for (const row of local) expect(service.rows.get(row.seq)?.hash).toBe(row.hash);
  expect(service.head.seq).toBe(local.length);
}

beforeEach(() => {
  file = new TerminalFile();
  service = new InMemoryFleetService();
  reporters = [];
});
afterEach(async () => {
  for (const made of reporters) await made.stop();
  file.close();
});

describe('audit shipping', () => {
  it('delivers the outbox in order, in batches, and empties it', async () => {
    file.append(450);
    expect(await reporter().ship()).toBe(450);
    expect(service.deliveries).toBe(3);
    expectServiceHoldsTheChain();
    expect(file.outbox.backlog()).toBe(0);
    expect(file.outbox.acknowledged().seq).toBe(450);
  });

  it('waits while the service is away, keeps the backlog, and delivers when it is back', async () => {
    file.append(30);
    const shipper = reporter();
    service.failNext = 1;
    expect(await shipper.ship()).toBe(0);
    expect(shipper.state).toBe('retrying');
    expect(file.outbox.backlog()).toBe(30);
    file.append(5);
    expect(await shipper.ship()).toBe(35);
    expect(shipper.state).toBe('shipping');
    expectServiceHoldsTheChain();
  });

  it('delivers again what it could not confirm; the service takes each row once', async () => {
    file.append(10);
    const shipper = reporter();
    service.loseAnswers = 1;
    expect(await shipper.ship()).toBe(0);
    expect(service.rows.size).toBe(10);
    expect(file.outbox.backlog()).toBe(10);
    file.append(2);
    expect(await shipper.ship()).toBe(2);
    expectServiceHoldsTheChain();
  });

  it('resumes after a kiosk restart with a backlog', async () => {
    file.append(7);
    await reporter().ship();
    file.append(12);
    file.reopen();
    const after = reporter({ outbox: file.outbox, audit: file.chain });
    expect(after.state).toBe('shipping');
    expect(await after.ship()).toBe(12);
    expectServiceHoldsTheChain();
  });

  it('re-delivers what a service restored from an older backup lost (a gap), from its head', async () => {
    file.append(8);
    await reporter().ship();
    // The service lost rows 6–8.
    for (const seq of [6, 7, 8]) service.rows.delete(seq);
    service.head = { seq: 5, hash: service.rows.get(5)!.hash };
    file.append(2);
    const accepted = await reporter().ship();
    expect(service.breaks).toEqual([expect.objectContaining({ kind: 'gap', firstBadSeq: 6 })]);
    expect(accepted).toBe(5);
    expectServiceHoldsTheChain();
  });

  it("delivers at a session's end without waiting for the next poll, and stops following at stop", async () => {
    const listeners = new Set<() => void>();
    let inSession = false;
    const kiosk = {
      health: () => ({ ...HEALTH, sessionInProgress: inSession }),
      subscribe: (listener: () => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const emit = () => listeners.forEach((listener) => listener());
    const shipper = reporter({ shipPollMs: 60_000 });
    shipper.start();
    shipper.followSessions(kiosk);
    // The pass at start has run (nothing to deliver), and the next poll is a minute away.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await shipper.ship()).toBe(0);
    inSession = true;
    emit();
    file.append(12);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(service.rows.size).toBe(0); // the poll is a minute away
    inSession = false;
    emit();
    await expect.poll(() => service.rows.size, { timeout: 2000 }).toBe(12);
    await shipper.stop();
    expect(listeners.size).toBe(0);
  });

  it("holds a session's rows from the polls until its end, unless they have waited too long", async () => {
    const inSession = true;
    const holding = reporter({
      health: () => ({ ...HEALTH, sessionInProgress: inSession }),
      maxHoldMs: 60_000,
      // A minute after the rows were written.
      now: () => new Date('2026-12-07T01:00:30.000Z'),
    });
    file.append(4);
    holding.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(service.rows.size).toBe(0);
    await holding.stop();
    // The same rows, an hour later by the reporter's clock: a session that long still gets them delivered.
    const late = reporter({
      health: () => ({ ...HEALTH, sessionInProgress: inSession }),
      maxHoldMs: 60_000,
      // The rows were written from 2026-12-07T01:00:01Z on (TerminalFile's clock).
      now: () => new Date('2026-12-07T02:00:00.000Z'),
    });
    late.start();
    await expect.poll(() => service.rows.size, { timeout: 2000 }).toBe(4);
    await late.stop();
  });

  it('keeps shipping in the background, without anyone awaiting it, until stopped', async () => {
    const shipper = reporter();
    shipper.start();
    file.append(3);
    await expect.poll(() => service.rows.size, { timeout: 2000 }).toBe(3);
    await shipper.stop();
    file.append(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(service.rows.size).toBe(3);
  });
});

describe('a chain changed after it was delivered', () => {
  it('a cut-off tail: ships nothing past it and shows the service the first row that differs', async () => {
    file.append(10);
    const shipper = reporter();
    await shipper.ship();
    file.cutAfter(6);
    file.append(2); // rows 7' and 8' replace the removed 7–10
    const after = reporter({ outbox: file.outbox, audit: file.chain });
    expect(await after.ship()).toBe(0);
    expect(after.state).toBe('conflict');
    expect(service.breaks).toEqual([expect.objectContaining({ kind: 'rewritten', firstBadSeq: 7 })]);
    // What the service holds is untouched.
    expect(service.head.seq).toBe(10);
  });

  it('a rewritten row with every later hash recomputed: the first rewritten row is named', async () => {
    file.append(10);
    await reporter().ship();
    file.rewrite(4, { midRenewal: true });
    file.append(1);
    const after = reporter({ outbox: file.outbox, audit: file.chain });
    await after.ship();
    expect(after.state).toBe('conflict');
    expect(service.breaks.at(-1)).toMatchObject({ kind: 'rewritten', firstBadSeq: 4 });
  });

  it('a conflict is tried again only after its own wait, not at every poll', async () => {
    file.append(4);
    await reporter().ship();
    file.rewrite(2, { midRenewal: true });
    const shipper = reporter({ outbox: file.outbox, audit: file.chain, conflictRetryMs: 60_000 });
    shipper.start();
    await expect.poll(() => shipper.state, { timeout: 2000 }).toBe('conflict');
    const deliveries = service.deliveries;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(service.deliveries).toBe(deliveries);
  });
});

describe('the heartbeat', () => {
  it("says the terminal's health, its outbox and the head of its chain, and learns the clock offset", async () => {
    file.append(3);
    service.serviceClockOffsetMs = -5_000;
    const beat = reporter();
    expect(await beat.sendHeartbeat()).toBe(true);
    expect(service.heartbeats[0]).toMatchObject({
      ...HEALTH,
      appVersion: '0.1.0',
      configFingerprint: 'c'.repeat(64),
      clockOffsetMs: null,
      freeDiskBytes: 123_456_789,
      outbox: { backlog: 3, state: 'shipping' },
      auditHead: { seq: 3, hash: file.chain.head().hash },
    });
    await beat.sendHeartbeat();
    // The terminal's clock is about 5 s ahead of the service's.
    expect(service.heartbeats[1]!.clockOffsetMs).toBeGreaterThan(4_000);
    expect(service.heartbeats[1]!.clockOffsetMs).toBeLessThan(6_000);
  });

  it('never beats beside a delivery: the head it carries is never behind what the service already holds', async () => {
    file.append(300);
    // A heartbeat on a slow way: meanwhile a delivery of rows written after its head was read must not overtake it,
    // or the service would see a head behind its copy, a chain rolled back.
    const slowBeats: FleetChannel = {
      shipAudit: (chainId, rows) => service.shipAudit(chainId, rows),
      auditHashes: (chainId, after, limit) => service.auditHashes(chainId, after, limit),
      heartbeat: async (report) => {
        await new Promise((resolve) => setTimeout(resolve, 60));
        expect(report.auditHead.seq).toBeGreaterThanOrEqual(service.head.seq);
        return service.heartbeat(report);
      },
    };
    const both = reporter({ channel: slowBeats });
    await both.ship();
    const beat = both.sendHeartbeat();
    file.append(5);
    const shipped = both.ship();
    expect(await beat).toBe(true);
    expect(await shipped).toBe(5);
    expect(service.heartbeats).toHaveLength(1);
    expect(service.head.seq).toBe(305);
  });

  it('a heartbeat the service does not take is no error for the kiosk', async () => {
    service.failNext = 1;
    expect(await reporter().sendHeartbeat()).toBe(false);
  });

  it('is sent at start and then every interval', async () => {
    const beat = reporter({ heartbeatMs: 20 });
    beat.start();
    await expect.poll(() => service.heartbeats.length, { timeout: 2000 }).toBeGreaterThanOrEqual(3);
  });
});
