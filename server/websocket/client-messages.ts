import type { RawData } from 'ws';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { WS_CLOSE, WS_LIMITS, type ClientMessage } from '../../src/protocol/websocket.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Logger } from '../logger.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import type { ChannelFanout } from './channel-fanout.ts';
import type { ChatBackend } from './chat-backend.ts';
import { ChannelSubscription, type WsConnection } from './connection.ts';
import { parseClientMessage } from './message-validation.ts';

/** What {@link ClientMessages} needs from the endpoint. */
export interface ClientMessagesOptions {
  bus: EventBus;
  /** The channels' fan-out: a subscription joins it, and leaves it on unsubscribe. */
  fanout: ChannelFanout;
  chat: ChatBackend<WsConnection>;
  /** An `event` message as a whole text frame, the same one the fan-out writes. */
  encodeEvent: (channel: string, event: ChannelEvent) => Buffer;
  logger: Logger;
  /** Told of each `subscribe` before it is served. */
  onSubscribe: (channel: string, connection: WsConnection) => void;
}

/** The close reason (≤ 123 bytes, RFC 6455 §5.5.1) of a flood. */
const ABUSE_REASON = 'Too many messages over the rate limit';

/**
 * What the server does with a client's frames (the protocol is in
 * `src/protocol/websocket.ts`): the rate limit first, then validation, then
 * one handler per message type: channel subscriptions and the chat.
 */
export class ClientMessages {
  readonly #options: ClientMessagesOptions;
  readonly #chat: ChatBackend<WsConnection>;

  constructor(options: ClientMessagesOptions) {
    this.#options = options;
    this.#chat = options.chat;
  }

  // #region rate-limit
  onMessage(connection: WsConnection, data: RawData, isBinary: boolean): void {
    if (connection.closed) return;
    const verdict = connection.limiter.check();
    // Counted on arrival, answered in turn: replies (and the close of a flood) keep the order of the requests.
    void connection.requests.run(async () => {
      if (verdict === 'abusive') {
        return connection.close(WS_CLOSE.policyViolation, ABUSE_REASON);
      }
      if (verdict === 'refused') {
        connection.send({
          type: 'error',
          code: 'rate-limited',
          message: `Over ${WS_LIMITS.ratePerSecond} messages a second (bursts of ${WS_LIMITS.burst}): this one was dropped.`,
        });
        return;
      }
      const parsed = parseClientMessage(toBuffer(data), isBinary);
      if (!parsed.ok) {
        connection.send({ type: 'error', ...parsed.problem });
        return;
      }
      await this.#handleSafely(connection, parsed.message);
    });
  }
  // #endregion rate-limit

  /** Pings count like messages, so that a ping flood ends like a message flood: with 1008. */
  onPing(connection: WsConnection, data: Buffer): void {
    if (connection.closed) return;
    if (connection.limiter.check() === 'abusive') return connection.close(WS_CLOSE.policyViolation, ABUSE_REASON);
    // RFC 6455 §5.5.3: the pong carries the ping's application data.
    connection.socket.pong(data);
  }

  /** Everything a connection holds here, given back when it closes. */
  release(connection: WsConnection): void {
    for (const subscription of connection.subscriptions.values()) this.#options.fanout.remove(subscription.channel, subscription);
    connection.subscriptions.clear();
    // After the requests it sent before closing: they are handled, as they would be had they been quicker.
    void connection.requests.run(() => this.#leaveRoom(connection));
  }

  async #handleSafely(connection: WsConnection, message: ClientMessage): Promise<void> {
    try {
      await this.#handle(connection, message);
    } catch (error) {
      if (error instanceof BackplaneUnavailableError) {
        // Redis is out of reach: this request is dropped, the connection stays (the client tries again).
        const where = message.type === 'join' && connection.room === undefined ? ' You are in no room now.' : '';
        connection.send({
          type: 'error',
          code: 'backend-unavailable',
          message: `The chat cannot be reached right now: this "${message.type}" was dropped; send it again in a few seconds.${where}`,
        });
        return;
      }
      // A bug must cost one connection, not the process (a throwing 'message' listener would crash it).
      this.#options.logger.error(`The WebSocket handler failed on a "${message.type}" message:`, error);
      connection.close(WS_CLOSE.internalError, 'Server error: reconnect');
    }
  }

