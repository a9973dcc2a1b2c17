import { SERVER_TIME_HEADER } from '../../src/protocol/jobs.ts';
import { LAB_ID_PATTERN, LAB_PROBLEM_TYPES, type CreateLabResponse, type DropConnectionsResponse } from '../../src/protocol/lab.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { runLabRequest } from '../../src/protocol/request-bodies.ts';
import { HttpProblem } from '../http/problem.ts';
import { readBody } from '../http/parse-body.ts';
import type { RouteContext, Router } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { TooManyLabsError, type LabRegistry } from './lab-registry.ts';
import type { LabSession } from './lab-session.ts';

/**
 * The lab's control endpoints (docs/api.md, "Side-by-side lab"):
 *
 * - `POST /api/labs` → 201 {id, channel}: a new lab;
 * - `POST /api/labs/{id}/run` {ratePerMinute, durationMs} → 202 run: publish on its channel;
 * - `POST /api/labs/{id}/stop` → 200 run: stop publishing;
 * - `GET /api/labs/{id}/stats` → 200 what the server counted, per technique;
 * - `POST /api/labs/{id}/drop-connections` → 202 {dropped}: cut every connection of the lab.
 *
 * None of these carries the `lab` tag, so none is counted in the lab's traffic.
 */
export function registerLabRoutes(router: Router, labs: LabRegistry): void {
  const find = ({ params }: RouteContext): LabSession => {
    const id = params.id ?? '';
    const lab = LAB_ID_PATTERN.test(id) ? labs.get(id) : undefined;
    if (!lab) {
      throw new HttpProblem({
        status: 404,
        type: LAB_PROBLEM_TYPES.unknownLab,
        detail: `No lab has the id ${JSON.stringify(id.slice(0, 80))}; it never existed or was idle for more than 10 minutes. Create one with POST ${apiRoutes.labs.path()}.`,
      });
    }
    return lab;
  };

  router
    .on(apiRoutes.labs, 'POST', ({ response }) => {
      const lab = labs.create();
      const body: CreateLabResponse = { id: lab.id, channel: lab.channel };
      sendJson(response, 201, body, { Location: apiRoutes.labStats.path({ id: lab.id }) });
    })
    .on(apiRoutes.labRun, 'POST', async (context) => {
      const lab = find(context);
      const request = await readBody(context.request, runLabRequest);
      try {
        labs.run(lab, request);
      } catch (error) {
        if (!(error instanceof TooManyLabsError)) throw error;
        throw new HttpProblem({
          status: 503,
          type: LAB_PROBLEM_TYPES.tooManyLabs,
          detail: error.message,
          headers: { 'Retry-After': '60' },
        });
      }
      sendJson(context.response, 202, lab.runState());
    })
    .on(apiRoutes.labStop, 'POST', (context) => {
      const lab = find(context);
      lab.stop();
      sendJson(context.response, 200, lab.runState());
    })
    .on(apiRoutes.labStats, 'GET', (context) => {
      const lab = find(context);
      const now = Date.now();
      // The server's clock, so the page can estimate the offset between its clock and ours.
      sendJson(context.response, 200, lab.stats(now), { [SERVER_TIME_HEADER]: String(now) });
    })
    .on(apiRoutes.labDropConnections, 'POST', (context) => {
      const lab = find(context);
      const body: DropConnectionsResponse = { dropped: lab.openConnections };
      // Answer first, then cut. (This untagged request's own connection has already left the lab.)
      context.response.once('finish', () => lab.dropConnections());
      sendJson(context.response, 202, body);
    });
}
