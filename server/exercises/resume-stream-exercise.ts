import { setTimeout as sleep } from 'node:timers/promises';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { LAST_EVENT_ID_PARAM } from '../../src/protocol/sse.ts';
import type { ChannelExerciseDeps, ExerciseKind, OpenExercise, RunSetup } from './exercise-kind.ts';
import { TickScript } from './tick-script.ts';
import { judgeResumeStream, type ObservedStream, RESUME_STREAM_RULES } from './resume-stream-checks.ts';
import { RequestBudget } from './request-budget.ts';
import { readLastEventId } from '../techniques/sse.ts';

/** Time between two events of lesson 4's run. */
export const RESUME_STREAM_EVENT_MS = 700;

/** How long after event 3 its stream ends: well within the next event's 700 ms. */
const STREAM_END_DELAY_MS = 150;

/**
 * Lesson 4's "Write it yourself": the learner's client reads the run's SSE
 * stream. From the first stream the server publishes `tick` 1…6 and `done`,
 * one every 700 ms, ends the stream after tick 3, and judges the reconnect
 * with {@link judgeResumeStream}.
 */
export function resumeStreamExercise({ bus, faults, gate, eventMs = RESUME_STREAM_EVENT_MS }: ChannelExerciseDeps): ExerciseKind {
  return {
    lesson: 'server-sent-events',
    exercise: 'resume',
    open({ channel, origin, maxRequests }: RunSetup): OpenExercise {
      const streams: ObservedStream[] = [];
      const budget = new RequestBudget(maxRequests);
      const script = new TickScript(bus, channel, RESUME_STREAM_RULES.ticks, eventMs, async (id) => {
        if (id !== RESUME_STREAM_RULES.cutAfter) return;
        // The stream ends after this event: whoever held it must come back with its id. Ended cleanly, as
        // a restarting server ends it, so the event reaches the client first (a cut socket could lose it),
        // and a moment later: with Redis the event and the restart travel apart, and the event must win.
        await sleep(Math.min(STREAM_END_DELAY_MS, eventMs / 2));
        for (const stream of streams) if (stream.latestAtClose === undefined) stream.cut = true;
        await faults.inject(channel, { type: 'restart-streams' });
      });

      const stopWatching = gate.watch(channel, async (context, answer) => {
        budget.takeOrThrow();
        const { request, response, url } = context;
        const stream: ObservedStream = {
          at: Date.now(),
          // As the endpoint reads it (an empty id is none); read before the endpoint refuses a bad query.
          lastEventId: readLastEventId(request, { lastEventId: url.searchParams.get(LAST_EVENT_ID_PARAM) ?? undefined }),
          latestAtOpen: script.latestId,
          latestAtClose: undefined,
          cut: false,
        };
        streams.push(stream);
        response.once('close', () => {
          stream.latestAtClose = script.latestId;
        });
        script.start();
        await answer(context);
      });

      return {
        urls: { stream: origin + apiRoutes.sse.path({ channel }) },
        get requests() {
          return budget.used;
        },
        checks: (final) => judgeResumeStream(streams, script.latestId, final),
        close() {
          script.stop();
          stopWatching();
        },
      };
    },
  };
}
