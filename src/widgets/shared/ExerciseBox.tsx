import type { ComponentChildren } from 'preact';

/**
 * The box around a lesson's exercise: the task and its checks (children),
 * then a status line announcing "Exercise complete ✓" once `done`.
 */
export function ExerciseBox({ title, done, children }: { title: string; done: boolean; children: ComponentChildren }) {
  return (
    <section class="widget-exercise" aria-label={`Exercise: ${title}`}>
      {children}
      <p class="widget-exercise-done" role="status">
        {done ? 'Exercise complete ✓' : ''}
      </p>
    </section>
  );
}
