import type { ComponentChildren } from 'preact';

export type CheckState = 'met' | 'missed' | 'pending';

const ICON: Record<CheckState, string> = { met: '✓', missed: '✗', pending: '…' };

/**
 * One condition of an exercise, in a `<ul class="widget-checks">`: an icon
 * for the eye, a word for screen readers ("met: …").
 * @param pendingWord what a screen reader hears while the condition is undecided.
 */
export function ExerciseCheckItem({
  state,
  pendingWord = 'not yet',
  children,
}: {
  state: CheckState;
  pendingWord?: string;
  children: ComponentChildren;
}) {
  const word = { met: 'met', missed: 'missed', pending: pendingWord }[state];
  return (
    <li class={`widget-check-item widget-check-${state}`}>
      <span class="widget-check-icon" aria-hidden="true">
        {ICON[state]}
      </span>
      <span class="visually-hidden">{word}: </span>
      <span>{children}</span>
    </li>
  );
}
