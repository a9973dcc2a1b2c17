import type { Job } from '../../src/protocol/jobs.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { HttpProblem } from '../http/problem.ts';
import type { RouteContext, RouteHandler } from '../http/router.ts';
import type { JobLookup } from '../techniques/short-polling.ts';
import type { JobStarter } from '../routes/jobs.ts';
import { ETAG_POLLER_RULES, judgeEtagPoller, type ObservedPoll } from './etag-poller-checks.ts';
import type { ExerciseKind, OpenExercise, RunSetup } from './exercise-kind.ts';
import type { RequestGate } from './request-gate.ts';
import { RequestBudget } from './request-budget.ts';

/** Long enough for a 1 s poller to see some 304s: ten steps of 1.6 s after 1 s queued. */
export const ETAG_POLLER_JOB_MS = 16_000;

/**
 * Lesson 2's "Write it yourself": the learner's code polls a job of its own
 * run. The server records each poll, answers one (the third) with 503 and
 * `Retry-After`, and judges the rest with {@link judgeEtagPoller}.
 */
export function etagPollerExercise(jobs: JobStarter & JobLookup, gate: RequestGate, jobDurationMs = ETAG_POLLER_JOB_MS): ExerciseKind {
  return {
    lesson: 'short-polling',
    exercise: 'etag-poller',
    async open({ channel, origin, maxRequests }: RunSetup): Promise<OpenExercise> {
      const job = await jobs.start({ channel, durationMs: jobDurationMs, outcome: 'succeeded' });
      const polls: ObservedPoll[] = [];
      const budget = new RequestBudget(maxRequests);
      const stopWatching = gate.watch(job.id, async (context, answer) => {
        budget.takeOrThrow();
        await observe(context, answer, polls.length + 1 === ETAG_POLLER_RULES.failedPoll);
      });
      return {
        urls: { job: origin + apiRoutes.job.path({ id: job.id }) },
        get requests() {
          return budget.used;
        },
        checks: (final) => judgeEtagPoller(polls, final),
        close: stopWatching,
      };

      /** Answers one poll (or fails it, as scripted) and notes what was asked and answered. */
      async function observe(context: RouteContext, answer: RouteHandler, fail: boolean): Promise<void> {
        const { request, response } = context;
        const at = Date.now();
        const ifNoneMatch = request.headers['if-none-match'];
        if (fail) {
          polls.push({ at, ifNoneMatch, status: 503, etag: undefined, state: undefined });
          throw new HttpProblem({
            status: 503,
            type: PROBLEM_TYPES.injectedFault,
            detail: `The exercise answers this poll with 503 on purpose: wait ${ETAG_POLLER_RULES.retryAfterSeconds} s (Retry-After), then poll again.`,
            headers: { 'Retry-After': String(ETAG_POLLER_RULES.retryAfterSeconds) },
          });
        }
        await answer(context);
        const etag = response.getHeader('etag')?.toString();
        const current: Job | undefined = await jobs.get(job.id);
        // The answer held the current version when it carried its tag (getJobRoute's `"id.version"`); a finished job changes no more.
        const state = response.statusCode === 200 && current && etag === `"${current.id}.${current.version}"` ? current.state : undefined;
        polls.push({ at, ifNoneMatch, status: response.statusCode, etag, state });
      }
    },
  };
}
