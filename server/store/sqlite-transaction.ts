import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `work` in a `BEGIN IMMEDIATE` transaction: commits what it did, or
 * rolls it all back if it throws. IMMEDIATE takes the write lock at the
 * start, so a read-then-write inside cannot be interleaved with another
 * writer, even a second process on the same file (https://sqlite.org/lang_transaction.html).
 */
export function immediateTransaction<T>(database: DatabaseSync, work: () => T): T {
  database.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    database.exec('COMMIT');
    return result;
  } catch (error) {
    database.exec('ROLLBACK');
    throw error;
  }
}
