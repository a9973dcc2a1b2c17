import type { Progress } from '../../src/protocol/progress.ts';
import { mergeProgress, normalizeProgress } from '../../src/protocol/merge-progress.ts';

/** A learner's progress as stored. */
export interface StoredProgress {
  progress: Progress;
  /** When it last changed on the server (ms since the epoch). */
  updatedAt: number;
}

/**
 * Each learner's progress, one JSON document per learner: read and written
 * whole, merged by the same code as in the browser, and bounded
 * (`PROGRESS_LIMITS`). Two engines keep it: `SqliteProgressStore`
 * (`DATA_DIR`) and `PostgresProgressStore` (`DATABASE_URL`, shared by several
 * instances). Either way a merge is one read-merge-write under a lock, so two
 * saves for one learner, from one instance or two, never lose each other's changes.
 */
export interface ProgressStore {
  /** The learner's progress, or undefined when the server has none. */
  get(learnerId: string): Promise<StoredProgress | undefined>;
  /**
   * Merges `incoming` (validated) into the learner's progress, creating the
   * learner if new, and returns the result.
   */
  merge(learnerId: string, incoming: Progress): Promise<StoredProgress>;
  /**
   * Resets the learner's progress: keeps only the time of the reset, which
   * hides everything recorded before it when another copy is merged in later.
   * Does nothing (and creates nobody) when the server has no progress for them.
   */
  reset(learnerId: string): Promise<StoredProgress | undefined>;
}

/** What a merge leads to: the progress to answer, and the JSON to write unless nothing changed. */
export interface MergeOutcome {
  result: StoredProgress;
  /** The merged document to save, or undefined when the stored copy already holds it all. */
  write: string | undefined;
}

/**
 * Merges `incoming` into `stored` as both engines do: an unchanged document
 * keeps its `updatedAt` and is not written again.
 */
export function mergeStored(stored: StoredProgress | undefined, incoming: Progress, now: number): MergeOutcome {
  const merged = mergeProgress(stored?.progress ?? { lessons: {} }, incoming);
  const json = JSON.stringify(merged);
  if (stored && JSON.stringify(normalizeProgress(stored.progress)) === json) return { result: stored, write: undefined };
  return { result: { progress: merged, updatedAt: now }, write: json };
}
