import { randomUUID } from 'node:crypto';
import { FAULT_LIMITS, type FaultRequest } from '../../src/protocol/faults.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import { assertValidChannel } from '../http/validate.ts';
import { type Logger } from '../logger.ts';
import { callRedis } from '../redis/call-redis.ts';
import { luaScript, type RedisConnection } from '../redis/redis-connection.ts';
import { type ChannelFaults, type LocalChannelFaults } from './channel-faults.ts';
import { parseFaultRequest } from './parse-fault-request.ts';

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
  id: string;
  channel: string;
  fault: FaultRequest;
}

/** What one instance touched for an order, on the reply channel. */
interface FaultReport {
  id: string;
  affected: number;
}

/** Reports gathered for one order still waiting. */
interface Tally {
  affected: number;
  reports: number;
  /** Instances that received the order (what PUBLISH answered); Infinity until known. */
  expected: number;
  /** Ends the wait. */
  done: () => void;
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
 *   `heartbeats`, `retry`) is an order on the Pub/Sub channel
 *   `<prefix>faults`. Every instance, this one included, applies it to its
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
  readonly #logger: Logger;
  readonly #armedTtlMs: number;
  readonly #reportTimeoutMs: number;
  readonly #orders: string;
  readonly #reports: string;
  readonly #tallies = new Map<string, Tally>();
  readonly #subscribed: Promise<void>;

  constructor(options: RedisChannelFaultsOptions) {
    this.#redis = options.redis;
    this.#local = options.local;
    this.#logger = options.logger;
    this.#armedTtlMs = options.armedTtlMs ?? FAULT_LIMITS.armedTtlMs;
    this.#reportTimeoutMs = options.reportTimeoutMs ?? 1_000;
    this.#orders = `${this.#redis.prefix}faults`;
    this.#reports = `${this.#redis.prefix}faults:affected`;
    const { subscriber } = this.#redis;
    // node-redis subscribes again by itself after a reconnection.
    this.#subscribed = Promise.all([
      subscriber.subscribe(this.#orders, (message) => this.#obey(message)),
      subscriber.subscribe(this.#reports, (message) => this.#count(message)),
    ]).then(
      () => {},
      (error: unknown) => this.#logger.error('Could not subscribe to the Redis fault channels:', error),
    );
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
        return this.#order({ id: randomUUID(), channel, fault });
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
    await callRedis(this.#redis, () =>
      this.#redis.commands.sendCommand(['SET', key, String(count), 'PX', String(this.#armedTtlMs)]),
    );
  }

  async #take(channel: string, fault: CountedFault): Promise<boolean> {
    const taken = await callRedis(this.#redis, () => this.#redis.runScript(TAKE_ONE, [this.#key(channel, fault)], []));
    return taken === 1;
  }

  /** Sends `order` to every instance and answers the sum of the streams they touched. */
  async #order(order: FaultOrder): Promise<number> {
    const unavailable = this.#redis.unavailableReason();
    if (unavailable !== undefined) throw new BackplaneUnavailableError(unavailable);
    await this.#subscribed;
    const tally: Tally = { affected: 0, reports: 0, expected: Infinity, done: () => {} };
    const finished = new Promise<void>((resolve) => (tally.done = resolve));
    // Registered before publishing: the first reports may come back before PUBLISH answers.
    this.#tallies.set(order.id, tally);
    // An instance that dies before reporting must not hold the answer up.
    const timer = setTimeout(() => tally.done(), this.#reportTimeoutMs);
    try {
      const receivers = await callRedis(this.#redis, () =>
        this.#redis.commands.sendCommand(['PUBLISH', this.#orders, JSON.stringify(order)]),
      );
      tally.expected = Number(receivers);
      if (tally.reports >= tally.expected) tally.done();
      await finished;
      return tally.affected;
    } finally {
      clearTimeout(timer);
      this.#tallies.delete(order.id);
    }
  }

  /** An order from any instance (this one too): act on this instance's streams and settings, then report. */
  #obey(message: string): void {
    let order: FaultOrder;
    try {
      const parsed = JSON.parse(message) as FaultOrder;
      assertValidChannel(parsed.channel, 'body');
      order = { id: String(parsed.id), channel: parsed.channel, fault: parseFaultRequest(parsed.fault) };
    } catch {
      this.#logger.warn(`Ignored a malformed fault order on ${this.#orders}.`);
      return;
    }
    const report: FaultReport = { id: order.id, affected: this.#local.inject(order.channel, order.fault) };
    this.#redis.commands
      .sendCommand(['PUBLISH', this.#reports, JSON.stringify(report)])
      .catch((error: unknown) => this.#logger.warn(`Could not report a fault's effect: ${(error as Error).message}`));
  }

  /** A report from any instance: counted when it answers an order of this one still waiting. */
  #count(message: string): void {
    let report: FaultReport;
    try {
      report = JSON.parse(message) as FaultReport;
    } catch {
      return;
    }
    const tally = this.#tallies.get(report.id);
    if (!tally) return; // another instance's order, or one that gave up waiting
    tally.affected += Number(report.affected) || 0;
    tally.reports += 1;
    if (tally.reports >= tally.expected) tally.done();
  }

  #key(channel: string, fault: CountedFault): string {
    // The channel's hash tag, as for its event log: one slot per channel on a Redis Cluster.
    return `${this.#redis.prefix}{${channel}}:fault:${fault}`;
  }
}
