import type { ChannelEvent } from './events.ts';

/**
 * `GET /api/channels/{channel}/latest`: the newest events of a channel, as
 * one resource a short-polling client can ask for again and again. It carries
 * a strong `ETag` that changes exactly when a new event is published, so a
 * client sending `If-None-Match` gets `304 Not Modified` while nothing happened.
 */
export interface ChannelLatestResponse {
  /** The newest event id of the channel; 0 when it has none. */
  latestId: number;
  /** The newest events, oldest first, at most `CHANNEL_LATEST_LIMITS.maxEvents`. */
  events: ChannelEvent[];
}

export const CHANNEL_LATEST_LIMITS = {
  /**
   * Events in one answer: a page of a feed. A client that polls less often
   * than this many events are published misses the ones in between — polling
   * a snapshot shows states, not every change.
   */
  maxEvents: 20,
} as const;
