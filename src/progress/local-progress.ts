import { signal, type Signal } from '@preact/signals';

/**
 * The reader's progress, kept in localStorage so it is instant, works offline
 * and survives reloads. Open tabs stay in sync through the `storage` event.
 * (Syncing to the server for an anonymous learner id comes with the progress API.)
 */
export interface LessonProgress {
  /** First time the lesson page was opened (ms since the epoch). */
  visitedAt?: number;
  /** When the reader marked it complete or finished its exercise. */
  completedAt?: number;
  /** Exercise ids done in this lesson, with the time each was done. */
  exercises?: Record<string, number>;
}

export interface Progress {
  lessons: Record<string, LessonProgress>;
  /** The last lesson opened, and the section heading id, for "continue where you left off". */
  last?: { lesson: string; section?: string; at: number };
}

const STORAGE_KEY = 'rtw:progress:v1';
const empty = (): Progress => ({ lessons: {} });

function read(): Progress {
  if (typeof localStorage === 'undefined') return empty();
  try {
    const parsed = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    return parsed && typeof parsed === 'object' && parsed.lessons ? (parsed as Progress) : empty();
  } catch {
    return empty(); // A corrupt entry must not break the page; the next write replaces it.
  }
}

/** The current progress; components read it and re-render when it changes. */
export const progress: Signal<Progress> = signal(read());

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key === STORAGE_KEY) progress.value = read();
  });
}

function update(change: (draft: Progress) => void): void {
  const next = structuredClone(read());
  change(next);
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  progress.value = next;
}

function lesson(draft: Progress, slug: string): LessonProgress {
  return (draft.lessons[slug] ??= {});
}

export function markVisited(slug: string, section?: string): void {
  update((draft) => {
    lesson(draft, slug).visitedAt ??= Date.now();
    draft.last = { lesson: slug, section, at: Date.now() };
  });
}

export function markComplete(slug: string): void {
  update((draft) => {
    lesson(draft, slug).completedAt ??= Date.now();
  });
}

export function markIncomplete(slug: string): void {
  update((draft) => {
    delete lesson(draft, slug).completedAt;
  });
}

/** Records a finished exercise; finishing a lesson's exercise completes the lesson. */
export function markExerciseDone(slug: string, exerciseId: string): void {
  update((draft) => {
    const entry = lesson(draft, slug);
    (entry.exercises ??= {})[exerciseId] ??= Date.now();
    entry.completedAt ??= Date.now();
  });
}

export type LessonState = 'not-started' | 'in-progress' | 'complete';

export function lessonState(p: Progress, slug: string): LessonState {
  const entry = p.lessons[slug];
  if (entry?.completedAt) return 'complete';
  return entry?.visitedAt ? 'in-progress' : 'not-started';
}
