import type { SavedCode } from '../../src/protocol/exercise-runs.ts';

/**
 * The code learners write in the coded exercises, one copy per learner and
 * exercise: the browser keeps its own and sends it; of two copies the one
 * saved later (by the browsers' clocks) is kept. `SqliteCodeStore`, `PostgresCodeStore`.
 */
export interface CodeStore {
  /** The learner's code of the exercise (`{code: null, savedAt: null}` when none). */
  get(learnerId: string, lesson: string, exercise: string): Promise<SavedCode>;
  /** Keeps `code` unless the stored copy was saved later; answers the copy kept. */
  save(learnerId: string, lesson: string, exercise: string, code: string, savedAt: number): Promise<SavedCode>;
}

export const NO_CODE: SavedCode = { code: null, savedAt: null };
