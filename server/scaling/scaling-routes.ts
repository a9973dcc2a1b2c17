import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { SCALING_LIMITS, isInstanceAction, isInstanceName, type InstanceName } from '../../src/protocol/scaling.ts';
import { startScalingDemoRequest } from '../../src/protocol/request-bodies.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import { readLearnerCookie } from '../progress/learner-cookie.ts';
import { HttpProblem } from '../http/problem.ts';
import { readBody } from '../http/parse-body.ts';
import type { Router } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { assertValidChannel } from '../http/validate.ts';
import type { Logger } from '../logger.ts';
import { DemoRedis } from './demo-redis.ts';
import { ScalingDemos, type ScalingDemosLimits } from './scaling-demos.ts';

/** Overrides of lesson 8's demo, for tests. */
export interface ScalingSettings {
  limits?: Partial<ScalingDemosLimits>;
  /** The command that starts a private Redis; `null` acts as if none were installed. Default `redis-server`. */
  redisServer?: string | null;
  /** How often idle demos are looked for; default 5 s. */
  sweepMs?: number;
}

/** What lesson 8's demo needs from the app. */
export interface ScalingOptions {
  /** The workbook's own Redis, which the demos then use (each under a prefix of its own). */
  redisUrl: string | undefined;
  redisPrefix: string;
  logger: Logger;
  /** Aborted when the server starts draining: every demo stops, so no child process holds the shutdown up. */
  draining: AbortSignal;
  /** Starting, stopping, killing, pausing and restarting the pair need the channel's owner (docs/security.md). */
  access: ChannelGuard;
  settings?: ScalingSettings;
  /** Told when a learner passes lesson 8's exercise in a demo they started (the `rtw_learner` cookie). */
  onExercisePassed?: (learnerId: string) => void;
}

/** Lesson 8's two-instance demos, mounted on the app's router. */
export interface Scaling {
  /** Adds the routes under `/api/scaling`. */
  register(router: Router): void;
  /** Demos running (or starting) now. */
  running(): number;
  /** Process ids of every demo instance, and of the private Redis, alive now (tests check none outlives the app). */
  pids(): number[];
  /** Stops every demo (their child processes are gone when it resolves) and the private Redis. Idempotent. */
  close(): Promise<void>;
}

/**
 * Lesson 8, "Scaling out" (`docs/api.md`, "Scaling out"): for each reader's
 * channel, at most one pair of real instances of this server, started on
 * demand, stopped when idle, and reached only through this server.
 */
export function createScaling(options: ScalingOptions): Scaling {
  const { logger, draining, settings = {} } = options;
  const redis = new DemoRedis({ redisUrl: options.redisUrl, redisPrefix: options.redisPrefix, redisServer: settings.redisServer, logger });
  const demos = new ScalingDemos({
    redis,
    limits: { ...SCALING_LIMITS, ...settings.limits },
    logger,
    sweepMs: settings.sweepMs ?? 5_000,
  });
  draining.addEventListener('abort', () => void demos.close(), { once: true });
  return {
    register: (router) => registerScalingRoutes(router, demos, options),
    running: () => demos.size,
    pids: () => demos.pids(),
    close: () => demos.close(),
  };
}

/** The routes under `/api/scaling`: changing a demo needs the channel's owner, watching it does not. */
function registerScalingRoutes(router: Router, demos: ScalingDemos, { access, draining, onExercisePassed }: ScalingOptions): void {
  router
    .on(apiRoutes.scaling, 'GET', async ({ response }) => sendJson(response, 200, await demos.availability()))
    .on(apiRoutes.scalingDemo, 'POST', async ({ request, response, params }) => {
      const channel = params.channel;
      assertValidChannel(channel, 'path');
      // A start replaces the channel's running pair: its reader's alone.
      access.requireOwner(channel, request, 'start or restart the instances of');
      const { backplane } = await readBody(request, startScalingDemoRequest);
      if (draining.aborted) {
        throw new HttpProblem({
          status: 503,
          type: PROBLEM_TYPES.draining,
          detail: 'The server is shutting down and starts no demo; try again once it is back.',
          headers: { 'Retry-After': '5' },
        });
      }
      const learner = readLearnerCookie(request);
      const passed = learner.kind === 'valid' ? () => onExercisePassed?.(learner.id) : undefined;
      const demo = await demos.start(channel, backplane, passed);
      sendJson(response, 201, await demo.state());
    })
    .on(apiRoutes.scalingDemo, 'GET', async ({ response, params }) => {
      const demo = demos.demoOf(params.channel);
      demo.touch(false);
      sendJson(response, 200, await demo.state());
    })
    .on(apiRoutes.scalingDemo, 'DELETE', async ({ request, response, params }) => {
      access.requireOwner(params.channel, request, 'stop the instances of');
      await demos.stopChannel(params.channel);
      response.writeHead(204).end();
    })
    .on(apiRoutes.scalingAction, 'POST', async ({ request, response, params }) => {
      access.requireOwner(params.channel, request, 'kill, pause or restart the instances of');
      const demo = demos.demoOf(params.channel);
      const instance = instanceOf(params.instance);
      if (!isInstanceAction(params.action)) {
        throw new HttpProblem({
          status: 404,
          detail: `An instance can be killed, restarted, paused or resumed, not ${JSON.stringify(params.action)}.`,
        });
      }
      await demo.act(instance, params.action);
      sendJson(response, 200, await demo.state());
    })
    .on(apiRoutes.scalingPublish, 'POST', async ({ request, response, params }) => {
      assertValidChannel(params.feed, 'path');
      await demos
        .demoOf(params.channel)
        .forwardPublish(request, response, instanceOf(params.instance), apiRoutes.channelEvents.path({ channel: params.feed }));
    })
    .on(apiRoutes.scalingStream, 'GET', async ({ request, response, url, params }) => {
      assertValidChannel(params.feed, 'path');
      const path = `${apiRoutes.sse.path({ channel: params.feed })}${url.search}`;
      await demos.demoOf(params.channel).forwardStream(request, response, url, instanceOf(params.instance), false, path);
    })
    .on(apiRoutes.scalingStickyStream, 'GET', async ({ request, response, url, params }) => {
      assertValidChannel(params.feed, 'path');
      const path = `${apiRoutes.sse.path({ channel: params.feed })}${url.search}`;
      await demos.demoOf(params.channel).forwardStream(request, response, url, instanceOf(params.instance), true, path);
    });
}

function instanceOf(value: string): InstanceName {
  if (isInstanceName(value)) return value;
  throw new HttpProblem({ status: 404, detail: `There is no instance ${JSON.stringify(value)}: the demo's instances are a and b.` });
}
