import type { SavedCode } from '../../src/protocol/exercise-runs.ts';
import type { PostgresPool } from '../store/postgres-pool.ts';
import { type CodeStore, NO_CODE } from './code-store.ts';

/** Learners' code in PostgreSQL (`exercise_code`, `server/store/postgres-migrations.ts`), shared by every instance. */
export class PostgresCodeStore implements CodeStore {
  readonly #pool: PostgresPool;

  constructor(pool: PostgresPool) {
    this.#pool = pool;
  }

  async get(learnerId: string, lesson: string, exercise: string): Promise<SavedCode> {
    const [row] = await this.#pool.query<{ code: string; saved_at: number | string }>(
      'SELECT code, saved_at FROM exercise_code WHERE learner_id = $1 AND lesson = $2 AND exercise = $3',
      [learnerId, lesson, exercise],
    );
    return row ? { code: row.code, savedAt: Number(row.saved_at) } : NO_CODE;
  }

  async save(learnerId: string, lesson: string, exercise: string, code: string, savedAt: number): Promise<SavedCode> {
    // One statement: the newer copy wins, and the row kept comes back either way.
    const [row] = await this.#pool.query<{ code: string; saved_at: number | string }>(
      `INSERT INTO exercise_code (learner_id, lesson, exercise, code, saved_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (learner_id, lesson, exercise) DO UPDATE
         SET code = CASE WHEN excluded.saved_at > exercise_code.saved_at THEN excluded.code ELSE exercise_code.code END,
             saved_at = GREATEST(excluded.saved_at, exercise_code.saved_at)
       RETURNING code, saved_at`,
      [learnerId, lesson, exercise, code, savedAt],
    );
    return { code: row!.code, savedAt: Number(row!.saved_at) };
  }
}
