import { SLOW_CONSUMER_LIMITS, type SlowConsumerTransport, type StartSlowConsumerResponse } from '../../src/protocol/production.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { SSE_LIMITS } from '../../src/protocol/sse.ts';
import { WS_LIMITS } from '../../src/protocol/websocket.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import type { EventBus } from '../events/event-bus.ts';
import { HttpProblem } from '../http/problem.ts';
import { startSlowConsumerRequest } from '../../src/protocol/request-bodies.ts';
import { readBody } from '../http/parse-body.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import type { Logger } from '../logger.ts';
import type { SseStreamRegistry } from '../techniques/sse-streams.ts';
import type { WebSocketEndpoint } from '../techniques/websocket.ts';
import { ExperimentRuns, type ExperimentControls } from './experiment-runs.ts';
import type { ExperimentSlots } from './experiment-slots.ts';
import { loopbackTarget } from './loopback-target.ts';
import { SlowConsumerRun, firehoseChannel, type SlowConsumerContext } from './slow-consumer-run.ts';

export interface SlowConsumersOptions {
  bus: EventBus;
  logger: Logger;
  slots: ExperimentSlots;
  /** Only the channel's owner may run an experiment on it (it stops and floods the reader's demo). */
  access: ChannelGuard;
  sseStreams: Pick<SseStreamRegistry, 'on'>;
  webSocket: Pick<WebSocketEndpoint, 'bufferedAmounts'>;
  /** The caps the techniques enforce, to report them (the SSE one can be overridden in tests). */
  capBytes?: Partial<Record<SlowConsumerTransport, number>>;
  limits?: Partial<Record<'sampleMs' | 'maxRunMs' | 'publishPerSecond' | 'eventBytes', number>>;
}

export interface SlowConsumers extends ExperimentControls {
  /** `POST /api/production/slow-consumers`. */
  start: RouteHandler;
}

/**
 * A slow consumer against a fast publisher, both real and both inside the
 * server: the publisher puts ~650 kB/s of events on a channel; the consumer
 * follows it over SSE or a WebSocket but reads only `readBytesPerSecond`.
 * The server's own buffer for that consumer is sampled every 100 ms, until
 * the technique's backpressure limit cuts it (the SSE stream is destroyed;
 * the WebSocket is closed with 1013). Then the consumer reads what was
 * already on its way, reconnects with its cursor, and reports what the
 * server's log could still give it.
 */
export function createSlowConsumers(options: SlowConsumersOptions): SlowConsumers {
  const { bus, slots } = options;
  const limits = { ...SLOW_CONSUMER_LIMITS, ...options.limits };
  const context: SlowConsumerContext = {
    bus,
    logger: options.logger,
    sseStreams: options.sseStreams,
    webSocket: options.webSocket,
    limits,
  };
  const caps: Record<SlowConsumerTransport, number> = {
    sse: SSE_LIMITS.maxBufferedBytes,
    websocket: WS_LIMITS.maxBufferedBytes,
    ...options.capBytes,
  };
  const runs = new ExperimentRuns<SlowConsumerRun>();

  const start: RouteHandler = async ({ request, response }) => {
    const { channel, transport, readBytesPerSecond } = await readBody(request, startSlowConsumerRequest);
    options.access.requireOwner(channel, request, 'run a slow consumer on');
    let run: SlowConsumerRun | undefined;
    let takenOver: string | undefined;
    const releaseSlot = slots.acquire(channel, limits.maxRunMs, (reason) => {
      takenOver = reason;
      run?.finish(reason);
    });
    let cursor: number;
    try {
      cursor = await bus.latestId(firehoseChannel(channel));
    } catch (error) {
      releaseSlot();
      throw error;
    }
    // Another start on this channel took the slot while we waited: it is the run the reader wants now.
    if (takenOver !== undefined)
      throw new HttpProblem({ status: 409, type: PROBLEM_TYPES.experimentRunning, detail: `This start was replaced: ${takenOver}.` });
    run = new SlowConsumerRun(
      context,
      { ...runs.reserve(releaseSlot), channel, target: loopbackTarget(request) },
      transport,
      readBytesPerSecond,
      cursor,
    );
    runs.add(run);
    const answer: StartSlowConsumerResponse = {
      id: run.id,
      channel,
      firehose: firehoseChannel(channel),
      transport,
      readBytesPerSecond,
      capBytes: caps[transport],
    };
    sendJson(response, 202, answer);
  };

  return { start, ...runs.controls() };
}
