import type { Migration } from './migration.ts';

/** The SQLite schema (`node:sqlite`), tracked by `PRAGMA user_version`; `postgres-migrations.ts` is its PostgreSQL twin. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
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
  {
    description: 'workshops and their members',
    // No foreign key from workshop_members to learners: a learner may join before saving any progress.
    sql: `
      CREATE TABLE workshops (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        host_secret_hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'locked', 'closed')),
        focus_lesson TEXT,
        focus_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE workshop_members (
        id TEXT PRIMARY KEY,
        workshop_id TEXT NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
        learner_id TEXT NOT NULL,
        name TEXT NOT NULL,
        joined_at INTEGER NOT NULL,
        left_at INTEGER,
        done_at INTEGER,
        UNIQUE (workshop_id, learner_id)
      ) STRICT;
    `,
  },
  {
    description: 'exercises the server verified',
    // No foreign key to learners: a learner may pass an exercise before saving any progress.
    sql: `
      CREATE TABLE verified_exercises (
        learner_id TEXT NOT NULL,
        lesson TEXT NOT NULL,
        exercise TEXT NOT NULL,
        verified_at INTEGER NOT NULL,
        PRIMARY KEY (learner_id, lesson, exercise)
      ) STRICT;
    `,
  },
  {
    description: 'the code learners write in the coded exercises',
    sql: `
      CREATE TABLE exercise_code (
        learner_id TEXT NOT NULL,
        lesson TEXT NOT NULL,
        exercise TEXT NOT NULL,
        code TEXT NOT NULL,
        saved_at INTEGER NOT NULL,
        PRIMARY KEY (learner_id, lesson, exercise)
      ) STRICT;
    `,
  },
];
