import type { FaultRequest } from '../../src/protocol/faults.ts';
import type { SseStreamRegistry } from '../techniques/sse-streams.ts';
import { FaultRegistry, type FaultRegistryOptions } from './fault-registry.ts';

/**
 * The faults readers inject, as the techniques see them: armed by
 * `POST /api/channels/{channel}/faults`, read by long polling and SSE. In one
 * process ({@link LocalChannelFaults}) or on every instance sharing a Redis
 * (`redis-channel-faults.ts`).
 *
 * Taking a counted fault may ask Redis, so it may be a promise; the settings
 * read on every answer or heartbeat (`slow`, `heartbeats`, `retry`) are
 * always answered from this instance's memory.
 */
export interface ChannelFaults {
  /**
   * Arms `fault` on `channel` and acts on the channel's open streams.
   * @returns how many streams it touched at once.
   */
  inject(channel: string, fault: FaultRequest): number | Promise<number>;
  /** Long polling: true (once, wherever it is asked) when the next answer carrying events must be lost. */
  takeDropNextResponse(channel: string): boolean | Promise<boolean>;
  /** Long polling: true when this request must fail with a 503 (uses up one of `count`). */
  takeServerError(channel: string): boolean | Promise<boolean>;
  /** Long polling: how long to delay an answer now, 0 when the channel is not slow. */
  slowDelayMs(channel: string): number;
  /** SSE: whether streams of the channel send heartbeat comments now. */
  heartbeatsEnabled(channel: string): boolean;
  /** SSE: the `retry:` a new stream of the channel gets, or `undefined` for the default. */
  retryMs(channel: string): number | undefined;
}

/**
 * The {@link ChannelFaults} of one process: a {@link FaultRegistry} that
 * also acts on this process's open streams when a fault is injected.
 */
export class LocalChannelFaults extends FaultRegistry implements ChannelFaults {
  readonly #streams: SseStreamRegistry;

  constructor(streams: SseStreamRegistry, options?: FaultRegistryOptions) {
    super(options);
    this.#streams = streams;
  }

  inject(channel: string, fault: FaultRequest): number {
    this.arm(channel, fault);
    const open = this.#streams.on(channel);
    switch (fault.type) {
      case 'kill-streams':
        open.forEach((stream) => stream.kill());
        return open.length;
      case 'restart-streams':
        open.forEach((stream) => stream.end());
        return open.length;
      case 'retry':
        // A `retry:` field alone changes the reconnection delay and dispatches nothing (WHATWG HTML §9.2.6).
        open.forEach((stream) => stream.write(`retry: ${fault.retryMs}\n\n`));
        return open.length;
      case 'heartbeats':
        // Each heartbeat asks the registry, so the open streams follow at their next tick.
        return open.length;
      default:
        // Long-polling faults act on later requests.
        return 0;
    }
  }
}
