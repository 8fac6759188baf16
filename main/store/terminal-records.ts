import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditChain } from './audit';
import { AuditOutbox } from './audit-outbox';
import { openKioskDatabase } from './database';
import { RenewalJournal } from './journal';
import { StaffSignInLimits } from './staff-sign-in-limits';

/**
 * A terminal's own records — the renewal journal, the audit chain and the
 * staff sign-in limits, in one database — opened together. Without a `dbPath` they are a practice
 * database of their own, deleted on close, so a trainer's practice leaves no
 * records behind.
 */
export interface TerminalRecords {
  journal: RenewalJournal;
  audit: AuditChain;
  /** The audit rows still to deliver to the issuing service. */
  outbox: AuditOutbox;
  /** The counter's staff sign-in limits (wrong passcodes in a row, locks), kept across restarts. */
  signInLimits: StaffSignInLimits;
  /** The database file (a practice database's is in a folder of its own). */
  path: string;
  close(): void;
}

export function openTerminalRecords(options: { terminalId: string; dbPath?: string; now?: () => Date }): TerminalRecords {
  const { path, practiceDir } = locate(options.dbPath);
  let db: ReturnType<typeof openKioskDatabase>;
  try {
    db = openKioskDatabase(path);
  } catch (error) {
    if (practiceDir) rmSync(practiceDir, { recursive: true, force: true });
    throw error;
  }
  const now = options.now ?? (() => new Date());
  const audit = new AuditChain(db, { terminalId: options.terminalId, now });
  return {
    journal: new RenewalJournal(db, { audit, now }),
    audit,
    outbox: new AuditOutbox(db, audit),
    signInLimits: new StaffSignInLimits(db),
    path,
    close() {
      db.close();
      if (practiceDir) rmSync(practiceDir, { recursive: true, force: true });
    },
  };
}

/** The database file: the one asked for, or a practice database in a folder made for it. */
function locate(dbPath: string | undefined): { path: string; practiceDir?: string } {
  if (dbPath) return { path: dbPath };
  const practiceDir = mkdtempSync(join(tmpdir(), 'myna-kiosk-practice-'));
  return { path: join(practiceDir, 'kiosk.sqlite'), practiceDir };
}
