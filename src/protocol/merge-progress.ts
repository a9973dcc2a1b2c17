import { PROGRESS_LIMITS, type LastPosition, type LessonProgress, type Progress, type QuizAttempt } from './progress.ts';

/*
 * Why this shape. Progress lives in several copies: localStorage (shared by
 * the tabs of one browser), the server, an exported file, another browser
 * context holding the same cookie. Copies are combined in whatever order the
 * network allows, so `mergeProgress` must be commutative, associative and
 * idempotent (a join, as in a state-based CRDT): then every copy that has
 * seen the same changes holds the same progress, whatever the order.
 *
 * Each field is a "latest time wins" register (max), and two tombstones
 * filter them:
 * - a lesson is complete when its latest completion is later than its latest
 *   undo (`uncompletedAt`): completion is never lost to an older copy, an
 *   explicit undo wins over older completions, and a later completion wins
 *   over the undo;
 * - `resetAt` hides everything recorded at or before it.
 * Max (not min) is what keeps the filter associative: with "first visit" or
 * "first completion" kept instead, a reset between two visits would keep or
 * lose the later one depending on which copies met first.
 * `epoch` sits above all of it: replacing progress with an imported file
 * bumps it, and the higher epoch wins outright.
 */

/** Combines two copies of the progress; the result is normalized (see {@link normalizeProgress}). */
export function mergeProgress(a: Progress, b: Progress): Progress {
  const epochA = a.epoch ?? 0;
  const epochB = b.epoch ?? 0;
  if (epochA !== epochB) return normalizeProgress(epochA > epochB ? a : b);

  const lessons: Record<string, LessonProgress> = {};
  for (const slug of new Set([...Object.keys(a.lessons), ...Object.keys(b.lessons)])) {
    lessons[slug] = mergeLesson(a.lessons[slug] ?? {}, b.lessons[slug] ?? {});
  }
  return normalizeProgress({
    lessons,
    quiz: [...(a.quiz ?? []), ...(b.quiz ?? [])],
    last: laterPosition(a.last, b.last),
    resetAt: maxOf(a.resetAt, b.resetAt),
    epoch: epochA,
  });
}

function mergeLesson(a: LessonProgress, b: LessonProgress): LessonProgress {
  const exercises: Record<string, number> = { ...a.exercises };
  for (const [id, at] of Object.entries(b.exercises ?? {})) exercises[id] = maxOf(exercises[id], at)!;
  return {
    visitedAt: maxOf(a.visitedAt, b.visitedAt),
    completedAt: maxOf(a.completedAt, b.completedAt),
    uncompletedAt: maxOf(a.uncompletedAt, b.uncompletedAt),
    exercises,
  };
}

/**
 * The canonical form of a copy: what a tombstone hides is dropped, empty
 * members are left out, keys are sorted, quiz attempts are unique by id,
 * oldest first, the newest {@link PROGRESS_LIMITS.maxQuizAttempts} kept. Two
 * copies that mean the same have the same JSON, so comparing `JSON.stringify`
 * tells whether a merge changed anything.
 */
export function normalizeProgress(progress: Progress): Progress {
  const resetAt = progress.resetAt;
  const alive = (at: number | undefined): at is number => at !== undefined && (resetAt === undefined || at > resetAt);

  const lessons: Record<string, LessonProgress> = {};
  for (const slug of Object.keys(progress.lessons).sort()) {
    const lesson = normalizeLesson(progress.lessons[slug]!, alive);
    if (lesson) lessons[slug] = lesson;
  }

  const result: Progress = { lessons };
  const quiz = normalizeQuiz((progress.quiz ?? []).filter((attempt) => alive(attempt.at)));
  if (quiz.length > 0) result.quiz = quiz;
  const last = progress.last;
  if (last && alive(last.at)) {
    result.last =
      last.section === undefined ? { lesson: last.lesson, at: last.at } : { lesson: last.lesson, section: last.section, at: last.at };
  }
  if (resetAt !== undefined) result.resetAt = resetAt;
  if (progress.epoch) result.epoch = progress.epoch;
  return result;
}

