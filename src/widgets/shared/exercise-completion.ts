import type { Signal } from '@preact/signals';

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
