import { randomUUID } from 'node:crypto';
import { ErrorReply } from '@redis/client';
import { WS_LIMITS, type ChatMessage, type Member } from '../../src/protocol/websocket.ts';
import type { Logger } from '../logger.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import { callRedis } from '../redis/call-redis.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import type { ChatBackend, ChatBackendHooks, ChatRecipient } from './chat-backend.ts';
import { CHAT_ROOM_DEFAULTS, type ChatRoomsOptions } from './chat-rooms.ts';
import { LocalRoom } from './local-room.ts';
import { presenceTimings, type PresenceTimings } from './presence-timings.ts';
import { chatInstanceChannel, chatRoomKeys, type ChatRoomKeys } from './redis-chat-keys.ts';
import { HEARTBEAT, JOIN, LEAVE, POST, READ_PRESENCE } from './redis-chat-scripts.ts';
import { parseRoomNews, restartNews, typingNews } from './room-news.ts';

/** Options of {@link RedisChatBackend}. */
export interface RedisChatBackendOptions {
  redis: RedisConnection;
  logger: Logger;
  /** A member's presence expires this long after its instance last renewed it (`PRESENCE_TTL_MS`). Default 30 s. */
  presenceTtlMs?: number;
  /** History size, remembered `clientId`s, and how long a room outlives its last member (`emptyRoomTtlMs`). */
  rooms?: ChatRoomsOptions;
}

/** A room with members connected to this instance. */
interface SubscribedRoom<P extends ChatRecipient> {
  keys: ChatRoomKeys;
  local: LocalRoom<P>;
  /** Settles when the room's Pub/Sub subscription is confirmed. */
  subscribed: Promise<void>;
  listener: (payload: string) => void;
}

/** How long a join waits for its room's subscription to be confirmed before it gives up. */
const SUBSCRIBE_TIMEOUT_MS = 5_000;

/**
 * The chat shared by every instance behind a load balancer (lesson 8): the
 * state lives in Redis (keys in `redis-chat-keys.ts`, changes in
 * `redis-chat-scripts.ts`), the news go through Redis Pub/Sub, one channel
 * per room, which an instance follows while it has members in that room.
 *
 * **Presence** is a key per member with a TTL, renewed by the member's
 * instance every third of the TTL, and indexed by a sorted set per room whose
 * score is the key's expiry. An instance that dies stops renewing; its
 * members expire, and the next instance to re-read the room (each re-reads
 * its rooms every few seconds) drops them and announces the new list. No
 * instance has to notice the death.
 *
 * **Messages** are posted by one script (id, history, `clientId`, publish),
 * so ids are strictly increasing per room and a resend is recognised on any
 * instance. Every instance delivers the room's news to its own members
 * through a {@link LocalRoom}, which keeps each member's order right.
 */
export class RedisChatBackend<P extends ChatRecipient> implements ChatBackend<P> {
  readonly #redis: RedisConnection;
  readonly #logger: Logger;
  readonly #hooks: ChatBackendHooks<P>;
  readonly #instanceId = randomUUID();
  readonly #instanceChannel: string;
  readonly #timings: PresenceTimings;
  readonly #historySize: string;
  readonly #rememberedClientIds: string;
  readonly #roomTtlMs: string;
  readonly #rooms = new Map<string, SubscribedRoom<P>>();
  readonly #timers: NodeJS.Timeout[];
  #instanceSubscribed = false;
  #closed = false;

