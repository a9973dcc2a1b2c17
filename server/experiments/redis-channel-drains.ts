import type { ChannelDrainResult } from '../../src/protocol/production.ts';
import type { Logger } from '../logger.ts';
import { InstanceOrders } from '../redis/instance-orders.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import { startDrainRequest } from '../../src/protocol/request-bodies.ts';
import { parseBody } from '../http/parse-body.ts';
import { drainChannel, retryAfterSeconds, type ChannelDrainer, type DrainSettings, type DrainTargets } from './channel-drain.ts';

/** A drain sent to every instance. */
interface DrainOrder extends DrainSettings {
  channel: string;
}

/** What one instance drained. */
type DrainReport = Pick<ChannelDrainResult, 'sse' | 'webSockets' | 'longPolls'>;

export interface RedisChannelDrainsOptions {
  redis: RedisConnection;
  logger: Logger;
  /** This instance's connections: what an order drains here. */
  targets: DrainTargets;
  /** [0, 1) like Math.random, for the spread of the SSE streams' `retry:`. */
  random?: () => number;
  /** How long a drain waits for every instance to report; default 1 000 ms. */
  reportTimeoutMs?: number;
}

/**
 * The {@link ChannelDrainer} of every instance sharing a Redis. Behind a
 * balancer with no sticky sessions, a reader's EventSource, WebSocket and
 * long polls on one channel may each sit on a different instance, and the
 * drain must reach them all: it is an order ({@link InstanceOrders}) on the
 * Pub/Sub channel `<prefix>drains`. Every instance, this one included,
 * drains its own clients of the channel and reports what it drained on
 * `<prefix>drains:drained`; the answer is their sum.
 */
export class RedisChannelDrains implements ChannelDrainer {
  readonly #orders: InstanceOrders<DrainOrder, DrainReport>;

  constructor(options: RedisChannelDrainsOptions) {
    const { targets, random } = options;
    this.#orders = new InstanceOrders<DrainOrder, DrainReport>({
      redis: options.redis,
      logger: options.logger,
      orders: 'drains',
      reports: 'drains:drained',
      what: 'channel drain',
      reportTimeoutMs: options.reportTimeoutMs,
      parse: (order) => {
        const { channel, retryMs, spreadMs } = parseBody(startDrainRequest, order);
        return { channel, retryMs, spreadMs };
      },
      obey: ({ channel, ...settings }) => {
        const { sse, webSockets, longPolls } = drainChannel(channel, targets, { ...settings, random });
        return { sse, webSockets, longPolls };
      },
    });
  }

  async drain(channel: string, settings: DrainSettings): Promise<ChannelDrainResult> {
    const reports = await this.#orders.send({ channel, ...settings });
    const sum = (field: keyof DrainReport) => reports.reduce((total, report) => total + (Number(report[field]) || 0), 0);
    return {
      sse: sum('sse'),
      webSockets: sum('webSockets'),
      longPolls: sum('longPolls'),
      retryMs: settings.retryMs,
      spreadMs: settings.spreadMs,
      retryAfterSeconds: retryAfterSeconds(settings.retryMs),
    };
  }
}
