import { signal, type Signal } from '@preact/signals';
import {
  PROGRESS_EXPORT_FORMAT,
  PROGRESS_EXPORT_VERSION,
  type LessonProgress,
  type Progress,
  type ProgressExport,
  type QuizAttempt,
} from '../protocol/progress.ts';
import { mergeProgress, normalizeProgress, replaceProgress, resetProgressAt } from '../protocol/merge-progress.ts';

export type { LessonProgress, Progress, QuizAttempt };

/**
 * The reader's progress, kept in localStorage so it is instant, works offline
 * and survives reloads. Open tabs stay in sync through the `storage` event.
 * `server-sync.ts` copies it to the server for the anonymous learner id (the
 * `rtw_learner` cookie) and brings back what the server has.
 *
 * Every change goes through {@link update}: the result is normalized (see
 * `merge-progress.ts`), saved, published on {@link progress}, and reported to
 * {@link onLocalChange} listeners in this tab only, so a change another tab
 * made (a `storage` event) never triggers a second upload.
 */

const STORAGE_KEY = 'rtw:progress:v1';
const empty = (): Progress => ({ lessons: {} });

/** Used when localStorage is unavailable (disabled, or a private mode that refuses writes). */
let inMemory: Progress = empty();

function read(): Progress {
  let text: string | null;
  try {
    if (typeof localStorage === 'undefined') return inMemory;
    text = localStorage.getItem(STORAGE_KEY);
  } catch {
    return inMemory;
  }
  try {
    const parsed: unknown = JSON.parse(text ?? 'null');
    if (!isProgressLike(parsed)) return empty();
    return normalizeProgress(parsed);
  } catch {
    return empty(); // A corrupt entry must not break the page; the next write replaces it.
  }
}

function isProgressLike(value: unknown): value is Progress {
  if (typeof value !== 'object' || value === null) return false;
  const lessons = (value as { lessons?: unknown }).lessons;
  return typeof lessons === 'object' && lessons !== null && !Array.isArray(lessons);
}

/** The current progress; components read it and re-render when it changes. */
export const progress: Signal<Progress> = signal(read());

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    // `key` is null when another tab cleared the whole storage.
    if (event.key === STORAGE_KEY || event.key === null) progress.value = read();
  });
}

const localChangeListeners = new Set<(progress: Progress) => void>();

/**
 * Calls `listener` after each change made in this tab (not those from other
 * tabs, nor those adopted from the server). Returns its remover.
 */
export function onLocalChange(listener: (progress: Progress) => void): () => void {
  localChangeListeners.add(listener);
  return () => localChangeListeners.delete(listener);
}

/** Saves `next` (normalized) if it differs from what is saved; returns whether it did. */
function write(next: Progress): boolean {
  const normalized = normalizeProgress(next);
  const text = JSON.stringify(normalized);
  if (text === JSON.stringify(read())) return false;
  inMemory = normalized;
  try {
    localStorage.setItem(STORAGE_KEY, text);
  } catch {
    // Quota or a refusing private mode: this page still has it, and the server copy keeps it.
  }
  progress.value = normalized;
  return true;
}

function update(change: (draft: Progress) => void): void {
  const draft = structuredClone(read());
  change(draft);
  if (!write(draft)) return;
  for (const listener of localChangeListeners) listener(progress.value);
}

function lesson(draft: Progress, slug: string): LessonProgress {
  return (draft.lessons[slug] ??= {});
}

/**
 * A time for a new record: now, or just after `times` when one of them is
 * later (a clock ahead of this one recorded it). So an action the reader takes
 * here always wins over what it answers (an undo over the completion it
 * undoes, a visit over an older reset), whatever the clocks say.
 */
function after(...times: (number | undefined)[]): number {
  return Math.max(Date.now(), ...times.map((time) => (time === undefined ? 0 : time + 1)));
}

/** The progress saved in this browser, now. */
export function readProgress(): Progress {
  return read();
}

