import type { JobState } from '../../protocol/jobs.ts';

/** What the short-polling widget records and shows: its polls, the reader's notes, the counters and the exercise. */

export type Phase = 'idle' | 'starting' | 'polling' | 'stopped' | 'finished';

/** How one poll ended. */
export type PollOutcome = 'changed' | 'unchanged' | 'not-modified' | 'error';

/** One poll request, as the timeline shows it. Times are the client clock, ms since the epoch. */
export interface PollRecord {
  /** 1, 2, 3… within the run. */
  seq: number;
  outcome: PollOutcome;
  /** HTTP status, or null when no answer came (network error, timeout). */
  status: number | null;
  sentAt: number;
  receivedAt: number;
  /** True when the request carried If-None-Match. */
  conditional: boolean;
  /** Response bytes: status line, headers and body, counted from the response (see client.ts). */
  bytes: number;
  bodyBytes: number;
  /** The version the reader holds after this poll. */
  version: number | null;
  state: JobState | null;
  progress: number | null;
  /** For `changed`: when the server made the change we now see (estimated on the client clock). */
  changedAt: number | null;
  /** For `changed`: how late we saw it, `receivedAt − changedAt`. */
  stalenessMs: number | null;
  /**
   * For `changed`: the longest it could have waited, whenever it happened —
   * from the server's read of the previous answered poll to this answer.
   */
  worstCaseMs: number | null;
  /** When the server read the job for this poll, on the client clock (from `x-server-time`). */
  readAt: number | null;
  /** For `changed`: versions the server went through between two polls that we never saw. */
  missedVersions: number;
  /** For `error`: what went wrong, for the reader. */
  error: string | null;
}

export type PublishStatus = 'sending' | 'pending' | 'seen' | 'overwritten' | 'not-applied' | 'no-change' | 'failed';

/** One "Publish a change" by the reader. */
export interface PublishRecord {
  seq: number;
  text: string;
  status: PublishStatus;
  clickedAt: number;
  /** When the server's 201 arrived. */
  ackAt: number | null;
  /** The event's server timestamp (`ts`). */
  serverAt: number | null;
  /** `serverAt` on the client clock: when the job changed. */
  changedAt: number | null;
  /** When a poll first showed the note. */
  seenAt: number | null;
  /** The poll that showed it. */
  seenBy: number | null;
  stalenessMs: number | null;
  error: string | null;
}

/** How late a kind of change was seen: over the changes seen so far. */
export interface StalenessSummary {
  count: number;
  avgMs: number;
  maxMs: number;
}

export interface PollStats {
  /** Poll requests sent, including one in flight. */
  requests: number;
  changed: number;
  /** 200 with the version we already had: a full body for nothing. */
  unchanged: number;
  notModified: number;
  errors: number;
  /** Response bytes of all polls (status lines, headers, bodies). */
  bytes: number;
  /** JSON body bytes of all polls. */
  bodyBytes: number;
  /** Body bytes of "200 nothing changed" answers: what an ETag would have saved. */
  repeatedBodyBytes: number;
  /**
   * Staleness of the job's own changes (start, progress steps, finish). They
   * come on a fixed beat (every JOB_STEP_MS, settings.ts) that starts with the
   * poller, so each lands at much the same point between two polls: their
   * staleness depends on that phase, not on interval / 2.
   */
  steps: StalenessSummary | null;
  /**
   * Staleness of the reader's published notes. They happen at moments unrelated
   * to the polls, so on average they wait half an interval.
   */
  notes: StalenessSummary | null;
  /** Versions that came and went between two polls. */
  missedVersions: number;
  avgRoundTripMs: number | null;
}

export interface ExerciseCheck {
  /** The run polled the job to a terminal state (not stopped, not failed). */
  finished: boolean;
  /** How late the finish was seen, once it was. */
  finishStalenessMs: number | null;
  /** How late it could have been seen at worst, given the poll before (see EXERCISE in settings.ts). */
  finishWorstCaseMs: number | null;
  finishOk: boolean;
  repeatedBodyBytes: number;
  bytesOk: boolean;
  passed: boolean;
}
