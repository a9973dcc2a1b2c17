import { EVENT_LIMITS, type ChannelEvent } from '../../src/protocol/events.ts';
import type { Logger } from '../logger.ts';
import { luaScript, type RedisConnection } from '../redis/redis-connection.ts';
import type { LogRead } from './channel-log.ts';
import { callRedis } from '../redis/call-redis.ts';
import { ChannelListeners, type EventBus, type EventListener, type LostListener } from './event-bus.ts';

// #region redis-publish
/**
 * Appends one event and announces it, atomically: the id comes from the
 * channel's counter, the event joins the channel's stream (capped at its
 * newest N), and the same JSON goes out on Pub/Sub. Redis runs a script
 * alone, so ids are strictly increasing per channel whichever instance
 * publishes, and Pub/Sub carries each channel's events in id order.
 *
 * KEYS: counter, stream. ARGV: Pub/Sub channel, `"type":…,"data":…` (JSON
 * members made by the publisher, never re-encoded here: Lua's cjson would
 * round large numbers), capacity, channel TTL in ms.
 */
const PUBLISH = luaScript(`
local id = redis.call('INCR', KEYS[1])
local now = redis.call('TIME')
local ts = now[1] * 1000 + math.floor(now[2] / 1000)
local event = '{"id":' .. id .. ',' .. ARGV[2] .. ',"ts":' .. string.format('%d', ts) .. '}'
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], id .. '-0', 'e', event)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[1], event)
return event
`);
// #endregion redis-publish

// #region redis-since
/**
 * Reads a channel's log after a cursor in one step: the newest id, the
 * oldest id still kept, and the events from ARGV[1] (`<cursor + 1>-0`) on.
 * KEYS: counter, stream.
 */
const SINCE = luaScript(`
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
local oldest = latest + 1
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if first[1] then oldest = tonumber(string.match(first[1][1], '^%d+')) end
local events = {}
for i, entry in ipairs(redis.call('XRANGE', KEYS[2], ARGV[1], '+')) do events[i] = entry[2][2] end
return {latest, oldest, events}
`);
// #endregion redis-since

/** The Pub/Sub channel of the liveness probes: `~` is not allowed in a channel name, so no client can publish there. */
const PROBE_CHANNEL = '~probe';

/** Options of {@link RedisEventBus}. */
export interface RedisEventBusOptions {
  redis: RedisConnection;
  logger: Logger;
  /** Events each channel keeps; default `EVENT_LIMITS.logCapacity` (500), as in memory. */
  capacity?: number;
  /** A channel nobody published on for this long is forgotten (its ids start over). Default one day. */
  channelTtlMs?: number;
}

/** What this instance knows of a channel it has listeners for. */
interface ChannelSequence {
  /** Id of the last event delivered here; undefined until the first one. */
  lastId: number | undefined;
  /**
   * The channel's newest id when its first listener subscribed. Before any
   * event is delivered, an event beyond `floor + 1` reveals a gap. (Events up
   * to the floor are still delivered: they may have been published after the
   * subscription, yet read before the floor was.)
   */
  floor: number | undefined;
  /** Events that arrived while a gap is being filled from the log, in arrival order. */
  queue: ChannelEvent[] | undefined;
}

/**
 * The {@link EventBus} shared by every instance: the log lives in Redis, one
 * Stream per channel beside an id counter, and events fan out through Redis
 * Pub/Sub.
 *
 * Why a Stream: Pub/Sub alone is fire-and-forget and remembers nothing, so a
 * client resuming on another instance (or after its instance was killed)
 * could not be given what it missed. A Stream keeps the newest N entries in
 * id order and reads a range after a cursor in O(log n); our ids are the
 * entries' ids (`<id>-0`), so `Last-Event-ID: 41` is the range after `41-0`.
 *
 * Pub/Sub is at-most-once: a message published while this instance's
 * subscription was reconnecting never arrives. Each channel's last delivered
 * id is therefore tracked here; an event arriving after a gap, or a
 * reconnection, makes the instance read what it missed from the Stream
 * before going on, so local listeners still see every event once, in order.
 *
 * One pattern subscription (`PSUBSCRIBE <prefix>ev:*`) covers every channel:
 * it is live before any listener exists, so a subscribe is immediate and never
 * races the read that follows it. Its cost is that every instance receives
 * every channel's events and drops those it has no listener for — cheap for
 * the tens of instances a workbook needs.
 */
