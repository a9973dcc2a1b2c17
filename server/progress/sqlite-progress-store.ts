import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Progress } from '../../src/protocol/progress.ts';
import { resetProgressAt } from '../../src/protocol/merge-progress.ts';
import { immediateTransaction } from '../store/sqlite-transaction.ts';
import { mergeStored, type ProgressStore, type StoredProgress } from './progress-store.ts';

/**
 * Progress in SQLite (tables in `server/store/sqlite-migrations.ts`). The work
 * is synchronous (`node:sqlite`), and each read-merge-write runs in one
 * `BEGIN IMMEDIATE` transaction, so two saves for one learner, even from two
 * server processes on one file, cannot lose each other's changes.
 */
export class SqliteProgressStore implements ProgressStore {
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

  async get(learnerId: string): Promise<StoredProgress | undefined> {
    return this.#read(learnerId);
  }

  async merge(learnerId: string, incoming: Progress): Promise<StoredProgress> {
    return immediateTransaction(this.#database, () => {
      const now = this.#now();
      const { result, write } = mergeStored(this.#read(learnerId), incoming, now);
      this.#insertLearner.run(learnerId, now, now);
      this.#touchLearner.run(now, learnerId);
      if (write !== undefined) this.#save.run(learnerId, write, now);
      return result;
    });
  }

  async reset(learnerId: string): Promise<StoredProgress | undefined> {
    return immediateTransaction(this.#database, () => {
      const stored = this.#read(learnerId);
      if (!stored) return undefined;
      const now = this.#now();
      const progress = resetProgressAt(stored.progress, now);
      this.#save.run(learnerId, JSON.stringify(progress), now);
      this.#touchLearner.run(now, learnerId);
      return { progress, updatedAt: now };
    });
  }

  #read(learnerId: string): StoredProgress | undefined {
    const row = this.#select.get(learnerId) as { json: string; updated_at: number } | undefined;
    return row && { progress: JSON.parse(row.json) as Progress, updatedAt: row.updated_at };
  }
}