  constructor(hooks: ChatBackendHooks<P>, options: RedisChatBackendOptions) {
    this.#hooks = hooks;
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#timings = presenceTimings(options.presenceTtlMs);
    this.#historySize = String(options.rooms?.historySize ?? WS_LIMITS.historySize);
    this.#rememberedClientIds = String(options.rooms?.rememberedClientIds ?? CHAT_ROOM_DEFAULTS.rememberedClientIds);
    this.#roomTtlMs = String(options.rooms?.emptyRoomTtlMs ?? CHAT_ROOM_DEFAULTS.emptyRoomTtlMs);
    this.#instanceChannel = chatInstanceChannel(this.#redis.prefix, this.#instanceId);
    this.#subscribeInstanceChannel();
    // What Pub/Sub carried while the subscription was down is lost: read it again.
    this.#redis.onSubscriberReconnect(() => this.#resync());
    this.#timers = [
      setInterval(() => this.#renewPresence(), this.#timings.heartbeatMs),
      setInterval(() => this.#readPresence(), this.#timings.pollMs),
    ];
    // Timers alone must not keep the process alive.
    for (const timer of this.#timers) timer.unref();
  }

  async join(room: string, participant: P): Promise<void> {
    const reason = this.#redis.unavailableReason();
    if (reason !== undefined) throw new BackplaneUnavailableError(reason);
    const subscribed = this.#subscribe(room);
    const added = subscribed.local.add(participant);
    const { keys } = subscribed;
    let reply: [number, string, number, string[]];
    try {
      // Subscribed before the join runs: no news published after it can be missed.
      await withTimeout(subscribed.subscribed, SUBSCRIBE_TIMEOUT_MS);
      reply = (await this.#run(() =>
        this.#redis.runScript(
          JOIN,
          [keys.members, keys.presence, keys.seq, keys.history, keys.clientIds, keys.clientOrder],
          [
            keys.memberPrefix,
            participant.member.id,
            JSON.stringify(participant.member),
            String(this.#timings.ttlMs),
            this.#roomTtlMs,
            keys.channel,
            `,"cause":${JSON.stringify(participant.member.id)}`,
          ],
        ),
      )) as typeof reply;
    } catch (error) {
      if (added) this.#unsubscribeMember(room, participant);
      throw error instanceof BackplaneUnavailableError ? error : new BackplaneUnavailableError('Redis did not answer', { cause: error });
    }
    const [version, members, lastMessageId, history] = reply;
    participant.send({
      type: 'joined',
      room,
      you: participant.member,
      history: history.map((json) => JSON.parse(json) as ChatMessage),
      members: JSON.parse(members) as Member[],
    });
    subscribed.local.open(participant, lastMessageId, version);
  }

  async leave(room: string, participant: P): Promise<void> {
    this.#unsubscribeMember(room, participant);
    const keys = chatRoomKeys(this.#redis.prefix, room);
    try {
      await this.#run(() =>
        this.#redis.runScript(LEAVE, [keys.members, keys.presence], [keys.memberPrefix, participant.member.id, keys.channel]),
      );
    } catch {
      // Redis is out of reach (its outage is logged once): the presence key expires by itself within the TTL.
    }
  }

  async post(room: string, participant: P, text: string, clientId: string): Promise<void> {
    const subscribed = this.#rooms.get(room);
    if (!subscribed?.local.joinedParticipants().includes(participant)) {
      throw new Error(`Not in ${room} here: join it first.`);
    }
    const { keys, local } = subscribed;
    // The message may come back on Pub/Sub before Redis answers the script: the ack must still go first.
    local.expectAck(participant, clientId);
    try {
      const body = JSON.stringify({ clientId, from: participant.member, text }).slice(1, -1);
      const [, json] = (await this.#run(() =>
        this.#redis.runScript(
          POST,
          [keys.seq, keys.history, keys.clientIds, keys.clientOrder, keys.presence],
          [clientId, body, this.#historySize, this.#rememberedClientIds, this.#roomTtlMs, keys.channel],
        ),
      )) as [number, string];
      // A resend is acknowledged with the original id, and was not published again.
      local.acknowledge(participant, clientId, (JSON.parse(json) as ChatMessage).id);
    } catch (error) {
      local.forgetAck(participant, clientId);
      throw error;
    }
  }

