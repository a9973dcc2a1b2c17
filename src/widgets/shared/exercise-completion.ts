import { type ReadonlySignal, type Signal, signal } from '@preact/signals';

/**
 * A widget's exercise passed: marks it done, and tells the page (which
 * records it in the reader's progress) the first time only, however often it
 * passes again in the model's life.
 */
export function completeExercise(done: Signal<boolean>, onComplete: (() => void) | undefined): void {
  if (done.peek()) return;
  done.value = true;
  onComplete?.();
}

/** An exercise's own done flag with {@link completeExercise} bound to it, for a model that keeps no other state. */
export interface ExerciseCompletion {
  /** True once the exercise has passed. */
  readonly done: ReadonlySignal<boolean>;
  /** Records a pass. */
  pass(): void;
}

export function createExerciseCompletion(onComplete?: () => void): ExerciseCompletion {
  const done = signal(false);
  return { done, pass: () => completeExercise(done, onComplete) };
}
