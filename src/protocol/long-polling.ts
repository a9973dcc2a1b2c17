import type { ChannelEvent } from './events.ts';

/** Answer of `GET /api/long-poll/{channel}?cursor=N&timeout=MS` when there are events (200). */
export interface LongPollResponse {
  /** Events with `id > cursor`, oldest first, at most `LONG_POLL_LIMITS.maxEvents`. */
  events: ChannelEvent[];
  /** The id to send as `cursor` next time: the last event's id. */
  cursor: number;
  /**
   * True when the cursor could not be honoured: older than the oldest event the
   * log still keeps, or ahead of the newest (the server restarted). `events`
   * then holds what the log has; the client should refetch its state.
   */
  reset?: boolean;
}

export const LONG_POLL_LIMITS = {
  /** Hold time when `timeout` is absent, in ms. */
  defaultTimeoutMs: 25_000,
  /** Longer holds are cut to this: below common proxy idle limits (often 30–60 s). */
  maxTimeoutMs: 30_000,
  /** Shortest accepted hold (0 answers at once: a plain poll). */
  minTimeoutMs: 0,
  /** Events in one answer; a client with more to catch up asks again at once. */
  maxEvents: 100,
} as const;
