/**
 * The learner's code for one exercise, kept in this browser's localStorage
 * (and copied to the server by `code-sync.ts`). Storage can be full or refused
 * (private windows, a policy): then the code lives only as long as the page.
 */

/** What is kept for one exercise. */
export interface SavedExercise {
  code: string;
  /** Hints already shown (see hint-ladder.ts). */
  hintsShown: number;
  /** When the code was last edited here (ms since the epoch): of this copy and the server's, the later wins. Absent: never edited. */
  savedAt?: number;
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
    const { code, hintsShown, savedAt } = value as Record<string, unknown>;
    if (typeof code !== 'string') return undefined;
    const shown = Number.isSafeInteger(hintsShown) && (hintsShown as number) > 0 ? (hintsShown as number) : 0;
    return Number.isSafeInteger(savedAt) ? { code, hintsShown: shown, savedAt: savedAt as number } : { code, hintsShown: shown };
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
