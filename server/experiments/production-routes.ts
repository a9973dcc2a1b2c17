import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { EXPERIMENT_LIMITS, type SlowConsumerTransport, type StormDone } from '../../src/protocol/production.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import type { EventBus } from '../events/event-bus.ts';
import { sendProblem } from '../http/problem.ts';
import type { RouteHandler, Router } from '../http/router.ts';
import type { Logger } from '../logger.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import type { LongPolling } from '../techniques/long-polling.ts';
import type { SseStreamRegistry } from '../techniques/sse-streams.ts';
import type { WebSocketEndpoint } from '../techniques/websocket.ts';
import { localChannelDrainer, type ChannelDrainer } from './channel-drain.ts';
import { createDrainDrills, type DrainDrillsOptions } from './drain-drill.ts';
import { ExperimentSlots } from './experiment-slots.ts';
import { createIdleHop, type IdleHop } from './idle-hop.ts';
import { RedisChannelDrains } from './redis-channel-drains.ts';
import { createSlowConsumers, type SlowConsumersOptions } from './slow-consumer.ts';
import { createStorms, type StormsOptions } from './storm.ts';

/** Timings of the experiments, shrunk by tests. */
export interface ProductionSettings {
  storm?: StormsOptions['limits'];
  slowConsumer?: SlowConsumersOptions['limits'];
  drain?: DrainDrillsOptions['limits'];
  /** Experiments at once over all channels (default `EXPERIMENT_LIMITS.maxRunning`). */
  maxRunning?: number;
  /** [0, 1) like Math.random, for every jitter; tests pass a seeded one. */
  random?: () => number;
}

/** What lesson 7's experiments need from the app. */
export interface ProductionOptions {
  bus: EventBus;
  logger: Logger;
  sseStreams: SseStreamRegistry;
  webSocket: Pick<WebSocketEndpoint, 'closeChannel' | 'bufferedAmounts'>;
  longPolling: Pick<LongPolling, 'drainChannel'>;
  /**
   * With `REDIS_URL`: a drain reaches the channel's clients on every instance.
   * The other experiments measure this instance alone (the balancer keeps a reader's on one).
   */
  redis?: RedisConnection;
  /** Aborted when the server starts draining: every experiment stops, so none holds the shutdown up. */
  draining: AbortSignal;
  /** Who may run an experiment on which channel (its owner only). */
  access: ChannelGuard;
  /** The SSE backpressure cap in force, when a test overrides it. */
  sseCapBytes?: Partial<Record<SlowConsumerTransport, number>>;
  settings?: ProductionSettings;
  /** Told each storm's result with the learner who started it. */
  onStormDone?: (learnerId: string, done: StormDone) => void;
}

/** Lesson 7's experiments, mounted on the app's router. */
export interface Production {
  /** Adds the routes under `/api/production/`. */
  register(router: Router): void;
  readonly idleHop: IdleHop;
  /** Storms, slow consumers and drains running now. */
  running(): number;
  /** Stops every experiment and cuts every hop. Idempotent. */
  close(): void;
}

/**
 * Lesson 7, "In production": experiments that run real clients against this
 * very server (`docs/api.md`, "Production experiments").
 */
export function createProduction(options: ProductionOptions): Production {
  const { bus, logger, sseStreams, webSocket, longPolling, draining, access, settings = {}, onStormDone } = options;
  const slots = new ExperimentSlots(settings.maxRunning ?? EXPERIMENT_LIMITS.maxRunning);
  const storms = createStorms({ bus, logger, slots, access, random: settings.random, limits: settings.storm, onStormDone });
  const idleHop = createIdleHop();
  const slowConsumers = createSlowConsumers({
    bus,
    logger,
    slots,
    access,
    sseStreams,
    webSocket,
    capBytes: options.sseCapBytes,
    limits: settings.slowConsumer,
  });
  const targets = { sseStreams, webSocket, longPolling };
  const drainer: ChannelDrainer = options.redis
    ? new RedisChannelDrains({ redis: options.redis, logger, targets, random: settings.random })
    : localChannelDrainer(targets, settings.random);
  const drains = createDrainDrills({ bus, logger, slots, access, drainer, limits: settings.drain });

  const close = (reason: string) => {
    storms.close(reason);
    slowConsumers.close(reason);
    drains.close(reason);
    idleHop.close();
  };
  draining.addEventListener('abort', () => close('the server began shutting down'), { once: true });

  /** A page that is reloaded or closed gives back what it held (`pagehide`, with a keepalive fetch). */
  const stopExperiment: RouteHandler = ({ response, params }) => {
    const id = params.id ?? '';
    const reason = 'the reader left the page';
    if (storms.stop(id, reason) || slowConsumers.stop(id, reason) || drains.stop(id, reason)) {
      response.writeHead(204, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    sendProblem(response, {
      status: 404,
      type: PROBLEM_TYPES.unknownExperiment,
      detail: 'No experiment is running with this id on this instance: it ended, or never existed.',
    });
  };

  return {
    register(router) {
      router
        .on(apiRoutes.storms, 'POST', storms.start)
        .on(apiRoutes.stormConnect, 'GET', storms.connect)
        .on(apiRoutes.idleHop, 'GET', idleHop.route)
        .on(apiRoutes.slowConsumers, 'POST', slowConsumers.start)
        .on(apiRoutes.drains, 'POST', drains.start)
        .on(apiRoutes.experiment, 'DELETE', stopExperiment);
    },
    idleHop,
    running: () => storms.running() + slowConsumers.running() + drains.running(),
    close: () => close('the server is closing'),
  };
}