  async #handle(connection: WsConnection, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'subscribe':
        return this.#subscribe(connection, message.channel, message.cursor);
      case 'unsubscribe': {
        this.#unsubscribeFrom(connection, message.channel);
        connection.send({ type: 'unsubscribed', channel: message.channel });
        return;
      }
      case 'join':
        return this.#join(connection, message.room, message.name);
      case 'leave': {
        const room = connection.room;
        if (room === undefined) return notInRoom(connection, 'leave');
        await this.#leaveRoom(connection);
        connection.send({ type: 'left', room });
        return;
      }
      case 'message':
        return this.#postMessage(connection, message.text, message.clientId);
      case 'typing':
        if (connection.room === undefined) return notInRoom(connection, 'typing');
        return this.#chat.typing(connection.room, connection, message.typing);
      case 'simulate':
        if (message.fault === 'drop') return connection.terminate();
        if (connection.room === undefined) return notInRoom(connection, 'simulate a restart');
        return this.#chat.restart(connection.room);
    }
  }

  // #region subscribe
  /**
   * Replays the channel's log after `cursor`, then follows it live: the same
   * events, with the same ids, as SSE and long polling read. The subscription
   * joins the channel's fan-out *before* the log is read, so an event
   * published meanwhile cannot slip between the two; it waits in the
   * subscription, which sends it once, after the replay.
   */
  #subscribe(connection: WsConnection, channel: string, cursor: number): void {
    const { bus, fanout, encodeEvent } = this.#options;
    this.#options.onSubscribe(channel, connection);
    if (connection.subscriptions.has(channel)) {
      // Subscribing again restarts from the new cursor.
      this.#unsubscribeFrom(connection, channel);
    } else if (connection.subscriptions.size >= WS_LIMITS.maxSubscriptions) {
      connection.send({
        type: 'error',
        code: 'too-many-subscriptions',
        message: `A connection may follow ${WS_LIMITS.maxSubscriptions} channels at most; unsubscribe from one first.`,
      });
      return;
    }
    const subscription = new ChannelSubscription(connection, channel, this.#resubscribe(connection, channel, cursor));
    connection.subscriptions.set(channel, subscription);
    fanout.add(channel, subscription);
    connection.send({ type: 'subscribed', channel, cursor });
    const current = () => !connection.closed && connection.subscriptions.get(channel) === subscription;
    bus.since(channel, cursor).then(
      (read) => {
        if (!current()) return; // unsubscribed, resubscribed or closed while the log was read
        if (read.reset) {
          // Resuming exactly is impossible: say so, and continue after the newest event.
          const reason = cursor > read.latestId ? 'cursor-ahead' : 'cursor-evicted';
          connection.send({ type: 'reset', channel, latestId: read.latestId, reason });
        } else {
          // A replay can overflow a slow reader's buffer and close the connection: it then releases all.
          for (const event of read.events) connection.sendFrame(encodeEvent(channel, event));
        }
        subscription.open(read.latestId);
      },
      () => {
        if (!current()) return;
        this.#unsubscribeFrom(connection, channel);
        connection.send({
          type: 'error',
          code: 'backend-unavailable',
          message: `The event log of ${channel} cannot be reached right now; subscribe again with the same cursor.`,
        });
      },
    );
  }
  // #endregion subscribe

  /**
   * What a subscription does when the shared log is lost (Redis restarted
   * empty): subscribe again from the last id sent, which gets a `reset`.
   * Made apart from {@link #subscribe}, so that what the subscription keeps
   * while open is these three values, not everything its subscribe used.
   */
  #resubscribe(connection: WsConnection, channel: string, cursor: number): (lastId: number | undefined) => void {
    return (lastId) => this.#subscribe(connection, channel, lastId ?? cursor);
  }

  #unsubscribeFrom(connection: WsConnection, channel: string): void {
    const subscription = connection.subscriptions.get(channel);
    if (!subscription) return;
    this.#options.fanout.remove(channel, subscription);
    connection.subscriptions.delete(channel);
  }

  /** `join`: leaves the current room if it is another one; the backend sends `joined` and tells the others. */
  async #join(connection: WsConnection, room: string, name: string): Promise<void> {
    if (connection.room !== undefined && connection.room !== room) await this.#leaveRoom(connection);
    const previous = connection.member;
    // A new object: the history keeps the name each message was sent under.
    connection.member = { id: connection.id, name };
    try {
      await this.#chat.join(room, connection);
    } catch (error) {
      connection.member = previous;
      throw error;
    }
    connection.room = room;
  }

  /** Takes the connection out of its room, if any, and tells the members left. */
  async #leaveRoom(connection: WsConnection): Promise<void> {
    const room = connection.room;
    if (room === undefined) return;
    connection.room = undefined;
    await this.#chat.leave(room, connection);
  }

  // #region chat-message
  /**
   * `message {text, clientId}`: the room's next id, or — for a `clientId` the
   * room has seen — the original one (`ChatRooms.post` in memory, one script
   * in Redis). The sender gets `ack` first, then every member the `message`,
   * once: a resend after a lost ack is acknowledged again, never delivered again.
   */
  async #postMessage(connection: WsConnection, text: string, clientId: string): Promise<void> {
    const room = connection.room;
    if (room === undefined) return notInRoom(connection, 'send a message');
    await this.#chat.post(room, connection, text, clientId);
  }
  // #endregion chat-message
}

function notInRoom(connection: WsConnection, action: string): void {
  connection.send({ type: 'error', code: 'not-in-room', message: `Join a room before you ${action}.` });
}

/** `ws` hands a text message over as one Buffer; fragments (`Buffer[]`) and ArrayBuffers only with other settings. */
function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
