import { apiRoutes } from '../../src/protocol/api-routes.ts';
import type { LongPollResponse } from '../../src/protocol/long-polling.ts';
import { captureEnd } from './answer-capture.ts';
import { CURSOR_LOOP_RULES, judgeCursorLoop, type ObservedLongPoll } from './cursor-loop-checks.ts';
import type { ChannelExerciseDeps, ExerciseKind, OpenExercise, RunSetup } from './exercise-kind.ts';
import { TickScript } from './tick-script.ts';
import { RequestBudget } from './request-budget.ts';

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
    open({ channel, origin, maxRequests }: RunSetup): OpenExercise {
      const polls: ObservedLongPoll[] = [];
      const budget = new RequestBudget(maxRequests);
      let answersWithEvents = 0;
      const script = new TickScript(bus, channel, CURSOR_LOOP_RULES.ticks, eventMs);

      const stopWatching = gate.watch(channel, async (context, answer) => {
        budget.takeOrThrow();
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
          const body = poll.status === 200 && !poll.dropped ? parseAnswer(sent()) : undefined;
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
          return budget.used;
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

/** A long poll's 200 answer as sent; undefined if it was not one (nothing the endpoint sends today). */
function parseAnswer(text: string | undefined): Partial<LongPollResponse> | undefined {
  try {
    return JSON.parse(text ?? '') as Partial<LongPollResponse>;
  } catch {
    return undefined;
  }
}
