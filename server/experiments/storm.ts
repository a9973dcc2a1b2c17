import type { IncomingMessage } from 'node:http';
import { STORM_LIMITS, type StartStormResponse, type StormDone } from '../../src/protocol/production.ts';
import { readLearnerCookie } from '../progress/learner-cookie.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import type { EventBus } from '../events/event-bus.ts';
import { startStormRequest } from '../../src/protocol/request-bodies.ts';
import { readBody } from '../http/parse-body.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import type { Logger } from '../logger.ts';
import { ExperimentRuns, type ExperimentControls } from './experiment-runs.ts';
import type { ExperimentSlots } from './experiment-slots.ts';
import { loopbackTarget } from './loopback-target.ts';
import { StormRun, refuseGone, type StormContext } from './storm-run.ts';

/** What the storms need from the app. */
export interface StormsOptions {
  bus: EventBus;
  logger: Logger;
  slots: ExperimentSlots;
  /** Only the channel's owner may run an experiment on it (it stops and floods the reader's demo). */
  access: ChannelGuard;
  /** [0, 1) like Math.random, for the fleet's jitter; tests pass a seeded one. */
  random?: () => number;
  /** Told each storm's result with the learner who started it (the `rtw_learner` cookie). */
  onStormDone?: (learnerId: string, done: StormDone) => void;
  /** Overrides of the timings, for tests. */
  limits?: Partial<Record<'outageMs' | 'binMs' | 'maxRecordMs' | 'connectTimeoutMs', number>>;
}

/** The storm routes and what they hold; `close` ends every storm (its fleet stops; `storm-done` says why). */
export interface Storms extends ExperimentControls {
  /** `POST /api/production/storms`. */
  start: RouteHandler;
  /** `GET /api/production/storms/{id}/connect`: the endpoint the fleet connects, and reconnects, to. */
  connect: RouteHandler;
}

/**
 * The reconnect storm: a fleet of N real HTTP clients inside this process
 * holds connections to this server; then the server "restarts" — it ends
 * every held connection and refuses every attempt for `outageMs`, as a
 * process that is starting up would (a load balancer answers 503 meanwhile).
 * The server counts each reconnect attempt it receives per 100 ms, and
 * publishes the curve on the reader's channel as it goes.
 */
export function createStorms(options: StormsOptions): Storms {
  const { slots } = options;
  const limits = { ...STORM_LIMITS, ...options.limits };
  const context: StormContext = { bus: options.bus, logger: options.logger, limits, random: options.random };
  const runs = new ExperimentRuns<StormRun>();

  /** Tells `onStormDone` the result of a storm `request` started, with its learner. */
  const tellDone = (request: IncomingMessage) => {
    const learner = readLearnerCookie(request);
    return (done: StormDone) => {
      if (learner.kind === 'valid') options.onStormDone?.(learner.id, done);
    };
  };

  // #region start-storm
  const start: RouteHandler = async ({ request, response }) => {
    const { channel, clients, strategy } = await readBody(request, startStormRequest);
    options.access.requireOwner(channel, request, 'run a reconnect storm on');
    let run: StormRun | undefined;
    const releaseSlot = slots.acquire(channel, limits.connectTimeoutMs + limits.maxRecordMs, (reason) => run?.finish(reason));
    run = new StormRun(
      context,
      { ...runs.reserve(releaseSlot), channel, target: loopbackTarget(request) },
      strategy,
      clients,
      tellDone(request),
    );
    runs.add(run);
    const answer: StartStormResponse = {
      id: run.id,
      channel,
      strategy,
      clients,
      binMs: limits.binMs,
      outageMs: limits.outageMs,
    };
    sendJson(response, 202, answer);
  };
  // #endregion start-storm

  const connect: RouteHandler = ({ response, params }) => {
    const run = runs.get(params.id ?? '');
    if (!run) return refuseGone(response);
    response.setHeader('Cache-Control', 'no-store');
    run.answer(response);
  };

  return { start, connect, ...runs.controls() };
}
