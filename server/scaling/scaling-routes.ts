import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import {
  SCALING_LIMITS,
  isInstanceAction,
  isInstanceName,
  type InstanceName,
  type ScalingAvailability,
} from '../../src/protocol/scaling.ts';
import { startScalingDemoRequest } from '../../src/protocol/request-bodies.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import { HttpProblem } from '../http/problem.ts';
import { readBody } from '../http/parse-body.ts';
import type { RouteContext, Router } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import { assertValidChannel } from '../http/validate.ts';
import type { Logger } from '../logger.ts';
import { DemoRedis } from './demo-redis.ts';
import { ScalingDemo, type ScalingDemoLimits } from './scaling-demo.ts';

/** Overrides of lesson 8's demo, for tests. */
export interface ScalingSettings {
  limits?: Partial<ScalingDemoLimits & { maxDemos: number; startsPerMinute: number }>;
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
  const { logger, draining, access, settings = {} } = options;
  const limits = { ...SCALING_LIMITS, ...settings.limits };
  const redis = new DemoRedis({ redisUrl: options.redisUrl, redisPrefix: options.redisPrefix, redisServer: settings.redisServer, logger });
  const demos = new Map<string, ScalingDemo>();
  /** channel → times of its recent starts, for `startsPerMinute`. */
  const starts = new Map<string, number[]>();
  let closing: Promise<void> | undefined;

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const demo of demos.values()) {
      if (now < demo.stopsAt) continue;
      logger.info(`Stopping the scaling demo of ${demo.channel}: nothing happened for a while.`);
      void stopDemo(demo);
    }
  }, settings.sweepMs ?? 5_000);
  sweeper.unref();
  draining.addEventListener('abort', () => void close(), { once: true });

  async function stopDemo(demo: ScalingDemo): Promise<void> {
    if (demos.get(demo.channel) === demo) demos.delete(demo.channel);
    await demo.stop();
  }

  function demoOf(channel: string): ScalingDemo {
    const demo = demos.get(channel);
    if (demo) return demo;
    throw new HttpProblem({
      status: 404,
      type: PROBLEM_TYPES.unknownScalingDemo,
      detail: `No two-instance demo runs for channel ${channel}: start one (POST ${apiRoutes.scalingDemo.path({ channel })}). A demo stops after ${minutes(limits.idleMs)} without a visit.`,
    });
  }

  function instanceOf(value: string): InstanceName {
    if (isInstanceName(value)) return value;
    throw new HttpProblem({ status: 404, detail: `There is no instance ${JSON.stringify(value)}: the demo's instances are a and b.` });
  }

  function countStart(channel: string): void {
    const now = Date.now();
    const recent = (starts.get(channel) ?? []).filter((at) => now - at < 60_000);
    if (recent.length >= limits.startsPerMinute) {
      const seconds = Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
      throw new HttpProblem({
        status: 429,
        type: PROBLEM_TYPES.scalingStartsTooOften,
        detail: `This demo was started ${recent.length} times in the last minute, its limit (each start runs two processes); try again in ${seconds} s.`,
        headers: { 'Retry-After': String(seconds) },
      });
    }
    recent.push(now);
    starts.set(channel, recent);
  }

  async function start({ request, response, params }: RouteContext): Promise<void> {
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
    countStart(channel);
    // One demo per channel: a new start replaces the old pair (its slot is free again).
    const previous = demos.get(channel);
    if (previous) await stopDemo(previous);
    if (demos.size >= limits.maxDemos) {
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.tooManyScalingDemos,
        detail: `${demos.size} two-instance demos are running for other readers, the server's limit; one stops within ${minutes(limits.idleMs)} of its reader leaving. Try again soon.`,
        headers: { 'Retry-After': '30' },
      });
    }
    const demo = new ScalingDemo({ channel, backplane: backplane ? await acquireBackplane() : undefined, redis, limits, logger });
    demos.set(channel, demo);
    try {
      await demo.start();
    } catch (error) {
      await stopDemo(demo);
      if (error instanceof HttpProblem) throw error;
      throw new HttpProblem({
        status: 503,
        detail: `The two instances could not be started: ${error instanceof Error ? error.message : String(error)}.`,
        headers: { 'Retry-After': '5' },
      });
    }
    sendJson(response, 201, await demo.state());
  }

  /** The demo's Redis; a Redis that exists but cannot be started or reached is a 503 that says so. */
  async function acquireBackplane() {
    try {
      return await redis.acquire();
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      logger.warn(`The demos' Redis could not be used: ${error instanceof Error ? error.message : String(error)}`);
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.backendUnavailable,
        detail: `The Redis for the demo could not be started or reached (${error instanceof Error ? error.message : String(error)}); the demo without the backplane still runs.`,
        headers: { 'Retry-After': '5' },
      });
    }
  }

  async function close(): Promise<void> {
    closing ??= (async () => {
      clearInterval(sweeper);
      const all = [...demos.values()];
      demos.clear();
      await Promise.all(all.map((demo) => demo.stop()));
      await redis.close();
    })();
    return closing;
  }

  return {
    register(router) {
      router
        .on(apiRoutes.scaling, 'GET', async ({ response }) => {
          const availability: ScalingAvailability = {
            backplane: await redis.availability(),
            demos: { running: demos.size, max: limits.maxDemos },
          };
          sendJson(response, 200, availability);
        })
        .on(apiRoutes.scalingDemo, 'POST', start)
        .on(apiRoutes.scalingDemo, 'GET', async ({ response, params }) => {
          const demo = demoOf(params.channel);
          demo.touch(false);
          sendJson(response, 200, await demo.state());
        })
        .on(apiRoutes.scalingDemo, 'DELETE', async ({ request, response, params }) => {
          access.requireOwner(params.channel, request, 'stop the instances of');
          const demo = demos.get(params.channel);
          if (demo) await stopDemo(demo);
          response.writeHead(204).end();
        })
        .on(apiRoutes.scalingAction, 'POST', async ({ request, response, params }) => {
          access.requireOwner(params.channel, request, 'kill, pause or restart the instances of');
          const demo = demoOf(params.channel);
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
          await demoOf(params.channel).forwardPublish(
            request,
            response,
            instanceOf(params.instance),
            apiRoutes.channelEvents.path({ channel: params.feed }),
          );
        })
        .on(apiRoutes.scalingStream, 'GET', async ({ request, response, url, params }) => {
          assertValidChannel(params.feed, 'path');
          const path = `${apiRoutes.sse.path({ channel: params.feed })}${url.search}`;
          await demoOf(params.channel).forwardStream(request, response, url, instanceOf(params.instance), false, path);
        })
        .on(apiRoutes.scalingStickyStream, 'GET', async ({ request, response, url, params }) => {
          assertValidChannel(params.feed, 'path');
          const path = `${apiRoutes.sse.path({ channel: params.feed })}${url.search}`;
          await demoOf(params.channel).forwardStream(request, response, url, instanceOf(params.instance), true, path);
        });
    },
    running: () => demos.size,
    pids: () => [...[...demos.values()].flatMap((demo) => demo.pids()), ...(redis.pid === null ? [] : [redis.pid])],
    close,
  };
}

/** `2 minutes`, `1 minute`, `30 s`. */
function minutes(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const count = Math.round(ms / 60_000);
  return `${count} minute${count === 1 ? '' : 's'}`;
}
