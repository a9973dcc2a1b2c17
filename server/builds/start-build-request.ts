import { BUILD_LIMITS } from '../../src/protocol/builds.ts';
import { parseSimulationRequest } from '../http/simulation-request.ts';
import type { BuildPlan } from './build-simulation.ts';

/**
 * Validates the body of `POST /api/builds` (a `StartBuildRequest`, every
 * member optional, or no body at all) and fills in the defaults: a channel
 * of the reader's own, `BUILD_LIMITS.defaultDurationMs`, outcome `passed`.
 * @throws {HttpProblem} 400 naming the first invalid member.
 */
export function parseStartBuildRequest(body: unknown): BuildPlan {
  return parseSimulationRequest(body, { channelPrefix: 'build-', limits: BUILD_LIMITS, outcomes: ['passed', 'failed'] });
}
