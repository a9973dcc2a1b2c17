import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { VerifiedCompletions } from '../../src/protocol/exercise-runs.ts';
import { completionsOf, type VerifiedStore } from './verified-store.ts';

/** Verified exercises in SQLite (`verified_exercises`, `server/store/sqlite-migrations.ts`). */
export class SqliteVerifiedStore implements VerifiedStore {
  readonly #insert: StatementSync;
  readonly #select: StatementSync;
  readonly #delete: StatementSync;

  constructor(database: DatabaseSync) {
    // The first verification stands: a later pass changes nothing.
    this.#insert = database.prepare(
      `INSERT INTO verified_exercises (learner_id, lesson, exercise, verified_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (learner_id, lesson, exercise) DO UPDATE SET verified_at = verified_at RETURNING verified_at`,
    );
    this.#select = database.prepare('SELECT lesson, exercise, verified_at FROM verified_exercises WHERE learner_id = ?');
    this.#delete = database.prepare('DELETE FROM verified_exercises WHERE learner_id = ?');
  }

  async record(learnerId: string, lesson: string, exercise: string, at: number): Promise<number> {
    const row = this.#insert.get(learnerId, lesson, exercise, at) as { verified_at: number };
    return row.verified_at;
  }

  async list(learnerId: string): Promise<VerifiedCompletions> {
    return completionsOf(this.#select.all(learnerId) as { lesson: string; exercise: string; verified_at: number }[]);
  }

  async forget(learnerId: string): Promise<void> {
    this.#delete.run(learnerId);
  }
}
