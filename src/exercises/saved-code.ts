/**
 * The learner's code for one exercise, kept in this browser's localStorage
 * (syncing it like progress comes later). Storage can be full or refused
 * (private windows, a policy): then the code lives only as long as the page.
 */

/** What is kept for one exercise. */
export interface SavedExercise {
  code: string;
  /** Hints already shown (see hint-ladder.ts). */
  hintsShown: number;
}

/** `rtw-code:short-polling/etag-poller`: one key per lesson and exercise. */
export function savedCodeKey(lesson: string, exercise: string): string {
  return `rtw-code:${lesson}/${exercise}`;
}

/** What `storage` holds for the exercise, or undefined (nothing, or not ours). */
export function loadSavedExercise(storage: Pick<Storage, 'getItem'>, lesson: string, exercise: string): SavedExercise | undefined {
  try {
    const value: unknown = JSON.parse(storage.getItem(savedCodeKey(lesson, exercise)) ?? 'null');
    if (typeof value !== 'object' || value === null) return undefined;
    const { code, hintsShown } = value as Record<string, unknown>;
    if (typeof code !== 'string') return undefined;
    return { code, hintsShown: Number.isSafeInteger(hintsShown) && (hintsShown as number) > 0 ? (hintsShown as number) : 0 };
  } catch {
    return undefined;
  }
}

/** Keeps the exercise; false when the storage refused it. */
export function saveExercise(storage: Pick<Storage, 'setItem'>, lesson: string, exercise: string, saved: SavedExercise): boolean {
  try {
    storage.setItem(savedCodeKey(lesson, exercise), JSON.stringify(saved));
    return true;
  } catch {
    return false;
  }
}

/** This page's localStorage, or a stand-in that keeps nothing when the browser refuses storage (reading it throws then). */
export function pageStorage(): Pick<Storage, 'getItem' | 'setItem'> {
  try {
    return globalThis.localStorage;
  } catch {
    return { getItem: () => null, setItem: () => {} };
  }
}
