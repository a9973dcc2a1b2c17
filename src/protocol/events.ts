/** One event in a channel's log, as every technique delivers it. */
export interface ChannelEvent {
  /** Per-channel, strictly increasing integer, starting at 1. */
  id: number;
  /** What happened, e.g. `note` or `job`: 1–64 of `A–Z a–z 0–9 . _ -`. */
  type: string;
  /** Any JSON value. */
  data: unknown;
  /** Server time the event was published, in milliseconds since the epoch. */
  ts: number;
}

/** Answer of `POST /api/channels/{channel}/events` (201). */
export interface PublishResponse {
  id: number;
  ts: number;
}

export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Limits shared by the server (enforced) and the widgets (to explain them). */
export const EVENT_LIMITS = {
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: 16 * 1024,
  /** Events each channel keeps for resume; older ones are evicted. */
  logCapacity: 500,
  /** Channels kept in memory; the least recently used is dropped beyond this. */
  maxChannels: 10_000,
} as const;
