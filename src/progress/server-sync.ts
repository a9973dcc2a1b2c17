import { signal, type Signal } from '@preact/signals';
import { apiRoutes } from '../protocol/api-routes.ts';
import { PROBLEM_TYPES } from '../protocol/problem.ts';
import type { VerifiedCompletions } from '../protocol/exercise-runs.ts';
import type { Progress, ProgressResponse } from '../protocol/progress.ts';
import { adoptProgress, onLocalChange, readProgress, resetProgress as resetLocalProgress } from './local-progress.ts';
import { normalizeProgress } from '../protocol/merge-progress.ts';

/**
 * Copies the progress saved in this browser to the server and back, for the
 * anonymous learner in the `rtw_learner` cookie (httpOnly: this code never
 * sees it; `fetch` sends it, the first `PUT` makes the server set it).
 *
 * - On page load: `GET`, merge into the local copy, and `PUT` if the local
 *   copy had something the server lacked.
 * - After each change made in this tab: a `PUT` of the whole (merged) local
 *   copy, debounced; the answer (the server's merge) is adopted. Changes from
 *   other tabs arrive as `storage` events and are not uploaded again here:
 *   the tab that made them does it.
 * - On failure the local copy stays as it is; the upload is retried when the
 *   browser comes back `online`, after a backoff, or on the next change. When
 *   the page is hidden or closed, a pending upload is sent with `keepalive`.
 *
 * The page never waits for any of it.
 */

/** What the progress page shows about the server copy. */
export interface SyncStatus {
  state: 'idle' | 'syncing' | 'synced' | 'offline' | 'failed';
  /** When the server last confirmed the progress (ms since the epoch). */
  syncedAt?: number;
  /** Why the last attempt failed, for people. */
  message?: string;
}

/** The browser side of the local store, replaceable in tests. */
export interface LocalProgressStore {
  read(): Progress;
  /** Merges the server's copy into the local one; returns the result. */
  adopt(progress: Progress): Progress;
  /** Calls `listener` after each change made in this tab; returns its remover. */
  onChange(listener: () => void): () => void;
}

export interface ServerSyncOptions {
  local: LocalProgressStore;
  fetch: typeof fetch;
  /** Wait after a change before uploading, so a burst of changes is one request. */
  debounceMs?: number;
  /** First wait before retrying a failed upload; doubles up to {@link ServerSyncOptions.maxRetryMs}. */
  retryMs?: number;
  maxRetryMs?: number;
  status?: Signal<SyncStatus>;
  /** Where the exercises the server verified (every answer carries them) are put for the page. */
  verified?: Signal<VerifiedCompletions>;
}

export const DEFAULT_SYNC_TIMINGS = { debounceMs: 1_000, retryMs: 5_000, maxRetryMs: 120_000 } as const;

export class ServerSync {
  readonly status: Signal<SyncStatus>;
  /** The exercises the server verified, as of its last answer: read-only, never uploaded. */
  readonly verified: Signal<VerifiedCompletions>;
  readonly #local: LocalProgressStore;
  readonly #fetch: typeof fetch;
  readonly #debounceMs: number;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  /** JSON of what the server is known to hold, or undefined before the first answer. */
  #serverCopy: string | undefined;
  /** Lessons the server does not know (a newer or older site in this browser's storage): kept here, not uploaded. */
  readonly #notUploaded = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #again = false;
  #retryDelay: number;
  #stopListening: (() => void) | undefined;

  constructor(options: ServerSyncOptions) {
    this.#local = options.local;
    this.#fetch = options.fetch;
    this.#debounceMs = options.debounceMs ?? DEFAULT_SYNC_TIMINGS.debounceMs;
    this.#retryMs = options.retryMs ?? DEFAULT_SYNC_TIMINGS.retryMs;
    this.#maxRetryMs = options.maxRetryMs ?? DEFAULT_SYNC_TIMINGS.maxRetryMs;
    this.#retryDelay = this.#retryMs;
    this.status = options.status ?? signal<SyncStatus>({ state: 'idle' });
    this.verified = options.verified ?? signal<VerifiedCompletions>({});
  }

  /** Fetches the server's copy, merges it in, and uploads after every local change from now on. */
  async start(): Promise<void> {
    this.#stopListening ??= this.#local.onChange(() => this.schedule());
    await this.pull();
  }

