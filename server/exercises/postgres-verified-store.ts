import type { VerifiedCompletions } from '../../src/protocol/exercise-runs.ts';
import type { PostgresPool } from '../store/postgres-pool.ts';
import { completionsOf, type VerifiedStore } from './verified-store.ts';

/** Verified exercises in PostgreSQL (`verified_exercises`, `server/store/postgres-migrations.ts`), shared by every instance. */
export class PostgresVerifiedStore implements VerifiedStore {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  async record(learnerId: string, lesson: string, exercise: string, at: number): Promise<number> {
    // The first verification stands; the no-op update makes RETURNING answer the stored time.
    const [row] = await this.#pool.query<{ verified_at: number | string }>(
      `INSERT INTO verified_exercises (learner_id, lesson, exercise, verified_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (learner_id, lesson, exercise) DO UPDATE SET verified_at = verified_exercises.verified_at
       RETURNING verified_at`,
      [learnerId, lesson, exercise, at],
    );
    return Number(row!.verified_at);
  }

  async list(learnerId: string): Promise<VerifiedCompletions> {
    return completionsOf(
      await this.#pool.query<{ lesson: string; exercise: string; verified_at: number | string }>(
        'SELECT lesson, exercise, verified_at FROM verified_exercises WHERE learner_id = $1',
        [learnerId],
      ),
    );
  }

  async forget(learnerId: string): Promise<void> {
    await this.#pool.query('DELETE FROM verified_exercises WHERE learner_id = $1', [learnerId]);
  }
}
