import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { EXERCISE_RUN_LIMITS } from '../../src/protocol/exercise-runs.ts';
import type { LongPollResponse } from '../../src/protocol/long-polling.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ChannelFaults } from '../faults/channel-faults.ts';
import { captureEnd } from './answer-capture.ts';
import { CURSOR_LOOP_RULES, judgeCursorLoop, type ObservedLongPoll } from './cursor-loop-checks.ts';
import type { ExerciseKind, OpenExercise, RunSetup } from './exercise-kind.ts';
import type { RequestGate } from './request-gate.ts';
import { tooManyRequests } from './too-many-requests.ts';

/** Time between two events: each one wakes a held poll of its own. */
export const CURSOR_LOOP_EVENT_MS = 800;

export interface CursorLoopDeps {
  bus: Pick<EventBus, 'publish'>;
  faults: Pick<ChannelFaults, 'inject'>;
  /** The long-poll endpoint's gate, by channel. */
  gate: RequestGate;
  eventMs?: number;
}

/**
 * Lesson 3's "Write it yourself": the learner's loop long-polls the run's
 * channel. From its first poll the server publishes `tick` 1…6 and `done`,
 * one every 800 ms, cuts the third answer with events halfway (the lost
 * response), and judges the cursors with {@link judgeCursorLoop}.
 */
export function cursorLoopExercise({ bus, faults, gate, eventMs = CURSOR_LOOP_EVENT_MS }: CursorLoopDeps): ExerciseKind {
  return {
    lesson: 'long-polling',
    exercise: 'cursor-loop',
    open({ channel, origin }: RunSetup): OpenExercise {
      const polls: ObservedLongPoll[] = [];
      let requests = 0;
      let answersWithEvents = 0;
      let publisher: ReturnType<typeof setInterval> | undefined;
      let published = 0;

      const publishNext = () => {
        published += 1;
        const done = published > CURSOR_LOOP_RULES.ticks;
        if (done) clearInterval(publisher);
        void bus.publish(channel, done ? 'done' : 'tick', done ? { ticks: CURSOR_LOOP_RULES.ticks } : { n: published }).catch(() => {});
      };

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
        publisher ??= setInterval(publishNext, eventMs);
        await answer(context);
      });

      return {
        urls: { poll: origin + apiRoutes.longPoll.path({ channel }) },
        get requests() {
          return requests;
        },
        checks: (final) => judgeCursorLoop(polls, final),
        close() {
          clearInterval(publisher);
          stopWatching();
        },
      };
    },
  };
}
