import { lessonState, markComplete, markIncomplete } from '../../progress/local-progress.ts';
import { useProgress } from '../../progress/use-progress.ts';
import './progress.css';

/** "Mark complete" at the end of a lesson; pressing it again undoes it. */
export default function MarkComplete({ slug }: { slug: string }) {
  const complete = lessonState(useProgress(), slug) === 'complete';
  return (
    <div class="mark-complete" aria-live="polite">
      <button
        type="button"
        class={complete ? 'button secondary' : 'button'}
        aria-pressed={complete}
        onClick={() => (complete ? markIncomplete(slug) : markComplete(slug))}
      >
        {complete ? '✓ Completed' : 'Mark complete'}
      </button>
      <span class="mark-complete-hint">
        {complete ? 'Saved in this browser. Press again to undo.' : 'Or finish the exercise to complete it.'}
      </span>
    </div>
  );
}
