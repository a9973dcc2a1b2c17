import type { Progress } from '../../src/protocol/progress.ts';
import { resetProgressAt } from '../../src/protocol/merge-progress.ts';
import type { PostgresPool, SqlRunner } from '../store/postgres-pool.ts';
import { mergeStored, type ProgressStore, type StoredProgress } from './progress-store.ts';

/**
 * Progress in PostgreSQL (tables in `server/store/postgres-migrations.ts`),
 * shared by every instance on the same `DATABASE_URL`. Each read-merge-write
 * is one transaction that first locks the learner's row, so two instances
 * saving for one learner at once run one after the other, and the second
 * merges into what the first wrote.
 */
export class PostgresProgressStore implements ProgressStore {
  readonly #pool: PostgresPool;
  readonly #now: () => number;

  constructor(pool: PostgresPool, now: () => number = Date.now) {
    this.#pool = pool;
    this.#now = now;
  }

  get(learnerId: string): Promise<StoredProgress | undefined> {
    return read(this.#pool, learnerId);
  }

  merge(learnerId: string, incoming: Progress): Promise<StoredProgress> {
    return this.#pool.transaction(async (sql) => {
      const now = this.#now();
      // Creates or touches the learner and, either way, locks their row until COMMIT: a concurrent
      // save waits here, and its next statement (READ COMMITTED: a new snapshot) reads what this one wrote.
      await sql.query(
        `INSERT INTO learners (id, created_at, updated_at) VALUES ($1, $2, $2)
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at`,
        [learnerId, now],
      );
      const { result, write } = mergeStored(await read(sql, learnerId), incoming, now);
      if (write !== undefined) await save(sql, learnerId, write, now);
      return result;
    });
  }

  reset(learnerId: string): Promise<StoredProgress | undefined> {
    return this.#pool.transaction(async (sql) => {
      const now = this.#now();
      // Touching the learner locks them, as in merge(); nobody is created.
      const touched = await sql.query('UPDATE learners SET updated_at = $2 WHERE id = $1 RETURNING id', [learnerId, now]);
      if (touched.length === 0) return undefined;
      const stored = await read(sql, learnerId);
      if (!stored) return undefined;
      const progress = resetProgressAt(stored.progress, now);
      await save(sql, learnerId, JSON.stringify(progress), now);
      return { progress, updatedAt: now };
    });
  }
}

async function read(sql: SqlRunner, learnerId: string): Promise<StoredProgress | undefined> {
  // jsonb comes back parsed.
  const [row] = await sql.query<{ json: Progress; updated_at: number }>('SELECT json, updated_at FROM progress WHERE learner_id = $1', [
    learnerId,
  ]);
  return row && { progress: row.json, updatedAt: row.updated_at };
}

function save(sql: SqlRunner, learnerId: string, json: string, now: number): Promise<unknown> {
  return sql.query(
    `INSERT INTO progress (learner_id, json, updated_at) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (learner_id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at`,
    [learnerId, json, now],
  );
}
