import type { IncomingMessage } from 'node:http';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { type ExerciseRunRegistry, UnknownRunError } from '../exercises/exercise-run-registry.ts';
import { cameOverHttps } from '../http/cookies.ts';
import { HttpProblem } from '../http/problem.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { learnerSetCookie, newLearnerId } from '../progress/learner-cookie.ts';
import { learnerFrom } from './progress.ts';

/** The handlers of the exercise runs (docs/api.md, "Exercises the server verifies"). */
export interface ExerciseRunRoutes {
  start: RouteHandler;
  verdict: RouteHandler;
  finish: RouteHandler;
}

/**
 * Runs belong to the learner in the `rtw_learner` cookie: starting one gives a
 * visitor without a cookie their id, and only that learner can read or end it.
 */
export function createExerciseRunRoutes(runs: ExerciseRunRegistry): ExerciseRunRoutes {
  return {
    start: async ({ request, response, params }) => {
      const { lesson = '', exercise = '' } = params;
      if (!runs.has(lesson, exercise)) throw unknownExercise(lesson, exercise, runs.names());
      const learner = learnerFrom(request) ?? newLearnerId();
      const run = await runs.start(learner, lesson, exercise, originOf(request));
      response.setHeader('Set-Cookie', learnerSetCookie(learner, request));
      sendJson(response, 201, run, { Location: apiRoutes.exerciseRun.path({ id: run.id }) });
    },
    verdict: async ({ request, response, params }) => {
      sendJson(response, 200, await ownRun(runs, params.id, request, (id, learner) => runs.verdict(id, learner)));
    },
    finish: async ({ request, response, params }) => {
      sendJson(response, 200, await ownRun(runs, params.id, request, (id, learner) => runs.finish(id, learner)));
    },
  };
}

/** `work` on the learner's run `id`; a 404 when it is not theirs (or not kept any more). */
async function ownRun<T>(
  runs: Pick<ExerciseRunRegistry, 'retainMs'>,
  id: string | undefined,
  request: IncomingMessage,
  work: (id: string, learner: string) => Promise<T>,
): Promise<T> {
  const learner = learnerFrom(request);
  try {
    if (learner === undefined) throw new UnknownRunError('No learner cookie.');
    return await work(id ?? '', learner);
  } catch (error) {
    if (!(error instanceof UnknownRunError)) throw error;
    throw new HttpProblem({
      status: 404,
      type: PROBLEM_TYPES.unknownExerciseRun,
      detail: `This browser has no exercise run ${JSON.stringify(id?.slice(0, 40))}: runs are kept for ${Math.round(runs.retainMs / 60_000)} minutes after they end, for the learner who started them.`,
    });
  }
}

export function unknownExercise(lesson: string, exercise: string, known: readonly string[]): HttpProblem {
  return new HttpProblem({
    status: 404,
    type: PROBLEM_TYPES.unknownExercise,
    detail: `No exercise ${JSON.stringify(`${lesson}/${exercise}`.slice(0, 140))} runs here; these do: ${known.join(', ')}.`,
  });
}

/** Where the page reached this server (its Host was checked before routing): the run's URLs start with it. */
function originOf(request: IncomingMessage): string {
  const host = request.headers.host ?? `127.0.0.1:${request.socket.localPort}`;
  return `${cameOverHttps(request) ? 'https' : 'http'}://${host}`;
}
