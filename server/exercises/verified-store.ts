import type { VerifiedCompletions } from '../../src/protocol/exercise-runs.ts';

/**
 * The exercises the server verified, per learner: written only by a passed
 * exercise run, never by `PUT /api/progress`. Kept beside the progress, on
 * the same database (`SqliteVerifiedStore`, `PostgresVerifiedStore`).
 */
export interface VerifiedStore {
  /** Records that `learnerId` passed `lesson`'s `exercise` at `at`, and answers when it was first verified. */
  record(learnerId: string, lesson: string, exercise: string, at: number): Promise<number>;
  /** The learner's verified exercises (empty when none). */
  list(learnerId: string): Promise<VerifiedCompletions>;
  /** Forgets the learner's verified exercises (their progress was reset). */
  forget(learnerId: string): Promise<void>;
}

/** Rows of `verified_exercises` as a {@link VerifiedCompletions}. */
export function completionsOf(rows: readonly { lesson: string; exercise: string; verified_at: number | string }[]): VerifiedCompletions {
  const completions: VerifiedCompletions = {};
  for (const row of rows) (completions[row.lesson] ??= {})[row.exercise] = Number(row.verified_at);
  return completions;
}
