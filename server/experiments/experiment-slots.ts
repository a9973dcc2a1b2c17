import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { EXPERIMENT_LIMITS } from '../../src/protocol/production.ts';
import { HttpProblem } from '../http/problem.ts';

/** What a channel's slot holds: when its experiment should be over, and how to stop it early. */
interface Holder {
  /** ms since the epoch, for `Retry-After`. */
  busyUntil: number;
  stop: (reason: string) => void;
}

/** The reason a run gets when the same channel starts another one. */
export const TAKEN_OVER_REASON = 'a new run on this channel took its place';

/**
 * Bounds the experiments that run real clients inside the server (storms,
 * slow consumers, drains): one at a time per channel, and a few over all
 * channels, so one reader's fleet cannot crowd out everyone else's demos.
 *
 * A channel is one widget of one reader (`src/widgets/production/channel.ts`):
 * a reader who starts again on the same channel — after a reload, say — takes
 * over their own run instead of waiting for it to end.
 */
export class ExperimentSlots {
  readonly #maxRunning: number;
  readonly #running = new Map<string, Holder>();
  readonly #now: () => number;

  constructor(maxRunning: number = EXPERIMENT_LIMITS.maxRunning, now: () => number = Date.now) {
    this.#maxRunning = maxRunning;
    this.#now = now;
  }

  get running(): number {
    return this.#running.size;
  }

  /**
   * Takes a slot for `channel` for about `expectedMs`. A run already on the
   * channel is stopped first (`stop` of its own acquire, with {@link TAKEN_OVER_REASON}).
   * @param stop ends this run early; it must give the slot back.
   * @returns the function that gives it back (idempotent; a no-op once taken over).
   * @throws {HttpProblem} 503 with `Retry-After` when every slot is taken by other channels.
   */
  acquire(channel: string, expectedMs: number, stop: (reason: string) => void = () => {}): () => void {
    const previous = this.#running.get(channel);
    if (previous !== undefined) {
      // Its release is a no-op from now on: it compares holders, and this one is gone.
      this.#running.delete(channel);
      previous.stop(TAKEN_OVER_REASON);
    }
    if (this.#running.size >= this.#maxRunning) {
      const soonest = Math.min(...[...this.#running.values()].map((holder) => holder.busyUntil));
      const seconds = this.#secondsUntil(soonest);
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.tooManyExperiments,
        detail: `The server is running ${this.#running.size} experiments for other readers, its limit; try again in about ${seconds} s.`,
        headers: { 'Retry-After': String(seconds) },
      });
    }
    const holder: Holder = { busyUntil: this.#now() + expectedMs, stop };
    this.#running.set(channel, holder);
    return () => {
      if (this.#running.get(channel) === holder) this.#running.delete(channel);
    };
  }

  #secondsUntil(time: number): number {
    return Math.max(1, Math.ceil((time - this.#now()) / 1000));
  }
}
