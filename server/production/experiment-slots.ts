import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { EXPERIMENT_LIMITS } from '../../src/protocol/production.ts';
import { HttpProblem } from '../http/problem.ts';

/**
 * Bounds the experiments that run real clients inside the server (storms,
 * slow consumers, drains): one at a time per channel, and a few over all
 * channels, so one reader's fleet cannot crowd out everyone else's demos.
 */
export class ExperimentSlots {
  readonly #maxRunning: number;
  /** channel → when its experiment should be over (ms since the epoch), for `Retry-After`. */
  readonly #running = new Map<string, number>();
  readonly #now: () => number;

  constructor(maxRunning: number = EXPERIMENT_LIMITS.maxRunning, now: () => number = Date.now) {
    this.#maxRunning = maxRunning;
    this.#now = now;
  }

  get running(): number {
    return this.#running.size;
  }

  /**
   * Takes a slot for `channel` for about `expectedMs`.
   * @returns the function that gives it back (idempotent).
   * @throws {HttpProblem} 409 when the channel already runs an experiment,
   *   503 with `Retry-After` when every slot is taken.
   */
  acquire(channel: string, expectedMs: number): () => void {
    const busyUntil = this.#running.get(channel);
    if (busyUntil !== undefined) {
      throw new HttpProblem({
        status: 409,
        type: PROBLEM_TYPES.experimentRunning,
        detail: `An experiment is already running on channel ${channel}; wait for its last event (about ${this.#secondsUntil(busyUntil)} s).`,
      });
    }
    if (this.#running.size >= this.#maxRunning) {
      const soonest = Math.min(...this.#running.values());
      const seconds = this.#secondsUntil(soonest);
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.tooManyExperiments,
        detail: `The server is running ${this.#running.size} experiments for other readers, its limit; try again in about ${seconds} s.`,
        headers: { 'Retry-After': String(seconds) },
      });
    }
    this.#running.set(channel, this.#now() + expectedMs);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running.delete(channel);
    };
  }

  #secondsUntil(time: number): number {
    return Math.max(1, Math.ceil((time - this.#now()) / 1000));
  }
}
