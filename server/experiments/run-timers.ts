/**
 * The timers of one experiment run, so that `finish()` clears them all at
 * once and a run that ends early (done, aborted, draining) leaves none behind.
 */
export class RunTimers {
  readonly #timers = new Set<NodeJS.Timeout>();

  /** Runs `run` once, `ms` from now. */
  after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  /** Runs `run` every `ms`. */
  every(ms: number, run: () => void): void {
    this.#timers.add(setInterval(run, ms));
  }

  /** Resolves with `undefined` after `ms`; never, if cleared before. */
  delay(ms: number): Promise<undefined> {
    return new Promise((resolve) => this.after(ms, () => resolve(undefined)));
  }

  /** Clears every timer still pending (Node's clearTimeout clears intervals too). */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
