import { progress, type Progress } from './local-progress.ts';
import { useHydrated } from '../islands/use-hydrated.ts';

const nothingYet: Progress = { lessons: {} };

/**
 * The reader's progress for rendering. The server-rendered HTML cannot know it,
 * so the first render matches the HTML (nothing yet) and the real progress
 * arrives right after hydration, as an ordinary re-render.
 */
export function useProgress(): Progress {
  return useHydrated() ? progress.value : nothingYet;
}
