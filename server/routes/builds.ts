import type { StartBuildResponse } from '../../src/protocol/builds.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { type BuildSimulation, TooManyBuildsError } from '../builds/build-simulation.ts';
import { parseStartBuildRequest } from '../builds/start-build-request.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import { HttpProblem } from '../http/problem.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';

/**
 * `POST /api/builds`: starts a simulated build that streams on its channel
 * → `201 {id, channel, totalLines}`. The body is optional. There is no URL
 * for the build itself (no `Location`): its events are the way to follow it.
 */
export function startBuildRoute(builds: BuildSimulation, access: ChannelGuard): RouteHandler {
  return async ({ request, response }) => {
    const plan = parseStartBuildRequest(await readJsonBody(request, { allowEmpty: true }));
    // A build publishes its log on the channel: the reader's own, or a fresh one.
    access.requireOwner(plan.channel, request, 'start a build on');
    let started: StartBuildResponse;
    try {
      started = builds.start(plan);
    } catch (error) {
      if (!(error instanceof TooManyBuildsError)) throw error;
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.tooManyBuilds,
        detail: `Too many builds are running; one should finish within ${error.retryAfterSeconds} s.`,
        // RFC 9110 §10.2.3: how long the client should wait before retrying.
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
      });
    }
    sendJson(response, 201, started);
  };
}