/** Records that the reader is reading `slug` (at `section`, a heading id): "continue where you left off". */
export function markVisited(slug: string, section?: string): void {
  update((draft) => {
    const at = after(draft.resetAt, draft.last?.at);
    lesson(draft, slug).visitedAt = at;
    draft.last = section ? { lesson: slug, section, at } : { lesson: slug, at };
  });
}

export function markComplete(slug: string): void {
  update((draft) => {
    if (lessonState(draft, slug) === 'complete') return;
    const entry = lesson(draft, slug);
    entry.completedAt = after(entry.uncompletedAt, draft.resetAt);
  });
}

/** Undoes "Mark complete" (or a completion earned by the exercise). */
export function markIncomplete(slug: string): void {
  update((draft) => {
    if (lessonState(draft, slug) !== 'complete') return;
    const entry = lesson(draft, slug);
    entry.uncompletedAt = after(entry.completedAt, draft.resetAt);
  });
}

/** Records a finished exercise; finishing a lesson's exercise completes the lesson. */
export function markExerciseDone(slug: string, exerciseId: string): void {
  update((draft) => {
    const entry = lesson(draft, slug);
    const at = after(draft.resetAt);
    (entry.exercises ??= {})[exerciseId] = at;
    entry.completedAt = Math.max(entry.completedAt ?? 0, after(entry.uncompletedAt, draft.resetAt));
  });
}

/** Saves a finished quiz run. */
export function recordQuizAttempt(attempt: QuizAttempt): void {
  update((draft) => {
    // An attempt stamped at or before a reset this browser knows of (a clock behind) would vanish at once.
    const at = draft.resetAt !== undefined && attempt.at <= draft.resetAt ? draft.resetAt + 1 : attempt.at;
    (draft.quiz ??= []).push({ ...attempt, at });
  });
}

/**
 * Merges `other` (the server's copy) into the saved progress and returns the
 * result. Not a local change: listeners of {@link onLocalChange} are not called.
 */
export function adoptProgress(other: Progress): Progress {
  write(mergeProgress(read(), other));
  return read();
}

/** Forgets everything in this browser (see `resetAt` in `Progress`). `server-sync.ts` also resets the server's copy. */
export function resetProgress(): void {
  update((draft) => {
    const reset = resetProgressAt(draft, Date.now());
    for (const key of Object.keys(draft) as (keyof Progress)[]) delete draft[key];
    Object.assign(draft, reset);
  });
}

/**
 * Brings in an imported file's progress: `merge` combines it with what is
 * here (nothing is lost on either side); `replace` makes it the progress, on
 * this browser and, once synced, on the server. Returns whether anything changed.
 */
export function importProgress(imported: Progress, mode: 'merge' | 'replace'): boolean {
  let changed = false;
  update((draft) => {
    // Merging ignores which copy was replaced last: both sides are kept, at the higher epoch.
    const epoch = Math.max(draft.epoch ?? 0, imported.epoch ?? 0);
    const next = mode === 'merge' ? mergeProgress({ ...draft, epoch }, { ...imported, epoch }) : replaceProgress(draft, imported);
    changed = JSON.stringify(next) !== JSON.stringify(normalizeProgress(draft));
    for (const key of Object.keys(draft) as (keyof Progress)[]) delete draft[key];
    Object.assign(draft, next);
  });
  return changed;
}

/** The file "Export as JSON" downloads. */
export function exportProgress(now = new Date()): ProgressExport {
  return {
    format: PROGRESS_EXPORT_FORMAT,
    version: PROGRESS_EXPORT_VERSION,
    exportedAt: now.toISOString(),
    progress: read(),
  };
}

export type LessonState = 'not-started' | 'in-progress' | 'complete';

export function lessonState(p: Progress, slug: string): LessonState {
  const entry = p.lessons[slug];
  const alive = (at: number | undefined): at is number => at !== undefined && !(p.resetAt !== undefined && at <= p.resetAt);
  if (entry && alive(entry.completedAt) && !(entry.uncompletedAt !== undefined && entry.uncompletedAt >= entry.completedAt)) {
    return 'complete';
  }
  const started = entry && (alive(entry.visitedAt) || Object.values(entry.exercises ?? {}).some(alive));
  return started ? 'in-progress' : 'not-started';
}
