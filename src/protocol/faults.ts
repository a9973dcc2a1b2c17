/**
 * Faults a reader injects into the companion server, scoped to one channel:
 * `POST /api/channels/{channel}/faults` with one of these bodies → 202 {@link FaultResponse}.
 */
export type FaultRequest =
  /** Long polling: the next answer carrying events is lost: the server takes the events, then drops the connection. */
  | { type: 'drop-next-response' }
  /** Long polling: the next `count` (1–10) requests answer `503` with `Retry-After`. */
  | { type: 'server-errors'; count: number }
  /** Long polling: every answer waits `delayMs` (0–10 000) more, for `durationMs` (1 000–120 000); `delayMs: 0` ends it. */
  | { type: 'slow'; delayMs: number; durationMs: number }
  /** SSE: open streams are cut abruptly, as a dropped network would (the socket is destroyed). */
  | { type: 'kill-streams' }
  /** SSE: open streams are ended cleanly, as a restarting server would. */
  | { type: 'restart-streams' }
  /** SSE: heartbeat comments stop (`enabled: false`) or resume on the channel's streams. */
  | { type: 'heartbeats'; enabled: boolean }
  /** SSE: open and future streams are sent `retry: retryMs` (500–60 000). */
  | { type: 'retry'; retryMs: number };

export type FaultType = FaultRequest['type'];

export interface FaultResponse {
  type: FaultType;
  /** Connections or requests the fault touched at once (e.g. streams killed); 0 for armed faults. */
  affected: number;
}

export const FAULT_LIMITS = {
  maxServerErrors: 10,
  maxDelayMs: 10_000,
  minDurationMs: 1_000,
  maxDurationMs: 120_000,
  minRetryMs: 500,
  maxRetryMs: 60_000,
  /**
   * An armed fault (`drop-next-response`, `server-errors`, `heartbeats: false`,
   * `retry`) that nothing triggered or re-armed is forgotten after this long.
   */
  armedTtlMs: 10 * 60_000,
  /** Channels with faults kept at once; the least recently armed are forgotten first. */
  maxChannels: 10_000,
} as const;

/** Every fault type, in the order the docs list them. */
export const FAULT_TYPES: readonly FaultType[] = [
  'drop-next-response',
  'server-errors',
  'slow',
  'kill-streams',
  'restart-streams',
  'heartbeats',
  'retry',
];
