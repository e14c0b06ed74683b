import type { DatabaseSync } from 'node:sqlite';

/** A transaction's work must finish before COMMIT: an async one would commit before its awaited writes. */
export type Synchronous<T> = T extends PromiseLike<unknown> ? never : T;

/**
 * Runs `work` as one transaction: committed when it returns, rolled back when it throws, so a crash or a
 * refusal half-way leaves nothing half-written. IMMEDIATE takes the write lock before `work` reads, so what
 * it read still holds when it writes (the CLI and the helper share the file).
 */
export function inTransaction<T>(db: DatabaseSync, work: () => Synchronous<T>): T {
  // SQLite refuses a nested BEGIN too, but its message says nothing of what to do instead.
  if (db.isTransaction) throw new Error('a transaction is already open: run this work inside it, not in a new one');
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    // Some errors (a full disk, say) end the transaction themselves; a second ROLLBACK would hide them.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
