/** How often an instance renews and re-reads chat presence in Redis (see {@link presenceTimings}). */
export interface PresenceTimings {
  /** A member's presence key expires this long after its last renewal (`PRESENCE_TTL_MS`). */
  ttlMs: number;
  /** How often each instance renews its members' keys: a third of the TTL, so two lost renewals are survived. */
  heartbeatMs: number;
  /** How often each instance re-reads the member lists of its rooms, dropping the expired members. */
  pollMs: number;
}

/** The default TTL of a member's presence: 30 s. */
export const DEFAULT_PRESENCE_TTL_MS = 30_000;

/** The longest time between two re-reads of a room's members. */
const MAX_POLL_MS = 5_000;

/**
 * Derives the renewal and re-read periods from the presence TTL. A member
 * whose instance dies (nobody says goodbye) expires at most `ttlMs` after its
 * last renewal, and every other instance notices within one `pollMs` more:
 * 35 s with the defaults.
 */
export function presenceTimings(ttlMs: number = DEFAULT_PRESENCE_TTL_MS): PresenceTimings {
  return {
    ttlMs,
    heartbeatMs: Math.max(1, Math.round(ttlMs / 3)),
    pollMs: Math.max(1, Math.min(MAX_POLL_MS, Math.round(ttlMs / 6))),
  };
}
