import { existsSync } from 'node:fs';
import { z } from 'zod';
import { PASSCODE_HASH_PATTERN } from '../base/passcode';
import { readJsonFile } from '../base/validation';
import { writeFileAtomically } from './terminal-pki';

/**
 * Who may sign in to the dashboard: `dashboard-accounts.json` in the service
 * folder (readable by its owner only), made by `npx myna-kiosk service
 * dashboard-account`. A passcode is kept only as its scrypt hash
 * (base/passcode.ts). The file is read at every sign-in, so an account added
 * or removed takes effect at once, with the service running.
 */

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const fileSchema = z.strictObject({
  accounts: z.array(
    z.strictObject({
      id: z.string().regex(ACCOUNT_ID_PATTERN),
      passcodeHash: z.string().regex(PASSCODE_HASH_PATTERN, 'a passcode hash made by "service dashboard-account"'),
      createdAt: z.iso.datetime(),
    }),
  ),
});
export type DashboardAccount = z.infer<typeof fileSchema>['accounts'][number];

export class DashboardAccounts {
  constructor(readonly path: string) {}

  list(): DashboardAccount[] {
    if (!existsSync(this.path)) return [];
    const parsed = fileSchema.safeParse(readJsonFile(this.path, (message) => new Error(message)));
    if (!parsed.success) throw new Error(`${this.path} is not a dashboard accounts file: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data.accounts;
  }

  passcodeHashOf(id: string): string | undefined {
    return this.list().find((account) => account.id === id)?.passcodeHash;
  }

  /** Adds the account, or gives an existing one a new passcode. */
  set(id: string, passcodeHash: string, now = new Date()): 'added' | 'changed' {
    if (!ACCOUNT_ID_PATTERN.test(id)) throw new Error(`an account id is 1–64 of letters, digits and . _ - (got "${id}")`);
    const accounts = this.list();
    const existing = accounts.some((account) => account.id === id);
    const next = existing
      ? accounts.map((account) => (account.id === id ? { ...account, passcodeHash } : account))
      : [...accounts, { id, passcodeHash, createdAt: now.toISOString() }];
    writeFileAtomically(this.path, `${JSON.stringify({ accounts: next }, null, 2)}\n`, true);
    return existing ? 'changed' : 'added';
  }

  remove(id: string): boolean {
    const accounts = this.list();
    const next = accounts.filter((account) => account.id !== id);
    if (next.length === accounts.length) return false;
    writeFileAtomically(this.path, `${JSON.stringify({ accounts: next }, null, 2)}\n`, true);
    return true;
  }
}
