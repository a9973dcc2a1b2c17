import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { BackplaneUnavailableError } from './backplane-unavailable.ts';
import { callRedis } from './call-redis.ts';
import type { RedisConnection } from './redis-connection.ts';

/** Options of {@link InstanceOrders}. */
export interface InstanceOrdersOptions<Order extends object, Report extends object> {
  redis: RedisConnection;
  logger: Logger;
  /** The Pub/Sub channel of the orders, after the prefix: `faults` is `<prefix>faults`. */
  orders: string;
  /** The channel of the reports, after the prefix. */
  reports: string;
  /** What the orders are, for the log: "fault", "channel drain". */
  what: string;
  /** Checks an order as it came off the wire (its `id` taken out). @throws when it is malformed: it is then ignored. */
  parse(message: Record<string, unknown>): Order;
  /** Carries out an order on this instance (whichever sent it) and says what it did. */
  obey(order: Order): Report;
  /** How long {@link InstanceOrders.send} waits for every instance to report; default 1 000 ms. */
  reportTimeoutMs?: number;
}

/** Reports gathered for one order still waiting. */
interface Tally<Report> {
  reports: Report[];
  /** Instances that received the order (what PUBLISH answered); Infinity until known. */
  expected: number;
  /** Ends the wait. */
  done: () => void;
}

/**
 * An order to every instance sharing a Redis, and their answers: the sender
 * publishes `{id, …order}` on `<prefix><orders>`; every instance, the sender
 * included, carries it out on what it holds (its own streams, sockets, held
 * polls) and publishes `{id, …report}` on `<prefix><reports>`. `PUBLISH`
 * answers how many instances received the order, so the sender waits for
 * exactly that many reports (at most `reportTimeoutMs`: an instance that dies
 * meanwhile must not hold the answer up) and returns them.
 *
 * Pub/Sub is at-most-once: an instance whose subscription is down when the
 * order goes out never sees it, and is not waited for (it was not counted).
 */
export class InstanceOrders<Order extends object, Report extends object> {
  readonly #options: InstanceOrdersOptions<Order, Report>;
  readonly #orders: string;
  readonly #reports: string;
  readonly #tallies = new Map<string, Tally<Report>>();
  readonly #subscribed: Promise<void>;

  constructor(options: InstanceOrdersOptions<Order, Report>) {
    this.#options = options;
    const { redis, logger } = options;
    this.#orders = `${redis.prefix}${options.orders}`;
    this.#reports = `${redis.prefix}${options.reports}`;
    // node-redis subscribes again by itself after a reconnection.
    this.#subscribed = Promise.all([
      redis.subscriber.subscribe(this.#orders, (message) => this.#obey(message)),
      redis.subscriber.subscribe(this.#reports, (message) => this.#count(message)),
    ]).then(
      () => {},
      (error: unknown) => logger.error(`Could not subscribe to the Redis ${options.what} channels:`, error),
    );
  }

  /**
   * Sends `order` to every instance and resolves with their reports, this instance's among them.
   * @throws {BackplaneUnavailableError} when Redis cannot be reached: no instance got the order.
   */
  async send(order: Order): Promise<Report[]> {
    const { redis, reportTimeoutMs = 1_000 } = this.#options;
    const unavailable = redis.unavailableReason();
    if (unavailable !== undefined) throw new BackplaneUnavailableError(unavailable);
    await this.#subscribed;
    const id = randomUUID();
    const tally: Tally<Report> = { reports: [], expected: Infinity, done: () => {} };
    const finished = new Promise<void>((resolve) => (tally.done = resolve));
    // Registered before publishing: the first reports may come back before PUBLISH answers.
    this.#tallies.set(id, tally);
    const timer = setTimeout(() => tally.done(), reportTimeoutMs);
    try {
      const receivers = await callRedis(redis, () =>
        redis.commands.sendCommand(['PUBLISH', this.#orders, JSON.stringify({ ...order, id })]),
      );
      tally.expected = Number(receivers);
      if (tally.reports.length >= tally.expected) tally.done();
      await finished;
      return tally.reports;
    } finally {
      clearTimeout(timer);
      this.#tallies.delete(id);
    }
  }

  /** An order from any instance (this one too): carry it out here, then report. */
  #obey(message: string): void {
    const { redis, logger, what } = this.#options;
    let id: string;
    let order: Order;
    try {
      const { id: given, ...rest } = JSON.parse(message) as Record<string, unknown>;
      id = String(given);
      order = this.#options.parse(rest);
    } catch {
      logger.warn(`Ignored a malformed ${what} order on ${this.#orders}.`);
      return;
    }
    const report = this.#options.obey(order);
    redis.commands
      .sendCommand(['PUBLISH', this.#reports, JSON.stringify({ ...report, id })])
      .catch((error: unknown) => logger.warn(`Could not report what a ${what} did: ${(error as Error).message}`));
  }

  /** A report from any instance: kept when it answers an order of this one still waiting. */
  #count(message: string): void {
    let report: Record<string, unknown>;
    try {
      report = JSON.parse(message) as Record<string, unknown>;
    } catch {
      return;
    }
    const tally = this.#tallies.get(String(report.id));
    if (!tally) return; // another instance's order, or one that gave up waiting
    const { id: _id, ...rest } = report;
    tally.reports.push(rest as Report);
    if (tally.reports.length >= tally.expected) tally.done();
  }
}
