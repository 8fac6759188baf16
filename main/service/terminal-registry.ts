import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../base/validation';
import { TERMINAL_ID_PATTERN, TERMINAL_ROLES, writeFileAtomically, type TerminalRole } from './terminal-pki';

/**
 * The terminals the service knows (`terminals.json` in its folder): each
 * enrolment with its certificate's serial, and its revocation. The running
 * service reads the file again whenever it changed, so `service
 * revoke-terminal` (another process) takes effect on the next request.
 * Enrolling an id again replaces its certificate: the old one is revoked.
 */

const entrySchema = z.strictObject({
  id: z.string().regex(TERMINAL_ID_PATTERN),
  role: z.enum(TERMINAL_ROLES),
  serialNumber: z.string().regex(/^[0-9A-F]{1,40}$/),
  notAfter: z.iso.datetime(),
  enrolledAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().optional(),
});
export type TerminalEntry = z.infer<typeof entrySchema>;

const registrySchema = z.strictObject({ version: z.literal(1), terminals: z.array(entrySchema) });

/** Why a client certificate is not a terminal the service answers. */
export type TerminalRefusal = 'unknown-terminal' | 'revoked-terminal' | 'expired-terminal';

export class TerminalRegistry {
  #entries: TerminalEntry[] = [];
  #loadedStamp = '';

  constructor(private readonly path: string) {}

  /** Every enrolment, the revoked ones included, as the file says now. */
  list(): TerminalEntry[] {
    this.#refresh();
    return this.#entries.map((entry) => ({ ...entry }));
  }

  enrol(entry: Omit<TerminalEntry, 'enrolledAt' | 'revokedAt'>, now = new Date()): TerminalEntry {
    this.#refresh();
    const at = now.toISOString();
    const entries = this.#entries.map((existing) =>
      existing.id === entry.id && !existing.revokedAt ? { ...existing, revokedAt: at } : existing,
    );
    const added: TerminalEntry = { ...entry, enrolledAt: at };
    this.#write([...entries, added]);
    return added;
  }

  /** Revokes every certificate of the terminal; false when it has none in force. */
  revoke(id: string, now = new Date()): boolean {
    this.#refresh();
    let revoked = false;
    const entries = this.#entries.map((entry) => {
      if (entry.id !== id || entry.revokedAt) return entry;
      revoked = true;
      return { ...entry, revokedAt: now.toISOString() };
    });
    if (revoked) this.#write(entries);
    return revoked;
  }

  /** The terminal behind a client certificate that TLS has already verified against the CA, or why it is refused. */
  authorise(certificate: { id: string; serialNumber: string }, now = new Date()): TerminalEntry | TerminalRefusal {
    this.#refresh();
    const entry = this.#entries.find((candidate) => candidate.serialNumber === certificate.serialNumber && candidate.id === certificate.id);
    if (!entry) return 'unknown-terminal';
    if (entry.revokedAt) return 'revoked-terminal';
    if (new Date(entry.notAfter).getTime() <= now.getTime()) return 'expired-terminal';
    return entry;
  }

  #refresh(): void {
    let stamp: string;
    try {
      const stat = statSync(this.path);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      this.#entries = [];
      this.#loadedStamp = '';
      return;
    }
    if (stamp === this.#loadedStamp) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      throw new Error(`${this.path} is not valid JSON: ${(error as Error).message}`);
    }
    const result = registrySchema.safeParse(parsed);
    if (!result.success) throw new Error(`${this.path} is not a terminal registry — ${describeIssues(result.error)}`);
    this.#entries = result.data.terminals;
    this.#loadedStamp = stamp;
  }

  #write(terminals: TerminalEntry[]): void {
    writeFileAtomically(this.path, `${JSON.stringify({ version: 1, terminals }, null, 2)}\n`);
    this.#entries = terminals;
    this.#loadedStamp = '';
  }
}

export function isTerminalRole(role: string): role is TerminalRole {
  return (TERMINAL_ROLES as readonly string[]).includes(role);
}
