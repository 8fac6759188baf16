import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AuditChain, AuditError, type ExportFormat } from '../store/audit';
import { openKioskDatabase, resolveDatabasePath, type KioskDatabase } from '../store/database';
import { UsageError } from './usage-error';

/**
 * `myna-kiosk audit verify [--db <path>]`
 * `myna-kiosk audit export --from <date> --to <date> --format csv|jsonl [--db <path>] [--out <file>]`
 *
 * Staff and auditors check the audit chain and take a period out of it.
 * The database is `--db`, else `$MYNA_KIOSK_DB`, else `kiosk.sqlite` in the
 * data folder (`$MYNA_KIOSK_DATA_DIR`, else ~/.local/share/myna-kiosk). It is
 * never created here: a wrong path is an error, not an empty, "intact" log.
 */

export interface AuditCliIo {
  env?: NodeJS.ProcessEnv;
  /** Where the report goes (standard output by default). */
  write?: (text: string) => void;
}

const writeStdout = (text: string) => {
  process.stdout.write(text);
};

export async function runAuditVerify(argv: string[], io: AuditCliIo = {}): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { db: { type: 'string' } }, strict: true });
  const write = io.write ?? writeStdout;
  const path = values.db ?? resolveDatabasePath(io.env ?? process.env);
  const db = openKioskDatabase(path, { create: false });
  try {
    const result = chainOf(db).verify();
    if (result.ok) {
      write(`audit chain intact: ${result.rows} row${result.rows === 1 ? '' : 's'}, head ${result.headHash} (${path})\n`);
      return 0;
    }
    write(`audit chain BROKEN at row ${result.firstBrokenSeq} (${result.reason}): ${result.message} (${path})\n`);
    return 1;
  } finally {
    db.close();
  }
}

export async function runAuditExport(argv: string[], io: AuditCliIo = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      db: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const write = io.write ?? writeStdout;
  const from = requireDate('from', values.from);
  const to = requireDate('to', values.to);
  if (from > to) throw new UsageError(`--from (${from}) is after --to (${to})`);
  if (values.format === undefined) throw new UsageError('--format is required: csv or jsonl');
  if (values.format !== 'csv' && values.format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl (got "${values.format}")`);
  const format: ExportFormat = values.format;

  const path = values.db ?? resolveDatabasePath(io.env ?? process.env);
  const db = openKioskDatabase(path, { create: false });
  try {
    if (values.out === undefined) {
      write(chainOf(db).export({ from, to, format }));
      return 0;
    }
    // Claim the file first (never overwrite an earlier export), so the export is only recorded when it can be written.
    let fd: number;
    try {
      fd = openSync(values.out, 'wx', 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'EEXIST'
          ? `${values.out} already exists; choose another file name`
          : `${values.out} cannot be written: ${(error as Error).message}`,
      );
    }
    let exported: { text: string; rows: number };
    try {
      exported = chainOf(db).exportWithCount({ from, to, format });
      writeSync(fd, exported.text);
    } catch (error) {
      closeSync(fd);
      unlinkSync(values.out);
      throw error;
    }
    closeSync(fd);
    write(`exported ${exported.rows} row${exported.rows === 1 ? '' : 's'} (Japan dates ${from} to ${to}, ${format}) to ${values.out}\n`);
    return 0;
  } finally {
    db.close();
  }
}

function requireDate(name: 'from' | 'to', value: string | undefined): string {
  if (value === undefined) throw new UsageError(`--${name} is required: a Japan date as YYYY-MM-DD`);
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(value) ||
    Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ||
    new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
  ) {
    throw new UsageError(`--${name} must be a real date as YYYY-MM-DD (got "${value}")`);
  }
  return value;
}

/** The chain, appending (for the export record) as the terminal whose log it is. */
function chainOf(db: KioskDatabase): AuditChain {
  const last = db.prepare('SELECT terminal_id FROM audit_log ORDER BY seq DESC LIMIT 1').pluck().get() as string | undefined;
  try {
    return new AuditChain(db, { terminalId: last ?? 'unknown' });
  } catch (error) {
    if (error instanceof AuditError) return new AuditChain(db, { terminalId: 'unknown' });
    throw error;
  }
}
