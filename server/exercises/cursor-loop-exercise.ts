import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { EXERCISE_RUN_LIMITS } from '../../src/protocol/exercise-runs.ts';
import type { LongPollResponse } from '../../src/protocol/long-polling.ts';
import { captureEnd } from './answer-capture.ts';
import { CURSOR_LOOP_RULES, judgeCursorLoop, type ObservedLongPoll } from './cursor-loop-checks.ts';
import type { ChannelExerciseDeps, ExerciseKind, OpenExercise, RunSetup } from './exercise-kind.ts';
import { TickScript } from './tick-script.ts';
import { tooManyRequests } from './too-many-requests.ts';

/** Time between two events: each one wakes a held poll of its own. */
export const CURSOR_LOOP_EVENT_MS = 800;

/**
 * Lesson 3's "Write it yourself": the learner's loop long-polls the run's
 * channel. From its first poll the server publishes `tick` 1…6 and `done`,
 * one every 800 ms, cuts the third answer with events halfway (the lost
 * response), and judges the cursors with {@link judgeCursorLoop}.
 */
export function cursorLoopExercise({ bus, faults, gate, eventMs = CURSOR_LOOP_EVENT_MS }: ChannelExerciseDeps): ExerciseKind {
  return {
    lesson: 'long-polling',
    exercise: 'cursor-loop',
    open({ channel, origin }: RunSetup): OpenExercise {
      const polls: ObservedLongPoll[] = [];
      let requests = 0;
      let answersWithEvents = 0;
      const script = new TickScript(bus, channel, CURSOR_LOOP_RULES.ticks, eventMs);

      const stopWatching = gate.watch(channel, async (context, answer) => {
        requests += 1;
        if (requests > EXERCISE_RUN_LIMITS.maxRequests) throw tooManyRequests();
        const { response, url } = context;
        const cursorParam = url.searchParams.get('cursor');
        const poll: ObservedLongPoll = {
          at: Date.now(),
          cursor: cursorParam !== null && /^\d+$/.test(cursorParam) ? Number(cursorParam) : undefined,
          status: 0,
          dropped: false,
          delivered: [],
          answerCursor: undefined,
        };
        polls.push(poll);
        const sent = captureEnd(response);
        response.once('close', () => {
          if (!response.headersSent) return; // the client left a held poll: nothing was answered
          poll.status = response.statusCode;
          // The lost response: headers and half a body, then the connection cut (never ended).
          poll.dropped = poll.status === 200 && !response.writableFinished;
          const body = poll.status === 200 && !poll.dropped ? (JSON.parse(sent() ?? '{}') as Partial<LongPollResponse>) : undefined;
          if (!body?.events?.length) return;
          poll.delivered = body.events.map((event) => event.id);
          poll.answerCursor = body.cursor;
          answersWithEvents += 1;
          // Armed once the answer before it arrived, so exactly that answer is cut.
          if (answersWithEvents === CURSOR_LOOP_RULES.droppedAnswer - 1)
            void Promise.resolve(faults.inject(channel, { type: 'drop-next-response' })).catch(() => {});
        });
        script.start();
        await answer(context);
      });

      return {
        urls: { poll: origin + apiRoutes.longPoll.path({ channel }) },
        get requests() {
          return requests;
        },
        checks: (final) => judgeCursorLoop(polls, final),
        close() {
          script.stop();
          stopWatching();
        },
      };
    },
  };
}
