import { type DatabaseSync, type StatementSync } from 'node:sqlite';
import { type Progress } from '../../src/protocol/progress.ts';
import { mergeProgress, normalizeProgress, resetProgressAt } from '../../src/progress/merge-progress.ts';

/** A learner's progress as stored. */
export interface StoredProgress {
  progress: Progress;
  /** When it last changed on the server (ms since the epoch). */
  updatedAt: number;
}

/**
 * Each learner's progress, one JSON document per learner in SQLite (tables in
 * `server/store/migrations.ts`). A document, not normalized tables: it is
 * read and written whole, merged by the same code as in the browser, and
 * bounded (`PROGRESS_LIMITS`). Every method is synchronous (`node:sqlite`),
 * and each read-merge-write runs in one `BEGIN IMMEDIATE` transaction, so two
 * saves for one learner, even from two server processes on one file, cannot
 * lose each other's changes.
 */
export class ProgressStore {
  readonly #database: DatabaseSync;
  readonly #now: () => number;
  readonly #select: StatementSync;
  readonly #insertLearner: StatementSync;
  readonly #touchLearner: StatementSync;
  readonly #save: StatementSync;

  constructor(database: DatabaseSync, now: () => number = Date.now) {
    this.#database = database;
    this.#now = now;
    this.#select = database.prepare('SELECT json, updated_at FROM progress WHERE learner_id = ?');
    this.#insertLearner = database.prepare(
      'INSERT INTO learners (id, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.#touchLearner = database.prepare('UPDATE learners SET updated_at = ? WHERE id = ?');
    this.#save = database.prepare(
      `INSERT INTO progress (learner_id, json, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (learner_id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at`,
    );
  }

  /** The learner's progress, or undefined when the server has none. */
  get(learnerId: string): StoredProgress | undefined {
    const row = this.#select.get(learnerId) as { json: string; updated_at: number } | undefined;
    return row && { progress: JSON.parse(row.json) as Progress, updatedAt: row.updated_at };
  }

  /**
   * Merges `incoming` (validated) into the learner's progress, creating the
   * learner if new, and returns the result.
   */
  merge(learnerId: string, incoming: Progress): StoredProgress {
    return this.#transaction(() => {
      const now = this.#now();
      const stored = this.get(learnerId);
      const merged = mergeProgress(stored?.progress ?? { lessons: {} }, incoming);
      this.#insertLearner.run(learnerId, now, now);
      this.#touchLearner.run(now, learnerId);
      const json = JSON.stringify(merged);
      if (stored && JSON.stringify(normalizeProgress(stored.progress)) === json) return stored;
      this.#save.run(learnerId, json, now);
      return { progress: merged, updatedAt: now };
    });
  }

  /**
   * Resets the learner's progress: keeps only the time of the reset, which
   * hides everything recorded before it when another copy is merged in later.
   * Does nothing (and creates nobody) when the server has no progress for them.
   */
  reset(learnerId: string): StoredProgress | undefined {
    return this.#transaction(() => {
      const stored = this.get(learnerId);
      if (!stored) return undefined;
      const now = this.#now();
      const progress = resetProgressAt(stored.progress, now);
      this.#save.run(learnerId, JSON.stringify(progress), now);
      this.#touchLearner.run(now, learnerId);
      return { progress, updatedAt: now };
    });
  }

  #transaction<T>(work: () => T): T {
    this.#database.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.#database.exec('COMMIT');
      return result;
    } catch (error) {
      this.#database.exec('ROLLBACK');
      throw error;
    }
  }
}
