import type { LessonState } from '../../progress/local-progress.ts';

const labels: Record<LessonState, string> = {
  'not-started': 'Not started',
  'in-progress': 'In progress',
  complete: 'Complete',
};

/** A small circle: empty, half, or ticked; the state is also given in words for screen readers. */
export function LessonStateIcon({ state }: { state: LessonState }) {
  return (
    <span class={`lesson-state ${state}`} title={labels[state]}>
      <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
        <circle cx="10" cy="10" r="8.5" fill="none" stroke="currentColor" stroke-width="1.6" />
        {state === 'in-progress' && <path d="M10 1.5a8.5 8.5 0 0 1 0 17z" fill="currentColor" />}
        {state === 'complete' && (
          <>
            <circle cx="10" cy="10" r="8.5" fill="currentColor" />
            <path d="M6 10.3l2.6 2.6L14.2 7" fill="none" stroke="var(--surface)" stroke-width="2" />
          </>
        )}
      </svg>
      <span class="visually-hidden">{labels[state]}</span>
    </span>
  );
}
