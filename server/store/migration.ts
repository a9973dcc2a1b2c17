/**
 * One step of a database schema. Each engine keeps an ordered list of them
 * (`sqlite-migrations.ts`, `postgres-migrations.ts`): migration `n` (1-based)
 * takes a database from schema version n−1 to n. Never edit one that has
 * shipped: append a new one. Each runs in its own transaction with the
 * version bump, so a failure leaves the database as it was.
 */
export interface Migration {
  /** What it changes, for the log and for people reading the list. */
  description: string;
  sql: string;
}
