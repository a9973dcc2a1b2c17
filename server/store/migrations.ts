/**
 * The database schema, as an ordered list of migrations. Migration `n`
 * (1-based) takes a database from `PRAGMA user_version` n−1 to n. Never edit
 * one that has shipped: append a new one. Each runs in its own transaction
 * with the version bump, so a failure leaves the database as it was.
 */
export interface Migration {
  /** What it changes, for the log and for people reading this list. */
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'learners and their progress',
    // STRICT tables (SQLite 3.37): a value of the wrong type is an error, not silently stored.
    sql: `
      CREATE TABLE learners (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE progress (
        learner_id TEXT PRIMARY KEY REFERENCES learners (id) ON DELETE CASCADE,
        json TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];