  async typing(room: string, participant: P, typing: boolean): Promise<void> {
    const { channel } = chatRoomKeys(this.#redis.prefix, room);
    await this.#run(() => this.#redis.commands.sendCommand(['PUBLISH', channel, typingNews(participant.member, typing)]));
  }

  async restart(room: string): Promise<void> {
    this.#hooks.closeForRestart(this.#rooms.get(room)?.local.participants() ?? []);
    const { channel } = chatRoomKeys(this.#redis.prefix, room);
    try {
      await this.#run(() => this.#redis.commands.sendCommand(['PUBLISH', channel, restartNews(this.#instanceId)]));
    } catch {
      // Redis is out of reach: the members on other instances stay connected. It is a demo fault, not a command.
    }
  }

  sweep(): void {
    // Redis forgets rooms by itself: their keys expire `emptyRoomTtlMs` after the last activity.
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const [room, subscribed] of this.#rooms) {
      subscribed.local.close();
      this.#rooms.delete(room);
      this.#redis.subscriber.unsubscribe(subscribed.keys.channel, subscribed.listener).catch(() => {});
    }
    this.#redis.subscriber.unsubscribe(this.#instanceChannel).catch(() => {});
  }

  /** The room's local state and Pub/Sub subscription, created with its first member here. */
  #subscribe(room: string): SubscribedRoom<P> {
    const existing = this.#rooms.get(room);
    if (existing) return existing;
    const keys = chatRoomKeys(this.#redis.prefix, room);
    const local = new LocalRoom<P>({
      room,
      instanceId: this.#instanceId,
      readHistory: () => this.#readHistory(keys),
      closeForRestart: (participants) => this.#hooks.closeForRestart(participants),
    });
    const listener = (payload: string) => {
      const news = parseRoomNews(payload);
      if (news) local.receive(news);
      else this.#logger.warn(`Ignored a message on ${keys.channel} that is not chat news.`);
    };
    const subscribed = this.#redis.subscriber.subscribe(keys.channel, listener);
    // The joins awaiting it report a failure; this only keeps it from being "unhandled".
    subscribed.catch(() => {});
    const entry: SubscribedRoom<P> = { keys, local, subscribed, listener };
    this.#rooms.set(room, entry);
    return entry;
  }

  /** Stops delivering the room to `participant`; the room's subscription goes with its last member here. */
  #unsubscribeMember(room: string, participant: P): void {
    const subscribed = this.#rooms.get(room);
    if (!subscribed) return;
    subscribed.local.remove(participant.member.id);
    if (subscribed.local.size > 0) return;
    subscribed.local.close();
    this.#rooms.delete(room);
    this.#redis.subscriber.unsubscribe(subscribed.keys.channel, subscribed.listener).catch(() => {});
  }

  #subscribeInstanceChannel(): void {
    this.#redis.subscriber
      .subscribe(this.#instanceChannel, (payload) => {
        const news = parseRoomNews(payload);
        if (news?.kind === 'presence' && news.room !== undefined) this.#rooms.get(news.room)?.local.receive(news);
      })
      .then(
        () => (this.#instanceSubscribed = true),
        () => {}, // retried when the subscriber connection is back
      );
  }

  /** Renews the presence of every member connected here (the heartbeat). */
  #renewPresence(): void {
    for (const { keys, local } of this.#rooms.values()) {
      const members = local.joinedParticipants().flatMap(({ member }) => [member.id, JSON.stringify(member)]);
      if (members.length === 0) continue;
      this.#redis
        .runScript(
          HEARTBEAT,
          [keys.members, keys.presence, keys.seq, keys.history, keys.clientIds, keys.clientOrder],
          [keys.memberPrefix, String(this.#timings.ttlMs), this.#roomTtlMs, keys.channel, ...members],
        )
        // Redis is out of reach: if it stays so past the TTL, the next renewal after it is back adds them again.
        .catch(() => {});
    }
  }

  /** Re-reads the members of every room that has members here; the answers come on Pub/Sub. */
  #readPresence(): void {
    for (const [room, { keys }] of this.#rooms) {
      this.#redis
        .runScript(
          READ_PRESENCE,
          [keys.members, keys.presence, keys.seq],
          [keys.memberPrefix, keys.channel, this.#instanceChannel, `,"room":${JSON.stringify(room)}`],
        )
        .catch(() => {}); // tried again at the next tick
    }
  }

  #resync(): void {
    if (this.#closed) return;
    if (!this.#instanceSubscribed) this.#subscribeInstanceChannel();
    for (const { local } of this.#rooms.values()) local.resync();
    // After an outage longer than the TTL, our members expired: add them back now, not at the next renewal.
    this.#renewPresence();
    this.#readPresence();
  }

  async #readHistory(keys: ChatRoomKeys): Promise<ChatMessage[]> {
    const entries = (await this.#redis.commands.sendCommand(['LRANGE', keys.history, '0', '-1'])) as string[];
    return entries.map((json) => JSON.parse(json) as ChatMessage);
  }

  /** Runs a Redis call for a request; an outage becomes {@link BackplaneUnavailableError} (`error backend-unavailable`). */
  async #run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await callRedis(this.#redis, call);
    } catch (error) {
      // A script that fails in Redis is a bug here, not an outage: worth an operator's look.
      const reply = (error as Error).cause;
      if (reply instanceof ErrorReply && /script/i.test(reply.message)) {
        this.#logger.error('A chat script failed in Redis:', reply);
      }
      throw error;
    }
  }
}

/** Rejects with {@link BackplaneUnavailableError} if `promise` has not settled within `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BackplaneUnavailableError(`Redis did not confirm the subscription within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } catch (error) {
    throw error instanceof BackplaneUnavailableError
      ? error
      : new BackplaneUnavailableError('Redis refused the subscription', { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
