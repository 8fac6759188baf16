import type { AuditChain, AuditRow } from './audit';
import type { KioskDatabase } from './database';

/**
 * The audit outbox (docs/fleet.md): every audit row after the last one the
 * issuing service acknowledged is still to be delivered. The log is the
 * outbox's content — a row cannot be appended without being queued — and
 * `audit_shipping` remembers how far the service has confirmed, so a
 * restart of the kiosk resumes where delivery stopped.
 *
 * The cursor only ever records what the service said it holds, and only
 * when this terminal's chain has that very row: a service whose copy ends
 * somewhere the local chain does not reach (or differs) is a conflict for
 * the reporter to resolve, never a reason to move the cursor.
 */
export class AuditOutbox {
  readonly #db: KioskDatabase;
  readonly #chain: AuditChain;

  constructor(db: KioskDatabase, chain: AuditChain) {
    this.#db = db;
    this.#chain = chain;
  }

  /** This file's chain, as the service knows it apart from the terminal's earlier ones (32 hex digits, made with the file). */
  chainId(): string {
    return this.#db.prepare('SELECT chain_id FROM audit_shipping WHERE id = 1').pluck().get() as string;
  }

  /** The last row the service acknowledged. */
  acknowledged(): { seq: number; hash: string } {
    return this.#db.prepare('SELECT acknowledged_seq AS seq, acknowledged_hash AS hash FROM audit_shipping WHERE id = 1').get() as {
      seq: number;
      hash: string;
    };
  }

  /**
   * Whether the local chain still holds the row the service acknowledged,
   * unchanged. When not, the chain was cut or rewritten after it was
   * delivered: the reporter must find where, not ship blindly past it.
   */
  holdsAcknowledged(): boolean {
    const acknowledged = this.acknowledged();
    if (acknowledged.seq === 0) return true;
    // A row's hash covers its seq, so the hash alone says whether this is the very row.
    return this.#chain.hashesAfter(acknowledged.seq - 1, 1)[0]?.hash === acknowledged.hash;
  }

  /** Rows not yet acknowledged (a local chain cut below the cursor has none: the reporter sees that from the heads). */
  backlog(): number {
    return Math.max(0, this.#chain.head().seq - this.acknowledged().seq);
  }

  /** The next rows to deliver, after `from` (the cursor unless the reporter re-ships from a conflict). */
  next(limit: number, from = this.acknowledged().seq): AuditRow[] {
    return this.#chain.rowsAfter(from, limit);
  }

  /**
   * The service holds the chain up to `head`: move the cursor there when
   * the local chain has that row with that hash. Returns whether it did.
   */
  acknowledge(head: { seq: number; hash: string }): boolean {
    if (head.seq === 0) {
      this.#db.prepare('UPDATE audit_shipping SET acknowledged_seq = 0, acknowledged_hash = ? WHERE id = 1').run('0'.repeat(64));
      return true;
    }
    if (this.#chain.hashesAfter(head.seq - 1, 1)[0]?.hash !== head.hash) return false;
    this.#db.prepare('UPDATE audit_shipping SET acknowledged_seq = ?, acknowledged_hash = ? WHERE id = 1').run(head.seq, head.hash);
    return true;
  }
}
