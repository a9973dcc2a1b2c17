import type { SliderRange } from '../shared/slider-range.ts';

/** The short-polling widget's settings and limits, and its exercise's thresholds. */

/** The reader's polling interval slider, in ms. */
export const INTERVAL = { min: 250, max: 10_000, step: 250, initial: 1_000 } as const satisfies SliderRange;

/** How long the widget's jobs run (after 1 s queued): 10 progress steps, one every 2 s. */
export const JOB_DURATION_MS = 20_000;

/** The server's jobs make 10 progress steps: one every 2 s here. */
export const JOB_STEP_MS = JOB_DURATION_MS / 10;

/** A poll with no answer after this long is abandoned and counted as an error. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Cap of the error backoff. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * The lesson's exercise, checked on every run that polls a job to its end:
 * be *sure* to see the finish quickly, without paying for bodies the poller
 * already had.
 *
 * "Sure" is measured as the finish's worst case: it happened after the
 * previous poll was read by the server (or that poll would have shown it), so
 * it cannot have waited longer than from that read to the answer that showed
 * it — about one interval plus a round trip, whatever the luck. The observed
 * staleness alone would not do: the job starts when the poller does, so the
 * finish lands at the same place in the poll rhythm every time, and some long
 * intervals happen to catch it early on every run (measured: 1 s → ~240 ms).
 *
 * Measured against the real server (20 s job, ~152 B body):
 * - 250 ms + ETag: worst case ~255–280 ms, no repeated body → passes.
 * - 250 ms alone: ~70 repeated bodies, 10.7 kB → fails on bytes.
 * - ETag alone, 500 ms or more: worst case ≥ 500 ms → fails on time.
 * - 1.5 s without ETag (only ~3 repeated bodies): fails on time.
 */
export const EXERCISE = {
  lesson: 'short-polling',
  id: 'tune-the-poller',
  /** The finish's worst-case staleness (see above) must not exceed this. */
  maxFinishWorstCaseMs: 400,
  /** Bodies of "200 nothing changed" answers over the run must stay under this. */
  maxRepeatedBodyBytes: 1_000,
} as const;
