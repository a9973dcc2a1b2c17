import { BUILD_LIMITS } from '../../src/protocol/builds.ts';
import { startBuildRequest } from '../../src/protocol/request-bodies.ts';
import { parseBody } from '../http/parse-body.ts';
import { withSimulationDefaults } from '../http/simulation-request.ts';
import type { BuildPlan } from './build-simulation.ts';

/**
 * Checks the body of `POST /api/builds` (a `StartBuildRequest`, every
 * member optional, or no body at all) and fills in the defaults: a channel
 * of the reader's own, `BUILD_LIMITS.defaultDurationMs`, outcome `passed`.
 * @throws {HttpProblem} 400 naming the first invalid member.
 */
export function parseStartBuildRequest(body: unknown): BuildPlan {
  // No body at all is `{}`; a JSON `null` is still refused (not an object).
  return withSimulationDefaults(parseBody(startBuildRequest, body === undefined ? {} : body), {
    channelPrefix: 'build-',
    defaultDurationMs: BUILD_LIMITS.defaultDurationMs,
    defaultOutcome: 'passed',
  });
}
