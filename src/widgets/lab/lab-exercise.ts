import type { LabTraffic, LabTechnique } from '../../protocol/lab.ts';
import type { RunDescription } from './summary.ts';

/** The lesson's exercise, checked by the widget. */
export const EXERCISE = { lesson: 'side-by-side', id: 'find-the-crossover' } as const;
/** A run counts for the exercise when it published at least this long. */
export const EXERCISE_MIN_RUN_MS = 20_000;

/** A finished run, as the exercise remembers it. */
export interface RunRecord {
  rateLabel: string;
  intervalMs: number;
  ranMs: number;
  longPollRequests: number;
  shortPollRequests: number;
}

export interface ExerciseCheck {
  /** A run of at least 20 s where long polling sent fewer requests than short polling (with ETag). */
  fewer: RunRecord | null;
  /** …and one where it sent more. */
  more: RunRecord | null;
}

/** What the exercise keeps of a finished run: its settings and the two pollers' request counts. */
export function runRecord(described: RunDescription, counted: Record<LabTechnique, LabTraffic>): RunRecord {
  return {
    rateLabel: described.rate.label,
    intervalMs: described.intervalMs,
    ranMs: described.ranMs,
    longPollRequests: counted['long-polling'].requests,
    shortPollRequests: counted['short-polling-etag'].requests,
  };
}

/** The crossover is found with two long enough runs: one where long polling asked less than short polling, one where it asked more. */
export function checkExercise(runs: readonly RunRecord[]): ExerciseCheck {
  const long = runs.filter((record) => record.ranMs >= EXERCISE_MIN_RUN_MS);
  return {
    fewer: long.find((record) => record.longPollRequests < record.shortPollRequests) ?? null,
    more: long.find((record) => record.longPollRequests > record.shortPollRequests) ?? null,
  };
}
