/**
 * The Server-Sent Events stream, `GET /api/sse/{channel}` (WHATWG HTML §9.2).
 *
 * Wire format, per event: `id: <event id>`, `event: <event type>`, then one
 * `data:` line per line of the payload, then a blank line. The payload is the
 * event's `data` itself when it is a string (so multi-line text arrives as
 * written), else its JSON. The stream starts with `retry: <ms>`; comments
 * (`: heartbeat`) keep idle connections alive.
 */
export const SSE_DEFAULTS = {
  /** Reconnection delay the stream asks browsers for, sent first as `retry:`. */
  retryMs: 2_000,
  /** Interval of `: heartbeat` comments (configurable with SSE_HEARTBEAT_MS). */
  heartbeatMs: 15_000,
} as const;

/** The comment line written as a heartbeat, with its blank line. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';

/** Query parameter carrying the last event id, for clients that cannot set `Last-Event-ID`. */
export const LAST_EVENT_ID_PARAM = 'lastEventId';

/** Query parameter setting this stream's heartbeat interval in ms (`SSE_LIMITS.minHeartbeatMs`–`maxHeartbeatMs`). */
export const HEARTBEAT_PARAM = 'heartbeat';

/**
 * Start of the comment a resumed stream sends before its replay, followed by
 * the id and a blank line: `: resuming after Last-Event-ID 42\n\n`. EventSource
 * hides comments; a client reading the raw stream (fetch) can show it.
 */
export const SSE_RESUMING_COMMENT = ': resuming after Last-Event-ID ';

export const SSE_LIMITS = {
  /** Shortest heartbeat a stream may ask for with `?heartbeat=`. */
  minHeartbeatMs: 1_000,
  /** Longest heartbeat a stream may ask for with `?heartbeat=`. */
  maxHeartbeatMs: 60_000,
  /**
   * Bytes a stream may have waiting to be sent (a slow or stalled reader)
   * before the server cuts it; the client reconnects and resumes by id.
   */
  maxBufferedBytes: 1024 * 1024,
} as const;

/**
 * Sent instead of a replay when the stream cannot resume from the client's
 * last event id: too old for the log, ahead of it (the server restarted), or
 * not a valid id. Its `id:` is the newest event id, so the next reconnect
 * resumes from there. The client should refetch its state.
 */
export const SSE_RESET_EVENT = 'reset';

export interface SseResetData {
  reason: 'cursor-evicted' | 'cursor-ahead' | 'invalid-last-event-id';
  /** The newest event id in the channel (the reset event's own `id`). */
  latestId: number;
}
