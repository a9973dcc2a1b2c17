import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SavedCode } from '../../src/protocol/exercise-runs.ts';
import { type CodeStore, NO_CODE } from './code-store.ts';

/** Learners' code in SQLite (`exercise_code`, `server/store/sqlite-migrations.ts`). */
export class SqliteCodeStore implements CodeStore {
  readonly #select: StatementSync;
  readonly #upsert: StatementSync;

  constructor(database: DatabaseSync) {
    this.#select = database.prepare('SELECT code, saved_at FROM exercise_code WHERE learner_id = ? AND lesson = ? AND exercise = ?');
    // The newer copy wins: an older one arriving late (another tab, a slow network) changes nothing.
    this.#upsert = database.prepare(
      `INSERT INTO exercise_code (learner_id, lesson, exercise, code, saved_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (learner_id, lesson, exercise) DO UPDATE SET code = excluded.code, saved_at = excluded.saved_at
       WHERE excluded.saved_at > exercise_code.saved_at`,
    );
  }

  async get(learnerId: string, lesson: string, exercise: string): Promise<SavedCode> {
    const row = this.#select.get(learnerId, lesson, exercise) as { code: string; saved_at: number } | undefined;
    return row ? { code: row.code, savedAt: row.saved_at } : NO_CODE;
  }

  async save(learnerId: string, lesson: string, exercise: string, code: string, savedAt: number): Promise<SavedCode> {
    this.#upsert.run(learnerId, lesson, exercise, code, savedAt);
    return this.get(learnerId, lesson, exercise);
  }
}