  /** Stops listening and clears the timer (an upload in flight finishes). */
  stop(): void {
    this.#stopListening?.();
    this.#stopListening = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** `GET` the server's copy and merge it into the local one; upload if the local one had more. */
  async pull(): Promise<void> {
    this.#setStatus({ state: 'syncing' });
    const answer = await this.#request('GET');
    if (answer.kind === 'refused' && answer.problem.type === PROBLEM_TYPES.invalidLearner) {
      // The server expired the bad cookie: the next save starts a new learner with what this browser has.
      this.#serverCopy = undefined;
      this.schedule(0);
      return;
    }
    if (answer.kind !== 'ok') return this.#failed(answer);
    this.#adopt(answer.body);
    if (this.hasUnsyncedChanges()) this.schedule(0);
  }

  /** Whether the local copy holds something the server was not seen to have. */
  hasUnsyncedChanges(): boolean {
    return this.#serverCopy === undefined || JSON.stringify(this.#uploadable()) !== this.#serverCopy;
  }

  /** Uploads after `delayMs` (debounced: a later call moves the upload). */
  schedule(delayMs = this.#debounceMs): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.push();
    }, delayMs);
  }

  /** Uploads the local copy now (or right after the upload in flight) and adopts the server's merge. */
  push(): Promise<void> {
    if (this.#inFlight) {
      this.#again = true;
      return this.#inFlight;
    }
    this.#inFlight = this.#push().finally(() => {
      this.#inFlight = undefined;
      if (this.#again) {
        this.#again = false;
        if (this.hasUnsyncedChanges()) void this.push();
      }
    });
    return this.#inFlight;
  }

  async #push(): Promise<void> {
    this.#setStatus({ state: 'syncing' });
    const answer = await this.#request('PUT', this.#uploadable());
    if (answer.kind === 'ok') {
      this.#adopt(answer.body);
      return;
    }
    if (answer.kind === 'refused' && answer.problem.type === PROBLEM_TYPES.unknownLesson) {
      const lessons = Array.isArray(answer.problem.lessons) ? (answer.problem.lessons as unknown[]) : [];
      const before = this.#notUploaded.size;
      lessons.forEach((slug) => typeof slug === 'string' && this.#notUploaded.add(slug));
      if (this.#notUploaded.size > before) return this.#push();
    }
    this.#failed(answer);
  }

  /**
   * Sends a pending upload with `keepalive`, so it survives the page being
   * closed (`pagehide`, or hidden on mobile, where that is the last event).
   */
  flush(): void {
    if (this.#timer === undefined && !this.#again) return;
    // The timer stays: if the page was only hidden, the regular upload follows (a repeated PUT changes nothing).
    const body = JSON.stringify(this.#uploadable());
    // The Fetch standard caps keepalive bodies at 64 KiB in flight; past that the regular retry on the next visit will do.
    if (body.length > 60_000) return;
    this.#fetch(apiRoutes.progress.path(), {
      method: 'PUT',
      keepalive: true,
      headers: { 'Content-Type': 'application/json' },
      body,
    }).catch(() => {});
  }

  /** Resets the progress here and on the server (`DELETE /api/progress`), then adopts the server's answer. */
  async reset(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#setStatus({ state: 'syncing' });
    const answer = await this.#request('DELETE');
    if (answer.kind !== 'ok') {
      // The local reset stands; uploading it (a merge) resets the server's copy as far as this browser knows it.
      this.#failed(answer);
      return;
    }
    this.#adopt(answer.body);
    if (this.hasUnsyncedChanges()) this.schedule();
  }

  /** Retries at once, e.g. when the browser says it is back online. */
  retryNow(): void {
    this.#retryDelay = this.#retryMs;
    if (this.hasUnsyncedChanges()) this.schedule(0);
  }

  #adopt(body: ProgressResponse): void {
    const remote = normalizeProgress(body.progress);
    this.#serverCopy = JSON.stringify(remote);
    this.#local.adopt(remote);
    this.verified.value = body.verified ?? {};
    this.#retryDelay = this.#retryMs;
    this.#setStatus({ state: 'synced', syncedAt: Date.now() });
  }

  #failed(answer: Exclude<Answer, { kind: 'ok' }>): void {
    if (answer.kind === 'throttled') {
      // 429: the server said when to come back (Retry-After); the same body will then be welcome.
      this.#setStatus({ state: 'failed', message: answer.message });
      this.schedule(answer.retryAfterMs);
      return;
    }
    if (answer.kind === 'refused') {
      // A 4xx will not get better by repeating the same body; the next change tries again.
      this.#setStatus({ state: 'failed', message: answer.problem.detail ?? `The server answered ${answer.status}.` });
      return;
    }
    this.#setStatus({
      state: answer.kind === 'network' ? 'offline' : 'failed',
      message: answer.message,
    });
    this.schedule(this.#retryDelay);
    this.#retryDelay = Math.min(this.#retryDelay * 2, this.#maxRetryMs);
  }

  #uploadable(): Progress {
    const local = this.#local.read();
    if (this.#notUploaded.size === 0) return local;
    const lessons = Object.fromEntries(Object.entries(local.lessons).filter(([slug]) => !this.#notUploaded.has(slug)));
    const result: Progress = { ...local, lessons };
    if (result.last && this.#notUploaded.has(result.last.lesson)) delete result.last;
    return normalizeProgress(result);
  }

  async #request(method: 'GET' | 'PUT' | 'DELETE', body?: Progress): Promise<Answer> {
    let response: Response;
    try {
      response = await this.#fetch(apiRoutes.progress.path(), {
        method,
        headers: body ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
        cache: 'no-store',
      });
    } catch {
      return { kind: 'network', message: 'The server could not be reached; your progress is saved in this browser.' };
    }
    let json: unknown;
    try {
      json = await response.json();
    } catch {
      json = undefined;
    }
    if (response.ok && isProgressResponse(json)) return { kind: 'ok', body: json };
    if (response.status === 429) {
      const retryAfterMs = retryAfterMsOf(response.headers.get('Retry-After'), this.#retryMs);
      return {
        kind: 'throttled',
        retryAfterMs,
        message: `The server asked to wait (too many saves from here); retrying in ${Math.ceil(retryAfterMs / 1000)} s.`,
      };
    }
    if (response.status >= 400 && response.status < 500) {
      return { kind: 'refused', status: response.status, problem: (json ?? {}) as ProblemLike };
    }
    return { kind: 'server', message: `The server answered ${response.status}; retrying later.` };
  }

  #setStatus(status: SyncStatus): void {
    const syncedAt = status.syncedAt ?? this.status.value.syncedAt;
    this.status.value = syncedAt === undefined ? status : { ...status, syncedAt };
  }
}

