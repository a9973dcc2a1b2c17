/**
 * Counts events in fixed-width time bins from an origin — "reconnect attempts
 * per 100 ms after the restart" — and hands each bin over once it has closed,
 * so a storm can publish its curve as it happens. The clock is injected: a
 * unit test drives it by hand.
 */
export class BinCounter {
  readonly binMs: number;
  readonly #now: () => number;
  readonly #origin: number;
  readonly #counts: number[] = [];
  /** Bins before this one have been handed over by {@link takeClosed}. */
  #taken = 0;

  /** Starts counting now: bin 0 is [now, now + binMs). */
  constructor(binMs: number, now: () => number = () => performance.now()) {
    if (!(binMs > 0)) throw new RangeError(`binMs must be positive, not ${binMs}`);
    this.binMs = binMs;
    this.#now = now;
    this.#origin = now();
  }

  /** ms since the origin. */
  elapsed(): number {
    return this.#now() - this.#origin;
  }

  /** The bin `now` falls in. */
  currentBin(): number {
    return Math.max(0, Math.floor(this.elapsed() / this.binMs));
  }

  /** Counts `n` events now. */
  count(n = 1): void {
    const bin = this.currentBin();
    while (this.#counts.length <= bin) this.#counts.push(0);
    this.#counts[bin] = (this.#counts[bin] ?? 0) + n;
  }

  /**
   * The bins that closed since the last call (all of them at once if the
   * event loop was too busy to call in time), with their index. Pass
   * `includeCurrent` at the end of a run to take the open bin too.
   */
  takeClosed(includeCurrent = false): { bin: number; count: number }[] {
    const end = this.currentBin() + (includeCurrent ? 1 : 0);
    const closed: { bin: number; count: number }[] = [];
    for (; this.#taken < end; this.#taken += 1) closed.push({ bin: this.#taken, count: this.#counts[this.#taken] ?? 0 });
    return closed;
  }

  /** Every bin so far, empty ones as 0, up to the last bin taken or counted. */
  bins(): number[] {
    const length = Math.max(this.#counts.length, this.#taken);
    return Array.from({ length }, (_, bin) => this.#counts[bin] ?? 0);
  }
}
