import { FAULT_LIMITS, type FaultRequest } from '../../src/protocol/faults.ts';
import { assertValidChannel } from '../http/validate.ts';
import type { Logger } from '../logger.ts';
import { callRedis } from '../redis/call-redis.ts';
import { InstanceOrders } from '../redis/instance-orders.ts';
import { luaScript, type RedisConnection } from '../redis/redis-connection.ts';
import type { ChannelFaults, LocalChannelFaults } from './channel-faults.ts';
import { faultRequest } from '../../src/protocol/request-bodies.ts';
import { parseBody } from '../http/parse-body.ts';

/**
 * Uses up one of a counted fault: true while one is left. GET and DECR in one
 * script, so two instances asked at the same instant never both take the last.
 * DECR keeps the key's TTL. KEYS: counter.
 */
const TAKE_ONE = luaScript(`
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left <= 0 then return 0 end
if left == 1 then redis.call('DEL', KEYS[1]) else redis.call('DECR', KEYS[1]) end
return 1
`);

/** The faults kept as a count in Redis: `drop-next-response` is a count of one. */
type CountedFault = 'drop' | 'errors';

/** A fault sent to every instance on the control channel. */
interface FaultOrder {
  channel: string;
  fault: FaultRequest;
}

/** What one instance touched for an order, on the reply channel. */
interface FaultReport {
  affected: number;
}

/** Options of {@link RedisChannelFaults}. */
export interface RedisChannelFaultsOptions {
  redis: RedisConnection;
  /** This instance's faults and streams: what an order acts on here. */
  local: LocalChannelFaults;
  logger: Logger;
  /** A counted fault nothing used is forgotten after this long; default `FAULT_LIMITS.armedTtlMs`. */
  armedTtlMs?: number;
  /** How long an injection waits for every instance to report what it touched; default 1 000 ms. */
  reportTimeoutMs?: number;
}

/**
 * The {@link ChannelFaults} of every instance sharing a Redis (lesson 8),
 * so a fault armed through one instance acts on the channel's connections
 * wherever a load balancer sent them.
 *
 * - **Counted faults** (`drop-next-response`, `server-errors {count}`) are
 *   counters in Redis (`<prefix>{<channel>}:fault:drop`, `…:fault:errors`)
 *   with the armed TTL, taken atomically ({@link TAKE_ONE}): exactly one
 *   answer is dropped, and `count` polls fail in all, across instances.
 * - **Everything else** (`kill-streams`, `restart-streams`, `slow`,
 *   `heartbeats`, `retry`) is an order ({@link InstanceOrders}) on the
 *   Pub/Sub channel `<prefix>faults`. Every instance, this one included, applies it to its
 *   own {@link LocalChannelFaults} (its streams, its settings) and reports
 *   how many streams it touched on `<prefix>faults:affected`. `PUBLISH`
 *   answers how many instances received the order, so the injection waits
 *   for exactly that many reports (at most `reportTimeoutMs`) and answers
 *   their sum.
 *
 * Pub/Sub is at-most-once: an instance whose subscription is down when a
 * `slow`, `heartbeats` or `retry` fault is armed never learns of it (the
 * fault expires within minutes anyway); it has no stream to act on then
 * either, since its streams end with the connection's health.
 */
export class RedisChannelFaults implements ChannelFaults {
  readonly #redis: RedisConnection;
  readonly #local: LocalChannelFaults;
  readonly #armedTtlMs: number;
  readonly #orders: InstanceOrders<FaultOrder, FaultReport>;

  constructor(options: RedisChannelFaultsOptions) {
    this.#redis = options.redis;
    this.#local = options.local;
    this.#armedTtlMs = options.armedTtlMs ?? FAULT_LIMITS.armedTtlMs;
    this.#orders = new InstanceOrders<FaultOrder, FaultReport>({
      redis: options.redis,
      logger: options.logger,
      orders: 'faults',
      reports: 'faults:affected',
      what: 'fault',
      reportTimeoutMs: options.reportTimeoutMs,
      parse: (order) => {
        assertValidChannel(order.channel, 'body');
        return { channel: order.channel, fault: parseBody(faultRequest, order.fault) };
      },
      // Act on this instance's streams and settings.
      obey: ({ channel, fault }) => ({ affected: this.#local.inject(channel, fault) }),
    });
  }

  async inject(channel: string, fault: FaultRequest): Promise<number> {
    switch (fault.type) {
      case 'drop-next-response':
        await this.#arm(channel, 'drop', 1);
        return 0;
      case 'server-errors':
        await this.#arm(channel, 'errors', fault.count);
        return 0;
      default:
        return this.#order({ channel, fault });
    }
  }

  takeDropNextResponse(channel: string): Promise<boolean> {
    return this.#take(channel, 'drop');
  }

  takeServerError(channel: string): Promise<boolean> {
    return this.#take(channel, 'errors');
  }

  slowDelayMs(channel: string): number {
    return this.#local.slowDelayMs(channel);
  }

  heartbeatsEnabled(channel: string): boolean {
    return this.#local.heartbeatsEnabled(channel);
  }

  retryMs(channel: string): number | undefined {
    return this.#local.retryMs(channel);
  }

  /** Sets a counted fault; arming again replaces the count, as in memory. */
  async #arm(channel: string, fault: CountedFault, count: number): Promise<void> {
    const key = this.#key(channel, fault);
    await callRedis(this.#redis, () => this.#redis.commands.sendCommand(['SET', key, String(count), 'PX', String(this.#armedTtlMs)]));
  }

  async #take(channel: string, fault: CountedFault): Promise<boolean> {
    const taken = await callRedis(this.#redis, () => this.#redis.runScript(TAKE_ONE, [this.#key(channel, fault)], []));
    return taken === 1;
  }

  /** Sends `order` to every instance and answers the sum of the streams they touched. */
  async #order(order: FaultOrder): Promise<number> {
    const reports = await this.#orders.send(order);
    return reports.reduce((sum, report) => sum + (Number(report.affected) || 0), 0);
  }

  #key(channel: string, fault: CountedFault): string {
    // The channel's hash tag, as for its event log: one slot per channel on a Redis Cluster.
    return `${this.#redis.prefix}{${channel}}:fault:${fault}`;
  }
}
