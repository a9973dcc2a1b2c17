import { JOB_LIMITS } from '../../src/protocol/jobs.ts';
import { parseSimulationRequest } from '../http/simulation-request.ts';
import type { JobPlan } from './job-simulation.ts';

/**
 * Validates the body of `POST /api/jobs` (a `StartJobRequest`, every member
 * optional, or no body at all) and fills in the defaults: a channel of the
 * reader's own, `JOB_LIMITS.defaultDurationMs`, outcome `succeeded`.
 * @throws {HttpProblem} 400 naming the first invalid member.
 */
export function parseStartJobRequest(body: unknown): JobPlan {
  return parseSimulationRequest(body, { channelPrefix: 'job-', limits: JOB_LIMITS, outcomes: ['succeeded', 'failed'] });
}
