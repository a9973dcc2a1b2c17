import { signal, type ReadonlySignal } from '@preact/signals';

/**
 * A lesson's exercise, completed once per model's life: the first pass calls
 * `onComplete` (which marks the lesson's progress); later passes say nothing.
 */
export interface ExerciseCompletion {
  /** True once the exercise has passed. */
  readonly done: ReadonlySignal<boolean>;
  /** Records a pass. */
  pass(): void;
}

export function createExerciseCompletion(onComplete?: () => void): ExerciseCompletion {
  const done = signal(false);
  return {
    done,
    pass() {
      if (done.peek()) return;
      done.value = true;
      onComplete?.();
    },
  };
}