interface ProblemLike {
  type?: string;
  detail?: string;
  [member: string]: unknown;
}

type Answer =
  | { kind: 'ok'; body: ProgressResponse }
  | { kind: 'refused'; status: number; problem: ProblemLike }
  /** 429 Too Many Requests: retry after `retryAfterMs` (the server's `Retry-After`). */
  | { kind: 'throttled'; retryAfterMs: number; message: string }
  | { kind: 'network' | 'server'; message: string };

/** `Retry-After` in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); `fallbackMs` when absent or unreadable. */
function retryAfterMsOf(header: string | null, fallbackMs: number): number {
  const value = header?.trim() ?? '';
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? fallbackMs : Math.max(0, date - Date.now());
}

function isProgressResponse(value: unknown): value is ProgressResponse {
  if (typeof value !== 'object' || value === null) return false;
  const progress = (value as { progress?: unknown }).progress;
  return typeof progress === 'object' && progress !== null && typeof (progress as Progress).lessons === 'object';
}

/** The sync status of this page, for the progress page. */
export const syncStatus: Signal<SyncStatus> = signal<SyncStatus>({ state: 'idle' });

/** The exercises the server verified for this learner, as of its last answer. */
export const verifiedExercises: Signal<VerifiedCompletions> = signal<VerifiedCompletions>({});

let pageSync: ServerSync | undefined;

/**
 * Starts syncing this page's progress with the server (once per page; later
 * calls return the same instance). Called from `BaseLayout.astro`.
 */
export function startServerSync(): ServerSync {
  if (pageSync) return pageSync;
  const sync = new ServerSync({
    local: { read: readProgress, adopt: adoptProgress, onChange: (listener) => onLocalChange(() => listener()) },
    fetch: (input, init) => fetch(input, init),
    status: syncStatus,
    verified: verifiedExercises,
  });
  pageSync = sync;
  window.addEventListener('online', () => sync.retryNow());
  window.addEventListener('pagehide', () => sync.flush());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') sync.flush();
  });
  void sync.start();
  return sync;
}

/** "Reset progress": forgets everything in this browser and on the server. */
export async function resetEverywhere(): Promise<void> {
  resetLocalProgress();
  await startServerSync().reset();
}