export class RedisEventBus implements EventBus {
  readonly #redis: RedisConnection;
  readonly #logger: Logger;
  readonly #capacity: string;
  readonly #ttl: string;
  readonly #listeners: ChannelListeners;
  readonly #sequences = new Map<string, ChannelSequence>();
  readonly #pattern: string;
  // Until the shared epoch is read: a value of this process, so no ETag matches by accident.
  #epoch = Math.random().toString(36).slice(2, 10);
  /** This bus's probe, and whether it came back through the pattern subscription since the last (re)connection. */
  readonly #probe = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  #live = false;
  #closed = false;

  constructor(options: RedisEventBusOptions) {
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#capacity = String(options.capacity ?? EVENT_LIMITS.logCapacity);
    this.#ttl = String(options.channelTtlMs ?? 24 * 60 * 60 * 1000);
    this.#listeners = new ChannelListeners((error, event) =>
      options.logger.error(`A listener failed on event ${event.id} (${event.type}):`, error),
    );
    this.#pattern = `${this.#redis.prefix}ev:*`;
    const prefixLength = this.#pattern.length - 1;
    this.#redis.subscriber
      .pSubscribe(this.#pattern, (message, channel) => this.#receive(channel.slice(prefixLength), message))
      .catch((error: unknown) => this.#logger.error('Could not subscribe to the Redis event channels:', error));
    // Messages published while the subscription was down are lost: once it is live again, read them from the log.
    this.#redis.onSubscriberReconnect(() => {
      this.#live = false;
      void this.#untilLive();
      // A Redis that lost its data has no epoch any more: the next read makes a new one.
      void this.#readEpoch();
    });
    void this.#untilLive();
    void this.#readEpoch();
  }

  get epoch(): string {
    return this.#epoch;
  }

  async publish(channel: string, type: string, data: unknown): Promise<ChannelEvent> {
    const members = JSON.stringify({ type, data }).slice(1, -1);
    const [counter, stream] = this.#keys(channel);
    const json = await this.#run(() =>
      this.#redis.runScript(PUBLISH, [counter, stream], [this.#pubSubChannel(channel), members, this.#capacity, this.#ttl]),
    );
    // Delivered to this instance's listeners by the subscription, like everyone else's: one path, one order.
    return JSON.parse(String(json)) as ChannelEvent;
  }

  subscribe(channel: string, listener: EventListener, onLost?: LostListener): () => void {
    if (!this.#sequences.has(channel)) {
      const sequence: ChannelSequence = { lastId: undefined, floor: undefined, queue: undefined };
      this.#sequences.set(channel, sequence);
      // So that a gap before the first event is noticed too.
      this.latestId(channel).then(
        (id) => (sequence.floor = id),
        () => {}, // Redis is down: the first event starts the sequence
      );
    }
    const remove = this.#listeners.add(channel, listener, onLost);
    return () => {
      remove();
      if (this.#listeners.count(channel) === 0) this.#sequences.delete(channel);
    };
  }

  async since(channel: string, cursor: number): Promise<LogRead> {
    const reply = await this.#run(() => this.#redis.runScript(SINCE, this.#keys(channel), [`${cursor + 1}-0`]));
    const [latest, oldest, entries] = reply as [number, number, string[]];
    const events = entries.map((json) => JSON.parse(json) as ChannelEvent);
    const evicted = cursor < oldest - 1;
    const ahead = cursor > latest;
    return { events, reset: evicted || ahead, latestId: latest };
  }

  async latestId(channel: string): Promise<number> {
    const [counter] = this.#keys(channel);
    const value = await this.#run(() => this.#redis.commands.sendCommand(['GET', counter]));
    return value === null ? 0 : Number(value);
  }

  listenerCount(channel: string): number {
    return this.#listeners.count(channel);
  }

  unavailableReason(): string | undefined {
    return this.#redis.unavailableReason() ?? (this.#live ? undefined : 'the Redis subscription is being restored');
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sequences.clear();
  }

  /**
   * A connection being ready does not mean its subscription is: the client
   * subscribes again only after it reconnected, and events published in
   * between never arrive. So the bus publishes a probe on a channel no
   * client can name (`~` is not allowed in channel names) until it comes
   * back; from then on the subscription is live, and what it missed is read
   * from the log.
   */
  async #untilLive(): Promise<void> {
    for (let attempt = 0; !this.#live && !this.#closed; attempt += 1) {
      try {
        await this.#redis.commands.sendCommand(['PUBLISH', this.#pubSubChannel(PROBE_CHANNEL), this.#probe]);
      } catch {
        // Redis is still away: try again below.
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)).unref());
    }
  }

  #probeReturned(): void {
    if (this.#live) return;
    this.#live = true;
    for (const channel of this.#sequences.keys()) this.#catchUp(channel);
  }

  #keys(channel: string): [counter: string, stream: string] {
    // One hash tag per channel: both keys land on the same slot of a Redis Cluster, as a script needs.
    const base = `${this.#redis.prefix}{${channel}}`;
    return [`${base}:id`, `${base}:log`];
  }

  #pubSubChannel(channel: string): string {
    return `${this.#redis.prefix}ev:${channel}`;
  }

  /** Runs a Redis call; a connection failure becomes `BackplaneUnavailableError` (a 503). */
  #run<T>(call: () => Promise<T>): Promise<T> {
    return callRedis(this.#redis, call);
  }

  async #readEpoch(): Promise<void> {
    // One value for every instance, created once: it lives as long as the logs in this Redis do.
    const key = `${this.#redis.prefix}epoch`;
    const fresh = Math.random().toString(36).slice(2, 10);
    for (let attempt = 0; !this.#closed; attempt += 1) {
      try {
        await this.#redis.commands.sendCommand(['SET', key, fresh, 'NX']);
        this.#epoch = String(await this.#redis.commands.sendCommand(['GET', key]));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * 2 ** attempt)).unref());
        if (this.#closed) return;
      }
    }
  }

  /** A message from Pub/Sub: deliver it in order, or fill the gap before it first. */
  #receive(channel: string, message: string): void {
    if (channel === PROBE_CHANNEL) {
      if (message === this.#probe) this.#probeReturned();
      return;
    }
    const sequence = this.#sequences.get(channel);
    if (!sequence) return; // no listener here
    const event = JSON.parse(message) as ChannelEvent;
    if (sequence.queue) {
      sequence.queue.push(event);
      return;
    }
    if (sequence.lastId !== undefined && event.id <= sequence.lastId) return; // already delivered
    const expected = sequence.lastId ?? sequence.floor;
    if (expected !== undefined && event.id > expected + 1) {
      sequence.queue = [event];
      this.#catchUp(channel);
      return;
    }
    this.#deliver(channel, sequence, event);
  }

  #deliver(channel: string, sequence: ChannelSequence, event: ChannelEvent): void {
    sequence.lastId = event.id;
    this.#listeners.deliver(channel, event);
  }

  /** Reads what this instance missed on `channel` from the log, delivers it, then what queued meanwhile. */
  #catchUp(channel: string): void {
    const sequence = this.#sequences.get(channel);
    const from = sequence?.lastId ?? sequence?.floor;
    if (!sequence || from === undefined) return;
    sequence.queue ??= [];
    this.since(channel, from).then(
      (read) => {
        if (this.#sequences.get(channel) !== sequence) return;
        const queued = sequence.queue ?? [];
        sequence.queue = undefined;
        if (read.reset) {
          // The log no longer reaches back to what we delivered (Redis lost its data, or we fell
          // more than its capacity behind): start the sequence over, and let every listener make
          // its client resume from its own cursor, where it gets a `reset`.
          this.#logger.warn(`The shared log of ${channel} cannot continue from ${from}: its listeners resume.`);
          sequence.lastId = undefined;
          sequence.floor = read.latestId;
          this.#listeners.lost(channel);
          return;
        }
        for (const event of [...read.events, ...queued]) {
          if (event.id > (sequence.lastId ?? from)) this.#deliver(channel, sequence, event);
        }
      },
      () => {
        // Redis is unreachable: try again shortly, keeping the queue (delivering it now would skip the gap).
        setTimeout(() => {
          if (this.#sequences.get(channel) === sequence) this.#catchUp(channel);
        }, 500).unref();
      },
    );
  }
}
