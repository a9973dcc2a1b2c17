import { EXERCISE_RUN_LIMITS } from '../../src/protocol/exercise-runs.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from '../http/problem.ts';

/** What a run's URLs answer past `EXERCISE_RUN_LIMITS.maxRequests`. */
export function tooManyRequests(): HttpProblem {
  return new HttpProblem({
    status: 429,
    type: PROBLEM_TYPES.rateLimited,
    detail: `This exercise run has answered its ${EXERCISE_RUN_LIMITS.maxRequests} requests; start a new run.`,
  });
}
