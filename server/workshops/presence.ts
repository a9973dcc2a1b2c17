/** The presence timings (defaults: `WORKSHOP_TIMINGS`); tests shrink them. */
export interface PresenceTimings {
  /** A member with no heartbeat for this long is offline. */
  presenceTtlMs: number;
  /** A member whose last learner stream closed this long ago is offline. */
  streamGraceMs: number;
}

/**
 * One learner stream held open, and until when the instance serving it
 * vouches for it: that instance renews the lease while the stream lives, so
 * the stream of an instance that died stops counting once its lease expires.
 */
export interface StreamLease {
  id: string;
  expiresAt: number;
}

/**
 * What is known of one member's page, whichever instance it reports to (the
 * live state keeps it: in memory, or in Redis). A page reports with
 * heartbeats and holds a learner stream open; a closed tab stops both, but
 * only the stream's end is seen at once. So a member is online while seen
 * recently and either streaming, or within a short grace after their last
 * stream closed (a reload), or never streaming, or streaming no more on
 * purpose (a page that lent its connection to an experiment says so in its
 * heartbeat; that flag is what tells it from a closed tab, whichever reaches
 * the server first).
 */
export interface PresenceState {
  /** When the page last reported (joined, heartbeat, "done", a stream opened); null when nothing was seen since the live state was lost (a restart). */
  lastSeenAt: number | null;
  /** The learner streams open now. */
  streams: readonly StreamLease[];
  lastStreamClosedAt: number | null;
  /** The page said it closed its stream on purpose (`Heartbeat.streaming: false`); cleared when one opens. */
  withoutStream: boolean;
}

/** A member nothing is known of: offline until their page reports. */
export const UNSEEN: PresenceState = { lastSeenAt: null, streams: [], lastStreamClosedAt: null, withoutStream: false };

/** The page reported at `now`; `streaming: false` says it closed its stream on purpose. */
export function seen(state: PresenceState, now: number, { streaming }: { streaming?: boolean } = {}): PresenceState {
  return {
    ...state,
    lastSeenAt: Math.max(state.lastSeenAt ?? now, now),
    withoutStream: state.withoutStream || streaming === false,
  };
}

export function streamOpened(state: PresenceState, lease: StreamLease, now: number): PresenceState {
  return { ...seen(state, now), streams: [...state.streams, lease], withoutStream: false };
}

export function streamClosed(state: PresenceState, streamId: string, now: number): PresenceState {
  return {
    ...state,
    streams: state.streams.filter((lease) => lease.id !== streamId),
    lastStreamClosedAt: Math.max(state.lastStreamClosedAt ?? now, now),
  };
}

/** Leases nobody renewed (their instance died) count as streams that closed when they expired. */
export function withoutExpiredLeases(state: PresenceState, now: number): PresenceState {
  const expired = state.streams.filter((lease) => lease.expiresAt <= now);
  if (expired.length === 0) return state;
  return {
    ...state,
    streams: state.streams.filter((lease) => lease.expiresAt > now),
    lastStreamClosedAt: Math.max(state.lastStreamClosedAt ?? 0, ...expired.map((lease) => lease.expiresAt)),
  };
}

export function isOnline(state: PresenceState, now: number, timings: PresenceTimings): boolean {
  const offlineAt = offlineDeadline(withoutExpiredLeases(state, now), timings);
  return offlineAt !== null && now < offlineAt;
}

/**
 * When the member turns offline if nothing else happens (no report, no
 * stream opening or closing), or null when they were never seen. A member
 * past it is offline; the sweep looks for members whose time has come.
 */
export function offlineDeadline(state: PresenceState, timings: PresenceTimings): number | null {
  if (state.lastSeenAt === null) return null;
  const silent = state.lastSeenAt + timings.presenceTtlMs;
  if (state.withoutStream) return silent;
  if (state.streams.length > 0) {
    // While a stream is open, its lease bounds it: a lease nobody renews ends like a closed stream.
    return Math.min(silent, Math.max(...state.streams.map((lease) => lease.expiresAt)) + timings.streamGraceMs);
  }
  if (state.lastStreamClosedAt === null) return silent;
  return Math.min(silent, state.lastStreamClosedAt + timings.streamGraceMs);
}