function normalizeLesson(lesson: LessonProgress, alive: (at: number | undefined) => at is number): LessonProgress | undefined {
  const result: LessonProgress = {};
  if (alive(lesson.visitedAt)) result.visitedAt = lesson.visitedAt;
  const completedAt = alive(lesson.completedAt) ? lesson.completedAt : undefined;
  const uncompletedAt = alive(lesson.uncompletedAt) ? lesson.uncompletedAt : undefined;
  // Whichever is later hides the other for good: every future merge keeps the max of both.
  // On a tie the undo wins (local actions never tie: they stamp past the other time).
  if (completedAt !== undefined && (uncompletedAt === undefined || completedAt > uncompletedAt)) {
    result.completedAt = completedAt;
  } else if (uncompletedAt !== undefined) {
    result.uncompletedAt = uncompletedAt;
  }
  const exercises: Record<string, number> = {};
  for (const id of Object.keys(lesson.exercises ?? {}).sort()) {
    const at = lesson.exercises![id];
    if (alive(at)) exercises[id] = at;
  }
  if (Object.keys(exercises).length > 0) result.exercises = exercises;
  return Object.keys(result).length > 0 ? result : undefined;
}

function normalizeQuiz(attempts: QuizAttempt[]): QuizAttempt[] {
  const byId = new Map<string, QuizAttempt>();
  for (const attempt of attempts) {
    const known = byId.get(attempt.id);
    // The same id twice should be the same attempt; if not, pick one the same way on every copy.
    if (!known || compareAttempts(attempt, known) > 0) byId.set(attempt.id, attempt);
  }
  return [...byId.values()]
    .sort(compareAttempts)
    .slice(-PROGRESS_LIMITS.maxQuizAttempts)
    .map((attempt) => ({
      id: attempt.id,
      at: attempt.at,
      score: attempt.score,
      total: attempt.total,
      answers: Object.fromEntries(
        Object.keys(attempt.answers)
          .sort()
          .map((key) => [key, attempt.answers[key]!]),
      ),
    }));
}

/** Oldest first; a total order (by time, then id, then content) so every copy sorts alike. */
function compareAttempts(a: QuizAttempt, b: QuizAttempt): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  const textA = JSON.stringify(a);
  const textB = JSON.stringify(b);
  return textA === textB ? 0 : textA < textB ? -1 : 1;
}

function laterPosition(a: LastPosition | undefined, b: LastPosition | undefined): LastPosition | undefined {
  if (!a || !b) return a ?? b;
  if (a.at !== b.at) return a.at > b.at ? a : b;
  // Same time on two devices: any fixed rule will do, as long as every copy picks the same one.
  const keyA = `${a.lesson}#${a.section ?? ''}`;
  const keyB = `${b.lesson}#${b.section ?? ''}`;
  return keyA >= keyB ? a : b;
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/** The latest time anywhere in `progress` (0 when it holds none): a reset must be later than it. */
export function latestTime(progress: Progress): number {
  let latest = progress.resetAt ?? 0;
  const see = (at: number | undefined) => {
    if (at !== undefined && at > latest) latest = at;
  };
  for (const lesson of Object.values(progress.lessons)) {
    see(lesson.visitedAt);
    see(lesson.completedAt);
    see(lesson.uncompletedAt);
    Object.values(lesson.exercises ?? {}).forEach(see);
  }
  progress.quiz?.forEach((attempt) => see(attempt.at));
  see(progress.last?.at);
  return latest;
}

/**
 * `progress` reset at `now`, or just after the latest time it holds when a
 * clock ahead of this one recorded something: the reset must hide everything
 * this copy knows.
 */
export function resetProgressAt(progress: Progress, now: number): Progress {
  const result: Progress = { lessons: {}, resetAt: Math.max(now, latestTime(progress) + 1) };
  if (progress.epoch) result.epoch = progress.epoch;
  return result;
}

/** `imported`, made to win over every copy that has seen `current` (a higher epoch), for "replace". */
export function replaceProgress(current: Progress, imported: Progress): Progress {
  const epoch = Math.max(current.epoch ?? 0, imported.epoch ?? 0) + 1;
  return normalizeProgress({ ...imported, epoch });
}

/** Whether two copies hold the same progress. */
export function sameProgress(a: Progress, b: Progress): boolean {
  return JSON.stringify(normalizeProgress(a)) === JSON.stringify(normalizeProgress(b));
}
