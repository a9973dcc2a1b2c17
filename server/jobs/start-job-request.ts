import { JOB_LIMITS } from '../../src/protocol/jobs.ts';
import { startJobRequest } from '../../src/protocol/request-bodies.ts';
import { parseBody } from '../http/parse-body.ts';
import { withSimulationDefaults } from '../http/simulation-request.ts';
import type { JobPlan } from './job-simulation.ts';

/**
 * Checks the body of `POST /api/jobs` (a `StartJobRequest`, every member
 * optional, or no body at all) and fills in the defaults: a channel of the
 * reader's own, `JOB_LIMITS.defaultDurationMs`, outcome `succeeded`.
 * @throws {HttpProblem} 400 naming the first invalid member.
 */
export function parseStartJobRequest(body: unknown): JobPlan {
  // No body at all is `{}`; a JSON `null` is still refused (not an object).
  return withSimulationDefaults(parseBody(startJobRequest, body === undefined ? {} : body), {
    channelPrefix: 'job-',
    defaultDurationMs: JOB_LIMITS.defaultDurationMs,
    defaultOutcome: 'succeeded',
  });
}
