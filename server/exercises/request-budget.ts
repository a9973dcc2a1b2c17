import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from '../http/problem.ts';

/**
 * The requests a run's URLs answer (`EXERCISE_RUN_LIMITS.maxRequests`):
 * a learner's runaway loop costs the server a bounded amount, and fails the run.
 */
export class RequestBudget {
  readonly #max: number;
  #used = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Requests counted so far. */
  get used(): number {
    return this.#used;
  }

  /** Counts one more request; false once the budget is spent. */
  take(): boolean {
    this.#used += 1;
    return this.#used <= this.#max;
  }

  /** Counts one more request, or throws the 429 the run's URLs answer past the budget. */
  takeOrThrow(): void {
    if (!this.take()) throw this.spent();
  }

  /** What a run's URLs answer past the budget. */
  spent(): HttpProblem {
    return new HttpProblem({
      status: 429,
      type: PROBLEM_TYPES.rateLimited,
      detail: `This exercise run has answered its ${this.#max} requests; start a new run.`,
    });
  }
}
