import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { Job, StartJobResponse } from '../../src/protocol/jobs.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import { HttpProblem } from '../http/problem.ts';
import { readJsonBody } from '../http/read-json-body.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { TooManyJobsError, type JobPlan } from '../jobs/job-simulation.ts';
import { parseStartJobRequest } from '../jobs/start-job-request.ts';

/** What starts jobs: the simulation of this process, or `SharedJobs` for every instance. */
export interface JobStarter {
  start(plan: JobPlan): Job | Promise<Job>;
}

/**
 * `POST /api/jobs`: starts a simulated job → `201 {id, channel}` with
 * `Location: /api/jobs/{id}`, the URL to poll. The body is optional.
 */
export function startJobRoute(jobs: JobStarter, access: ChannelGuard): RouteHandler {
  return async ({ request, response }) => {
    const plan = parseStartJobRequest(await readJsonBody(request, { allowEmpty: true }));
    // A job publishes its `job` events on the channel: the reader's own, or a fresh one.
    access.requireOwner(plan.channel, request, 'start a job on');
    let id: string;
    try {
      id = (await jobs.start(plan)).id;
    } catch (error) {
      if (!(error instanceof TooManyJobsError)) throw error;
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.tooManyJobs,
        detail: `All job slots are taken by unfinished jobs; one should finish within ${error.retryAfterSeconds} s.`,
        // RFC 9110 §10.2.3: how long the client should wait before retrying.
        headers: { 'Retry-After': String(error.retryAfterSeconds) },
      });
    }
    const body: StartJobResponse = { id, channel: plan.channel };
    // RFC 9110 §15.3.2: a 201 names the created resource in Location.
    sendJson(response, 201, body, { Location: apiRoutes.job.path({ id }) });
  };
}
