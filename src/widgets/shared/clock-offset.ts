/** The best estimate so far of the server's clock relative to the page's. */
export interface ClockOffset {
  /** Server clock − page clock, ms. Add it to a page time to get the server time. */
  offsetMs: number;
  /** Round trip of the sample it came from: the estimate is good to ± half of it. */
  roundTripMs: number;
  /** Samples seen so far. */
  samples: number;
}

/**
 * Estimates the offset between the server's clock and the page's, the way
 * NTP does for one exchange (RFC 5905 §8): a request sent at `sentAt` (page
 * clock) is answered with the server's time `serverTime` and arrives at
 * `receivedAt`. If the trip took as long both ways, the server read its clock
 * at the midpoint, so offset = serverTime − (sentAt + receivedAt) / 2, with an
 * error of at most half the round trip. The sample with the shortest round
 * trip is the most precise, so it wins.
 */
export class ClockOffsetEstimator {
  #best: ClockOffset | null = null;
  #samples = 0;

  add(sentAt: number, receivedAt: number, serverTime: number): void {
    if (!Number.isFinite(serverTime) || receivedAt < sentAt) return;
    this.#samples += 1;
    const roundTripMs = receivedAt - sentAt;
    if (this.#best && this.#best.roundTripMs <= roundTripMs) {
      this.#best = { ...this.#best, samples: this.#samples };
      return;
    }
    this.#best = { offsetMs: serverTime - (sentAt + receivedAt) / 2, roundTripMs, samples: this.#samples };
  }

  /** The estimate, or null before any sample. */
  get current(): ClockOffset | null {
    return this.#best;
  }
}
