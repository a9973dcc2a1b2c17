import { useProgress } from '../../progress/use-progress.ts';

/**
 * Whether the reader completed this exercise on an earlier visit, so the
 * widget can say "Exercise complete ✓" without making them do it again.
 * False until hydration (see {@link useProgress}).
 */
export function useDoneBefore(exercise: { lesson: string; id: string }): boolean {
  const progress = useProgress();
  return progress.lessons[exercise.lesson]?.exercises?.[exercise.id] !== undefined;
}
