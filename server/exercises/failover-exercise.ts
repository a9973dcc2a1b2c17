import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { LAST_EVENT_ID_PARAM } from '../../src/protocol/sse.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import type { EventBus } from '../events/event-bus.ts';
import { HttpProblem } from '../http/problem.ts';
import type { RouteContext, RouteHandler } from '../http/router.ts';
import { readLastEventId } from '../techniques/sse.ts';
import type { ExerciseKind, OpenExercise, RunSetup } from './exercise-kind.ts';
import { FAILOVER_RULES, type FailoverInstance, judgeFailover, type ObservedInstanceStream } from './failover-checks.ts';
import { RequestBudget } from './request-budget.ts';
import { TickScript } from './tick-script.ts';

/** Time between two events of lesson 8's run. */
export const FAILOVER_EVENT_MS = 700;

/** How long after event 3 instance b dies: its last event has reached the client by then. */
const KILL_DELAY_MS = 150;

export interface FailoverDeps {
  bus: Pick<EventBus, 'publish'>;
  /** The SSE endpoint: both "instances" are it, on the run's channel, as two instances on one backplane would be. */
  sse: RouteHandler;
  eventMs?: number;
}

const INSTANCES: readonly FailoverInstance[] = ['a', 'b'];

/**
 * Lesson 8's "Write it yourself": the run's feed is served by two instances
 * on one backplane, at `urls.a` and `urls.b`. From the first stream the
 * server publishes `tick` 1…6 and `done`, one every 700 ms; after event 3,
 * instance b dies: its streams are cut, and it answers 502 from then on, as a
 * balancer does for an instance that is gone. Judged by {@link judgeFailover}.
 */
export function failoverExercise({ bus, sse, eventMs = FAILOVER_EVENT_MS }: FailoverDeps): ExerciseKind {
  return {
    lesson: 'scaling-out',
    exercise: 'failover',
    open({ id, channel, origin, maxRequests }: RunSetup): OpenExercise {
      const streams: ObservedInstanceStream[] = [];
      const served = new Map<ObservedInstanceStream, ServerResponse>();
      const budget = new RequestBudget(maxRequests);
      let bDown = false;
      const script = new TickScript(bus, channel, FAILOVER_RULES.ticks, eventMs, async (eventId) => {
        if (eventId !== FAILOVER_RULES.killAfter) return;
        await sleep(Math.min(KILL_DELAY_MS, eventMs / 2));
        bDown = true;
        for (const [stream, response] of served) {
          if (stream.instance !== 'b' || stream.latestAtClose !== undefined) continue;
          stream.cut = true;
          // A process that dies says nothing: the connection just breaks.
          response.destroy();
        }
      });

      return {
        urls: Object.fromEntries(
          INSTANCES.map((name) => [name, origin + apiRoutes.exerciseRunInstanceStream.path({ id, instance: name })]),
        ),
        get requests() {
          return budget.used;
        },
        checks: (final) => judgeFailover(streams, script.latestId, final),
        async serve(context: RouteContext) {
          budget.takeOrThrow();
          const instance = context.params.instance as FailoverInstance;
          if (!INSTANCES.includes(instance)) throw unknownInstance(context.params.instance);
          if (instance === 'b' && bDown) throw instanceDown();
          const { request, response, url } = context;
          const stream: ObservedInstanceStream = {
            instance,
            at: Date.now(),
            lastEventId: readLastEventId(request, { lastEventId: url.searchParams.get(LAST_EVENT_ID_PARAM) ?? undefined }),
            latestAtOpen: script.latestId,
            latestAtClose: undefined,
            cut: false,
          };
          streams.push(stream);
          served.set(stream, response);
          response.once('close', () => {
            stream.latestAtClose = script.latestId;
            served.delete(stream);
          });
          script.start();
          await sse({ ...context, params: { channel } });
        },
        close() {
          script.stop();
          for (const response of served.values()) response.destroy();
        },
      };
    },
  };
}

function unknownInstance(name: string | undefined): HttpProblem {
  return new HttpProblem({ status: 404, detail: `This run has instances a and b, not ${JSON.stringify(name?.slice(0, 20))}.` });
}

/** What a balancer answers for an instance that is gone (RFC 9110 §15.6.3). */
function instanceDown(): HttpProblem {
  return new HttpProblem({
    status: 502,
    type: PROBLEM_TYPES.instanceDown,
    detail: 'Instance b is down and will not come back in this run: read the feed from instance a (run.urls.a).',
  });
}
