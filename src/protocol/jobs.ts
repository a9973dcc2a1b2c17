/** The life of a simulated job: queued → running (0–100 %) → succeeded | failed. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export const TERMINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed'];

export function isTerminal(state: JobState): boolean {
  return TERMINAL_JOB_STATES.includes(state);
}

/** The representation of `GET /api/jobs/{id}`. */
export interface Job {
  id: string;
  channel: string;
  state: JobState;
  /** 0–100. */
  progress: number;
  /** Last note published to the job's channel (an event of type `note`), or null. */
  note: string | null;
  /** Increases by one on every change; the ETag is derived from it. */
  version: number;
  createdAt: number;
  /** Server time of the latest change, in ms since the epoch. */
  updatedAt: number;
}

/** Answer of `POST /api/jobs` (201). */
export interface StartJobResponse {
  id: string;
  channel: string;
}

export const JOB_LIMITS = {
  minDurationMs: 1_000,
  maxDurationMs: 120_000,
  defaultDurationMs: 12_000,
  /** Time spent queued before running. */
  queuedMs: 1_000,
  /** Finished jobs are forgotten after this long. */
  retainMs: 10 * 60_000,
  /** Jobs kept at once (running or finished); the oldest finished go first. */
  maxJobs: 5_000,
  /** Longest note text, in characters. */
  maxNoteLength: 280,
} as const;

/** Header carrying the server's clock (ms since the epoch) on job responses, to measure staleness. */
export const SERVER_TIME_HEADER = 'x-server-time';

/** Type of the event a job publishes on its channel at every change; its `data` is the whole {@link Job}. */
export const JOB_EVENT_TYPE = 'job';

/**
 * Type of the event that annotates jobs: publishing `{type: 'note', data: {text}}`
 * to a channel sets `note` on every unfinished job of that channel.
 */
export const NOTE_EVENT_TYPE = 'note';

/** `data` of a `note` event; `text` has at most {@link JOB_LIMITS}.maxNoteLength characters. */
export interface NoteEventData {
  text: string;
}

/** True when `data` is a valid `note` event payload: `{text}` with at most `JOB_LIMITS.maxNoteLength` characters. */
export function isNoteEventData(data: unknown): data is NoteEventData {
  if (typeof data !== 'object' || data === null) return false;
  const text = (data as { text?: unknown }).text;
  return typeof text === 'string' && [...text].length <= JOB_LIMITS.maxNoteLength;
}
