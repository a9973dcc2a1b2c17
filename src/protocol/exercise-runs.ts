/**
 * Exercises the server verifies. A learner starts a run of an exercise; the
 * server gives the run a channel of its own (and, for lesson 2, a job) and
 * records every request made on it. The learner's client — a widget, or code
 * the learner wrote and runs in the page's sandbox — talks to the run's URLs,
 * and the server judges what it saw: the headers sent, the cursors, the pauses.
 * A run that passes every check becomes a verified completion for the learner
 * cookie: something `PUT /api/progress` cannot write.
 */

/**
 * The exercises the server verifies, by lesson slug: lessons 2–5's are runs
 * of the learner's own code; lessons 7 and 8's are judged from the storms and
 * the two-instance demos the server ran for the learner.
 */
export const VERIFIED_EXERCISES = {
  'short-polling': ['etag-poller'],
  'long-polling': ['cursor-loop'],
  'server-sent-events': ['resume'],
  websockets: ['outbox'],
  'in-production': ['flatten-the-storm'],
  'scaling-out': ['resume-across-instances', 'failover'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

export type VerifiedLesson = keyof typeof VERIFIED_EXERCISES;

export const EXERCISE_RUN_LIMITS = {
  /** A run ends by itself this long after it started, and is judged then. */
  maxDurationMs: 60_000,
  /** Requests a run's URLs answer; past this they answer 429, and the run fails. */
  maxRequests: 200,
  /** Runs of one learner open at once; a new one past this ends the oldest. */
  maxOpenRunsPerLearner: 3,
  /** Finished runs are kept this long for `GET /api/exercise-runs/{id}`. */
  retainMs: 10 * 60_000,
} as const;

/** Answer of `POST /api/exercises/{lesson}/{exercise}/runs` (201). */
export interface ExerciseRun {
  /** 128 random bits, base64url: only the learner who started the run knows it. */
  id: string;
  lesson: string;
  exercise: string;
  /** The run's own channel: every request on it is recorded. */
  channel: string;
  /**
   * Absolute URLs the learner's client uses, by name (for `short-polling/etag-poller`:
   * `job`). Absolute, because the sandbox that runs learner code has no base URL.
   */
  urls: Readonly<Record<string, string>>;
  /** Server time in ms since the epoch. */
  startedAt: number;
  /** When the server ends the run by itself and judges it. */
  endsAt: number;
}

/** One thing the server checks of a run. */
export interface VerdictCheck {
  /** Stable id, e.g. `conditional`. */
  id: string;
  /** What the check asks, for a person: "Every poll after the first sent If-None-Match". */
  title: string;
  /** `pending` while the run may still pass or fail it. */
  state: 'passed' | 'failed' | 'pending';
  /** Why, from what the server saw: "Poll 3 sent no If-None-Match (the last ETag was "v2")". */
  detail: string;
}

/** Answer of `GET /api/exercise-runs/{id}` and `POST /api/exercise-runs/{id}/finish`. */
export interface ExerciseVerdict {
  run: ExerciseRun;
  /** `running` until the learner's client finishes (or the run's time is up). */
  state: 'running' | 'passed' | 'failed';
  checks: VerdictCheck[];
  /** Requests the server answered on the run's URLs. */
  requests: number;
  /** When the server recorded the verified completion (a passed run). */
  verifiedAt?: number;
}

/** The learner's code of a coded exercise, as the server keeps it (`GET`/`PUT /api/exercises/{lesson}/{exercise}/code`). */
export interface SavedCode {
  /** The code, or null when the server has none for this learner. */
  code: string | null;
  /** When it was written, by the clock of the browser that wrote it; the newer copy wins. */
  savedAt: number | null;
}

/** Bounds of {@link SavedCode}. */
export const SAVED_CODE_LIMITS = {
  /** Longest code kept, in UTF-16 code units (the editor's length): a starter is about 1 000. */
  maxLength: 20_000,
} as const;

/** Verified completions: lesson slug → exercise id → when the server verified it. */
export type VerifiedCompletions = Record<string, Record<string, number>>;
