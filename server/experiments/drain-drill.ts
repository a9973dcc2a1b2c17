import { DRAIN_LIMITS, type StartDrainResponse } from '../../src/protocol/production.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import type { EventBus } from '../events/event-bus.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import { startDrainRequest } from '../../src/protocol/request-bodies.ts';
import { readBody } from '../http/parse-body.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import type { Logger } from '../logger.ts';
import type { ChannelDrainer } from './channel-drain.ts';
import { DrainDrill, GATHER_TIMEOUT_MS, type DrainDrillContext } from './drain-drill-run.ts';
import { ExperimentRuns, type ExperimentControls } from './experiment-runs.ts';
import type { ExperimentSlots } from './experiment-slots.ts';
import { loopbackTarget } from './loopback-target.ts';

export interface DrainDrillsOptions {
  bus: EventBus;
  logger: Logger;
  slots: ExperimentSlots;
  /** Only the channel's owner may run an experiment on it (it stops and floods the reader's demo). */
  access: ChannelGuard;
  /** Drains the channel: this instance's clients of it, or every instance's. */
  drainer: ChannelDrainer;
  limits?: Partial<Record<'binMs' | 'maxRecordMs', number>>;
}

export interface DrainDrills extends ExperimentControls {
  /** `POST /api/production/drains`. */
  start: RouteHandler;
}

/**
 * A graceful restart of one channel, with an audience: `fleet` simulated
 * EventSource clients connect to the channel's SSE stream; then the channel
 * is drained (`drainChannel()`: every client of the channel, the reader's
 * own tabs included, is told when to come back — on every instance, with
 * Redis); then the server counts, per 100 ms, the fleet's streams as they
 * come back.
 */
export function createDrainDrills(options: DrainDrillsOptions): DrainDrills {
  const { bus, slots } = options;
  const context: DrainDrillContext = {
    bus,
    logger: options.logger,
    drainer: options.drainer,
    limits: { ...DRAIN_LIMITS, ...options.limits },
  };
  const drills = new ExperimentRuns<DrainDrill>();

  const start: RouteHandler = async ({ request, response }) => {
    const { channel, ...settings } = await readBody(request, startDrainRequest);
    options.access.requireOwner(channel, request, 'drain');
    // With Redis down, neither the drain order nor the drill's events could go out: say so now.
    const unavailable = bus.unavailableReason();
    if (unavailable !== undefined) throw new BackplaneUnavailableError(unavailable);
    let drill: DrainDrill | undefined;
    const releaseSlot = slots.acquire(channel, GATHER_TIMEOUT_MS + context.limits.maxRecordMs, (reason) => drill?.finish(reason));
    drill = new DrainDrill(context, { ...drills.reserve(releaseSlot), channel, target: loopbackTarget(request) }, settings);
    drills.add(drill);
    const answer: StartDrainResponse = { id: drill.id, channel, ...settings, binMs: context.limits.binMs };
    sendJson(response, 202, answer);
  };

  return { start, ...drills.controls() };
}
