/** The presence timings (defaults: `WORKSHOP_TIMINGS`); tests shrink them. */
export interface PresenceTimings {
  /** A member with no heartbeat for this long is offline. */
  presenceTtlMs: number;
  /** A member whose last learner stream closed this long ago is offline. */
  streamGraceMs: number;
}

/**
 * Whether one member is in the room, from what their page does (in memory
 * only: it means nothing after a restart). A page reports with heartbeats and
 * holds a learner stream open; a closed tab stops both, but only the stream's
 * end is seen at once. So a member is online while seen recently and either
 * streaming, or within a short grace after their last stream closed (a
 * reload), or never streaming, or streaming no more on purpose (a page that
 * lent its connection to an experiment says so in its heartbeat; that flag
 * is what tells it from a closed tab, whichever reaches the server first).
 */
export class Presence {
  lastSeenAt: number;
  #openStreams = 0;
  #lastStreamClosedAt: number | undefined;
  /** The page said it closed its stream on purpose (`Heartbeat.streaming: false`); cleared when one opens. */
  #withoutStream = false;
  /** False for a member loaded from the store: nothing of their page has been seen by this process yet. */
  #seenHere: boolean;

  /** A member seen `now` (they just joined). */
  constructor(now: number, seenHere = true) {
    this.lastSeenAt = now;
    this.#seenHere = seenHere;
  }

  /** A member loaded from the store after a restart: offline until their page reports. */
  static restored(lastSeenAt: number): Presence {
    return new Presence(lastSeenAt, false);
  }

  seen(now: number, { streaming }: { streaming?: boolean } = {}): void {
    this.lastSeenAt = Math.max(this.lastSeenAt, now);
    this.#seenHere = true;
    if (streaming === false) this.#withoutStream = true;
  }

  streamOpened(now: number): void {
    this.#openStreams += 1;
    this.#withoutStream = false;
    this.seen(now);
  }

  streamClosed(now: number): void {
    this.#openStreams = Math.max(0, this.#openStreams - 1);
    this.#lastStreamClosedAt = now;
  }

  online(now: number, timings: PresenceTimings): boolean {
    if (!this.#seenHere || now - this.lastSeenAt >= timings.presenceTtlMs) return false;
    if (this.#openStreams > 0 || this.#lastStreamClosedAt === undefined || this.#withoutStream) return true;
    return now - this.#lastStreamClosedAt < timings.streamGraceMs;
  }
}
