import { apiRoutes } from '../protocol/api-routes.ts';
import type { SavedCode } from '../protocol/exercise-runs.ts';
import { companionServer } from '../widgets/shared/http.ts';

/** Wait after an edit before sending the code: a burst of typing is one request. */
const DEBOUNCE_MS = 1_500;

/**
 * The server's copy of the learner's code for one exercise
 * (`GET`/`PUT /api/exercises/{lesson}/{exercise}/code`), kept like the
 * progress: this browser first, the server a copy another browser of the same
 * learner finds. Of two copies, the one saved later wins, on either side.
 * Failures are quiet: the code is safe in this browser, and the next edit
 * tries again.
 */
export class CodeSync {
  readonly #path: string;
  readonly #server = companionServer();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending: { code: string; savedAt: number } | undefined;

  constructor(lesson: string, exercise: string) {
    this.#path = apiRoutes.exerciseCode.path({ lesson, exercise });
  }

  /** The server's copy, or undefined when it has none or cannot be reached. */
  async pull(): Promise<{ code: string; savedAt: number } | undefined> {
    try {
      const response = await this.#server.call(this.#server.url(this.#path), {
        cache: 'no-store',
        headers: { accept: 'application/json' },
      });
      if (!response.ok) return undefined;
      const { code, savedAt } = (await response.json()) as SavedCode;
      return code === null || savedAt === null ? undefined : { code, savedAt };
    } catch {
      return undefined;
    }
  }

  /** Sends `code` once the edits pause. */
  push(code: string, savedAt: number): void {
    this.#pending = { code, savedAt };
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), DEBOUNCE_MS);
  }

  /** Sends what is pending now (`keepalive`, so it survives the page closing). */
  flush(): void {
    clearTimeout(this.#timer);
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return;
    this.#server
      .call(this.#server.url(this.#path), {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(pending),
        // keepalive bodies are capped at 64 KiB; a longer code is sent without it.
        keepalive: pending.code.length < 16_000,
      })
      .catch(() => {});
  }
}
