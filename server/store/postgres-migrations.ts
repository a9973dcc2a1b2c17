import type { Migration } from './migration.ts';

/**
 * The PostgreSQL schema, tracked in `schema_migrations`: the same tables as
 * `sqlite-migrations.ts`, migration for migration. Times are `bigint`
 * milliseconds since the epoch, as in SQLite and the API, so both engines
 * store the same values.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    description: 'learners and their progress',
    // jsonb: checked as JSON on the way in; the document is still read and written whole.
    sql: `
      CREATE TABLE learners (
        id text PRIMARY KEY,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
      );
      CREATE TABLE progress (
        learner_id text PRIMARY KEY REFERENCES learners (id) ON DELETE CASCADE,
        json jsonb NOT NULL,
        updated_at bigint NOT NULL
      );
    `,
  },
  {
    description: 'workshops and their members',
    // No foreign key from workshop_members to learners: a learner may join before saving any progress.
    sql: `
      CREATE TABLE workshops (
        id text PRIMARY KEY,
        code text NOT NULL UNIQUE,
        title text NOT NULL,
        host_secret_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('open', 'locked', 'closed')),
        focus_lesson text,
        focus_at bigint,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
      );
      CREATE TABLE workshop_members (
        id text PRIMARY KEY,
        workshop_id text NOT NULL REFERENCES workshops (id) ON DELETE CASCADE,
        learner_id text NOT NULL,
        name text NOT NULL,
        joined_at bigint NOT NULL,
        left_at bigint,
        done_at bigint,
        UNIQUE (workshop_id, learner_id)
      );
    `,
  },
  {
    description: 'exercises the server verified',
    // No foreign key to learners: a learner may pass an exercise before saving any progress.
    sql: `
      CREATE TABLE verified_exercises (
        learner_id text NOT NULL,
        lesson text NOT NULL,
        exercise text NOT NULL,
        verified_at bigint NOT NULL,
        PRIMARY KEY (learner_id, lesson, exercise)
      );
    `,
  },
  {
    description: 'the code learners write in the coded exercises',
    sql: `
      CREATE TABLE exercise_code (
        learner_id text NOT NULL,
        lesson text NOT NULL,
        exercise text NOT NULL,
        code text NOT NULL,
        saved_at bigint NOT NULL,
        PRIMARY KEY (learner_id, lesson, exercise)
      );
    `,
  },
];
