import type { VerifiedCompletions } from '../../src/protocol/exercise-runs.ts';
import type { Progress } from '../../src/protocol/progress.ts';
import type { MemberQuiz } from '../../src/protocol/workshops.ts';
import { normalizeProgress } from '../../src/protocol/merge-progress.ts';
import { scenarios } from '../../src/protocol/quiz/data.ts';
import { scoreAttempt } from '../../src/protocol/quiz/scenarios.ts';

/** What the host sees of a learner's synced progress. */
export interface ProgressSummary {
  /** Lesson slug → when it was completed. */
  completed: Record<string, number>;
  /** Lesson slug → when the server first verified one of its exercises. */
  verified: Record<string, number>;
  /** The latest quiz attempt, or null. */
  quiz: MemberQuiz | null;
}

export const NO_PROGRESS: ProgressSummary = { completed: {}, verified: {}, quiz: null };

/** The completed lessons, the lessons with an exercise the server verified, and the latest quiz attempt (by `at`). */
export function summarizeProgress(progress: Progress, verifiedExercises: VerifiedCompletions = {}): ProgressSummary {
  // Normalized first: an undone completion or one older than a reset does not count.
  const normalized = normalizeProgress(progress);
  const completed: Record<string, number> = {};
  for (const [slug, lesson] of Object.entries(normalized.lessons)) {
    if (lesson.completedAt !== undefined) completed[slug] = lesson.completedAt;
  }
  let quiz: MemberQuiz | null = null;
  for (const attempt of normalized.quiz ?? []) {
    if (quiz === null || attempt.at > quiz.at) {
      const { points } = scoreAttempt(scenarios, attempt.answers);
      quiz = { at: attempt.at, score: attempt.score, points, total: attempt.total, answers: attempt.answers };
    }
  }
  const verified: Record<string, number> = {};
  for (const [slug, exercises] of Object.entries(verifiedExercises)) verified[slug] = Math.min(...Object.values(exercises));
  return { completed, verified, quiz };
}
