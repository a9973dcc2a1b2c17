import { CodeSync } from './code-sync.ts';
import { loadSavedExercise, pageStorage, type SavedExercise, saveExercise } from './saved-code.ts';

/** A copy of the code and when it was written (ms since the epoch). */
export interface CodeCopy {
  code: string;
  savedAt: number;
}

/** The server's side of {@link ExerciseCode}: {@link CodeSync}, or a fake in tests. */
export type CodeServer = Pick<CodeSync, 'pull' | 'push' | 'flush'>;

/**
 * The learner's code and hints for one exercise: kept in this browser at
 * every edit, copied to the server once the typing pauses, and, of this
 * browser's copy and the server's, the one written later is the one shown.
 */
export class ExerciseCode {
  readonly #lesson: string;
  readonly #exercise: string;
  readonly #storage: Pick<Storage, 'getItem' | 'setItem'>;
  readonly #server: CodeServer;
  #saved: SavedExercise = { code: '', hintsShown: 0 };

  constructor(lesson: string, exercise: string, storage = pageStorage(), server: CodeServer = new CodeSync(lesson, exercise)) {
    this.#lesson = lesson;
    this.#exercise = exercise;
    this.#storage = storage;
    this.#server = server;
  }

  /** What the editor opens with: this browser's copy, or the starter and no hints. */
  open(starter: string): SavedExercise {
    this.#saved = loadSavedExercise(this.#storage, this.#lesson, this.#exercise) ?? { code: starter, hintsShown: 0 };
    return this.#saved;
  }

  /** The learner changed the code: kept here at once, on the server once the typing pauses. */
  edited(code: string): void {
    // The editor also reports the code it was given (the server's copy, taken up): nothing new to send.
    if (code === this.#saved.code) return;
    const savedAt = Date.now();
    this.#keep({ code, savedAt });
    this.#server.push(code, savedAt);
  }

  /** The learner has seen `hintsShown` hints. */
  hintsSeen(hintsShown: number): void {
    this.#keep({ hintsShown });
  }

  /**
   * Compares this browser's copy with the server's: the server's is taken
   * when it was written later (in another browser) and differs from `shown`;
   * this browser's is sent when it is the later one and not the starter.
   * @returns the code to show instead of `shown`, or undefined.
   */
  async reconcile(starter: string, shown: string): Promise<string | undefined> {
    const remote = await this.#server.pull();
    const local = this.#saved;
    const choice = newerCopy(local, remote, starter);
    if (choice === 'remote' && remote && remote.code !== shown) {
      this.#keep(remote);
      return remote.code;
    }
    if (choice === 'local' && local.savedAt !== undefined) this.#server.push(local.code, local.savedAt);
    return undefined;
  }

  /** Sends what is pending now (the page is going away). */
  flush(): void {
    this.#server.flush();
  }

  #keep(change: Partial<SavedExercise>): void {
    this.#saved = { ...this.#saved, ...change };
    saveExercise(this.#storage, this.#lesson, this.#exercise, this.#saved);
  }
}

/**
 * Which copy should win: the server's when it was written later than this
 * browser's (or this browser never edited it), this browser's when it was
 * edited, is not the starter, and is later than the server's (or the server
 * has none), else neither needs to move.
 */
export function newerCopy(local: SavedExercise, remote: CodeCopy | undefined, starter: string): 'remote' | 'local' | 'same' {
  if (remote && remote.savedAt > (local.savedAt ?? 0)) return 'remote';
  if (local.savedAt !== undefined && local.code !== starter && (!remote || local.savedAt > remote.savedAt)) return 'local';
  return 'same';
}
