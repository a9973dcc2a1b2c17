import { flattenedTheStorm, STORM_EXERCISE, type StormDone } from '../../src/protocol/production.ts';

/** Records a pass the server judged itself, for the learner. */
export type RecordPass = (learnerId: string, lesson: string, exercise: string) => Promise<void>;

/** Learners whose latest storms are kept; the oldest is forgotten past this. */
const MAX_LEARNERS = 10_000;

/**
 * Lesson 7's exercise, verified from the storms the server itself ran and
 * counted: once a learner's latest storm with no backoff and their latest
 * with full jitter are comparable and the jitter's peak is at most a third,
 * the exercise is recorded as verified for them.
 */
export class StormVerifier {
  readonly #recordPass: RecordPass;
  /** Learner → their latest finished storm per strategy compared by the exercise. */
  readonly #latest = new Map<string, { none?: StormDone; jitter?: StormDone }>();

  constructor(recordPass: RecordPass) {
    this.#recordPass = recordPass;
  }

  /** A storm the learner started has ended; resolves once a pass it makes is recorded. */
  async stormDone(learnerId: string, done: StormDone): Promise<void> {
    if (done.strategy === 'exponential') return;
    const latest = this.#latest.get(learnerId) ?? {};
    this.#latest.delete(learnerId); // re-inserted last: the map's order is by latest storm
    const next = done.strategy === 'none' ? { ...latest, none: done } : { ...latest, jitter: done };
    this.#latest.set(learnerId, next);
    if (this.#latest.size > MAX_LEARNERS) this.#latest.delete(this.#latest.keys().next().value!);
    if (!next.none || !next.jitter || !flattenedTheStorm(next.none, next.jitter)) return;
    await this.#recordPass(learnerId, STORM_EXERCISE.lesson, STORM_EXERCISE.id);
  }
}
