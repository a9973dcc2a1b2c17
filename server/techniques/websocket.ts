import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { WS_CLOSE, WS_LIMITS, WS_PATH, type ClientMessage } from '../../src/protocol/websocket.ts';
import type { EventBus } from '../events/event-bus.ts';
import { parseRequestUrl } from '../http/request-url.ts';
import type { Logger } from '../logger.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import { encodeMessage } from '../websocket/broadcast.ts';
import { ChannelFanout } from '../websocket/channel-fanout.ts';
import type { ChatBackend, ChatBackendHooks } from '../websocket/chat-backend.ts';
import type { ChatRoomsOptions } from '../websocket/chat-rooms.ts';
import { ChannelSubscription, WsConnection } from '../websocket/connection.ts';
import { describeHandshake } from '../websocket/handshake.ts';
import { Heartbeat } from '../websocket/heartbeat.ts';
import { InMemoryChatBackend } from '../websocket/in-memory-chat-backend.ts';
import { parseClientMessage } from '../websocket/message-validation.ts';
import { isOriginAllowed } from '../websocket/origin-check.ts';
import { MessageRateLimiter } from '../websocket/rate-limiter.ts';
import { RedisChatBackend } from '../websocket/redis-chat-backend.ts';
import { rejectUpgrade } from '../websocket/reject-upgrade.ts';
import { textFrame } from '../websocket/text-frame.ts';

/** What the WebSocket endpoint needs from the app. */
export interface WebSocketEndpointOptions {
  bus: EventBus;
  logger: Logger;
  /** Interval of the pings (`WS_HEARTBEAT_MS`). */
  heartbeatMs: number;
  /** Origins allowed besides the server's own (`ALLOWED_ORIGINS`), normalised. */
  allowedOrigins: readonly string[];
  /** Aborted when the app starts draining: new upgrades get 503, open sockets are closed with 1001. */
  draining: AbortSignal;
  /** Bounds of the chat state; tests shorten them. */
  rooms?: ChatRoomsOptions;
  /**
   * Redis (`REDIS_URL`): the chat is then shared by every instance that uses
   * it (presence, history, ids, resends); without, it lives in this process.
   */
  redis?: RedisConnection;
  /** With `redis`: how long a member's presence outlives its instance's last renewal (`PRESENCE_TTL_MS`). */
  presenceTtlMs?: number;
  /** Told of each subscription with the `Cookie` header of the handshake that opened its socket (the learner cookie claims the channel). */
  onSubscribe?: (channel: string, cookie: string | undefined) => void;
}

/** `GET /ws`: the upgrade handler and the open connections. */
export interface WebSocketEndpoint {
  /** The `upgrade` listener of the HTTP server: `server.on('upgrade', endpoint.handleUpgrade)`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Open connections (not yet closing). */
  readonly connectionCount: number;
  /**
   * Closes the sockets subscribed to `channel` with `code` (a channel drain, lesson 7).
   * @returns how many it closed.
   */
  closeChannel(channel: string, code: number, reason: string): number;
  /** `bufferedAmount` of each socket subscribed to `channel`: what the backpressure limit watches. */
  bufferedAmounts(channel: string): number[];
  /** Closes every socket with 1001 Going Away and stops the heartbeat timer. Idempotent. */
  close(): void;
}

/** Close reasons (≤ 123 bytes of UTF-8, RFC 6455 §5.5.1) the client may show. */
const REASONS = {
  draining: 'Server shutting down: reconnect',
  restart: 'Simulated restart: reconnect after a short wait',
  abuse: 'Too many messages over the rate limit',
} as const;

/**
 * Creates the WebSocket endpoint of the companion server (the protocol is in
 * `src/protocol/websocket.ts`, the wire format in `docs/websocket.md`).
 *
 * One `ws` server in `noServer` mode shares the HTTP server's port: the app's
 * `upgrade` listener hands it only `/ws` upgrades that passed the checks.
 */
export function createWebSocketEndpoint(options: WebSocketEndpointOptions): WebSocketEndpoint {
  const { bus, heartbeatMs, allowedOrigins, draining } = options;
  /** The `Cookie` header of each connection's handshake, for `onSubscribe`: that, not the whole request, is kept. */
  const handshakeCookies = new WeakMap<WsConnection, string>();
  const wss = new WebSocketServer({
    noServer: true,
    // Larger frames are refused with 1009 by `ws` before they are buffered (its default is 100 MiB).
    maxPayload: WS_LIMITS.maxPayloadBytes,
    // Compression keeps a zlib context per socket (~300 KB with the defaults) and fragments memory.
    perMessageDeflate: false,
    // We keep our own set of connections.
    clientTracking: false,
    // No subprotocol is defined: never echo one a client offers (`ws` would accept the first by default).
    handleProtocols: () => false,
    // Pings are answered below, after the rate check: with `ws` answering a flood itself, the queued
    // pongs made it cut the socket before our 1008 close could go out (5 floods in 6 saw no close frame).
    autoPong: false,
  });
  // `ws` found the handshake malformed (key, version, Upgrade header): answer it in the same problem format.
  wss.on('wsClientError', (error: Error, socket: Duplex, request: IncomingMessage) => {
    const versionWrong = request.headers['sec-websocket-version'] !== '13';
    rejectUpgrade(socket, {
      status: 400,
      detail: `Not a valid WebSocket handshake: ${error.message}.`,
      // RFC 6455 §4.4: tell the client which version this server speaks.
      headers: versionWrong ? { 'Sec-WebSocket-Version': '13' } : {},
    });
  });

  const connections = new Map<WebSocket, WsConnection>();
  const chatHooks: ChatBackendHooks<WsConnection> = {
    closeForRestart: (participants) => closeAll(WS_CLOSE.serviceRestart, REASONS.restart, participants),
  };
  const chat: ChatBackend<WsConnection> = options.redis
    ? new RedisChatBackend(chatHooks, {
        redis: options.redis,
        logger: options.logger,
        presenceTtlMs: options.presenceTtlMs,
        rooms: options.rooms,
      })
    : new InMemoryChatBackend(chatHooks, options.rooms);
  // An `event` message as a whole text frame: built once, written to every subscribed socket.
  const encodeEvent = (channel: string, event: ChannelEvent) => textFrame(encodeMessage({ type: 'event', channel, event }));
  const fanout = new ChannelFanout(bus, encodeEvent);
  const heartbeat = new Heartbeat({
    intervalMs: heartbeatMs,
    onSilent: (socket) => {
      const connection = connections.get(socket);
      if (connection) connection.terminate();
      else socket.terminate();
    },
    onTick: () => chat.sweep(),
  });
  const untrackHeartbeat = new Map<WsConnection, () => void>();

  const closeAll = (code: number, reason: string, targets: Iterable<WsConnection>) => {
    const closing = [...targets];
    // Mark all first: the survivors of a mass close must not be sent presence updates about each other.
    for (const connection of closing) connection.beginClosing();
    for (const connection of closing) connection.close(code, reason);
  };
  const onDraining = () => closeAll(WS_CLOSE.goingAway, REASONS.draining, connections.values());
  draining.addEventListener('abort', onDraining, { once: true });

  // #region upgrade
  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // First, before anything can fail: an 'error' with no listener would crash the process.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);

    let pathname: string;
    try {
      pathname = parseRequestUrl(request).pathname;
    } catch {
      return rejectUpgrade(socket, { status: 400, detail: 'The request target is not a path.' });
    }
    if (pathname !== WS_PATH) {
      return rejectUpgrade(socket, { status: 404, detail: `WebSockets are served at ${WS_PATH} only.` });
    }
    if (draining.aborted) {
      return rejectUpgrade(socket, {
        status: 503,
        type: PROBLEM_TYPES.draining,
        detail: 'This server is shutting down; reconnect in a moment (maybe to another instance).',
        headers: { 'Retry-After': '1' },
      });
    }
    if (request.method !== 'GET') {
      // RFC 6455 §4.1: the opening handshake is a GET.
      return rejectUpgrade(socket, {
        status: 405,
        detail: `A WebSocket handshake is a GET, not ${request.method}.`,
        headers: { Allow: 'GET' },
      });
    }
    // Before the upgrade: a refused page must get no socket at all (RFC 6455 §10.2).
    if (!isOriginAllowed(request.headers.origin, request.headers.host, allowedOrigins)) {
      return rejectUpgrade(socket, {
        status: 403,
        detail: `Pages from ${request.headers.origin} may not open a WebSocket here; only this site's own pages (and ALLOWED_ORIGINS) may.`,
      });
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      // `ws` listens for socket errors from here on.
      socket.off('error', onSocketError);
      accept(ws, socket, request);
    });
  }
  // #endregion upgrade

  function accept(ws: WebSocket, wire: Duplex, request: IncomingMessage): void {
    const connection = new WsConnection({
      socket: ws,
      wire,
      id: randomUUID(),
      limiter: new MessageRateLimiter({
        ratePerSecond: WS_LIMITS.ratePerSecond,
        burst: WS_LIMITS.burst,
        abuseThreshold: WS_LIMITS.abuseThreshold,
        abuseWindowMs: WS_LIMITS.abuseWindowMs,
      }),
      maxBufferedBytes: WS_LIMITS.maxBufferedBytes,
      release,
    });
    // Protocol errors of the peer (oversize frame, invalid UTF-8, bad opcode): `ws` has already
    // sent the close frame with the precise code (1009, 1007, 1002); nothing is left to do here.
    ws.on('error', ignoreError);
    connections.set(ws, connection);
    if (request.headers.cookie !== undefined) handshakeCookies.set(connection, request.headers.cookie);
    untrackHeartbeat.set(connection, heartbeat.track(ws));

    connection.send({
      type: 'hello',
      connectionId: connection.id,
      heartbeatMs,
      limits: WS_LIMITS,
      handshake: describeHandshake(request),
    });
    ws.on('message', (data, isBinary) => onMessage(connection, data, isBinary));
    // Pings count like messages, so that a ping flood ends like a message flood: with 1008.
    ws.on('ping', (data) => {
      if (connection.closed) return;
      if (connection.limiter.check() === 'abusive') return connection.close(WS_CLOSE.policyViolation, REASONS.abuse);
      // RFC 6455 §5.5.3: the pong carries the ping's application data.
      ws.pong(data);
    });
  }

  /** Everything a connection holds outside itself, given back once when it closes. */
  function release(connection: WsConnection): void {
    connections.delete(connection.socket);
    untrackHeartbeat.get(connection)?.();
    untrackHeartbeat.delete(connection);
    for (const subscription of connection.subscriptions.values()) fanout.remove(subscription.channel, subscription);
    connection.subscriptions.clear();
    // After the requests it sent before closing: they are handled, as they would be had they been quicker.
    void connection.requests.run(() => leaveRoom(connection));
  }

  // #region rate-limit
  function onMessage(connection: WsConnection, data: RawData, isBinary: boolean): void {
    if (connection.closed) return;
    const verdict = connection.limiter.check();
    // Counted on arrival, answered in turn: replies (and the close of a flood) keep the order of the requests.
    void connection.requests.run(async () => {
      if (verdict === 'abusive') {
        return connection.close(WS_CLOSE.policyViolation, REASONS.abuse);
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
      await handleSafely(connection, parsed.message);
    });
  }
  // #endregion rate-limit

  async function handleSafely(connection: WsConnection, message: ClientMessage): Promise<void> {
    try {
      await handle(connection, message);
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
      options.logger.error(`The WebSocket handler failed on a "${message.type}" message:`, error);
      connection.close(WS_CLOSE.internalError, 'Server error: reconnect');
    }
  }

  async function handle(connection: WsConnection, message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'subscribe':
        return subscribe(connection, message.channel, message.cursor);
      case 'unsubscribe': {
        unsubscribeFrom(connection, message.channel);
        connection.send({ type: 'unsubscribed', channel: message.channel });
        return;
      }
      case 'join':
        return join(connection, message.room, message.name);
      case 'leave': {
        const room = connection.room;
        if (room === undefined) return notInRoom(connection, 'leave');
        await leaveRoom(connection);
        connection.send({ type: 'left', room });
        return;
      }
      case 'message':
        return postMessage(connection, message.text, message.clientId);
      case 'typing':
        if (connection.room === undefined) return notInRoom(connection, 'typing');
        return chat.typing(connection.room, connection, message.typing);
      case 'simulate':
        if (message.fault === 'drop') return connection.terminate();
        if (connection.room === undefined) return notInRoom(connection, 'simulate a restart');
        return chat.restart(connection.room);
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
  function subscribe(connection: WsConnection, channel: string, cursor: number): void {
    options.onSubscribe?.(channel, handshakeCookies.get(connection));
    if (connection.subscriptions.has(channel)) {
      // Subscribing again restarts from the new cursor.
      unsubscribeFrom(connection, channel);
    } else if (connection.subscriptions.size >= WS_LIMITS.maxSubscriptions) {
      connection.send({
        type: 'error',
        code: 'too-many-subscriptions',
        message: `A connection may follow ${WS_LIMITS.maxSubscriptions} channels at most; unsubscribe from one first.`,
      });
      return;
    }
    // The shared log lost (Redis restarted empty): subscribe again from the last id sent, which gets a `reset`.
    const subscription = new ChannelSubscription(connection, channel, (lastId) => subscribe(connection, channel, lastId ?? cursor));
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
        unsubscribeFrom(connection, channel);
        connection.send({
          type: 'error',
          code: 'backend-unavailable',
          message: `The event log of ${channel} cannot be reached right now; subscribe again with the same cursor.`,
        });
      },
    );
  }
  // #endregion subscribe

  function unsubscribeFrom(connection: WsConnection, channel: string): void {
    const subscription = connection.subscriptions.get(channel);
    if (!subscription) return;
    fanout.remove(channel, subscription);
    connection.subscriptions.delete(channel);
  }

  /** `join`: leaves the current room if it is another one; the backend sends `joined` and tells the others. */
  async function join(connection: WsConnection, room: string, name: string): Promise<void> {
    if (connection.room !== undefined && connection.room !== room) await leaveRoom(connection);
    const previous = connection.member;
    // A new object: the history keeps the name each message was sent under.
    connection.member = { id: connection.id, name };
    try {
      await chat.join(room, connection);
    } catch (error) {
      connection.member = previous;
      throw error;
    }
    connection.room = room;
  }

  /** Takes the connection out of its room, if any, and tells the members left. */
  async function leaveRoom(connection: WsConnection): Promise<void> {
    const room = connection.room;
    if (room === undefined) return;
    connection.room = undefined;
    await chat.leave(room, connection);
  }

  // #region chat-message
  /**
   * `message {text, clientId}`: the room's next id, or — for a `clientId` the
   * room has seen — the original one (`ChatRooms.post` in memory, one script
   * in Redis). The sender gets `ack` first, then every member the `message`,
   * once: a resend after a lost ack is acknowledged again, never delivered again.
   */
  async function postMessage(connection: WsConnection, text: string, clientId: string): Promise<void> {
    const room = connection.room;
    if (room === undefined) return notInRoom(connection, 'send a message');
    await chat.post(room, connection, text, clientId);
  }
  // #endregion chat-message

  function notInRoom(connection: WsConnection, action: string): void {
    connection.send({ type: 'error', code: 'not-in-room', message: `Join a room before you ${action}.` });
  }

  let closed = false;
  return {
    handleUpgrade,
    get connectionCount() {
      return connections.size;
    },
    closeChannel(channel, code, reason) {
      const subscribed = [...connections.values()].filter((connection) => connection.subscriptions.has(channel));
      closeAll(code, reason, subscribed);
      return subscribed.length;
    },
    bufferedAmounts(channel) {
      return [...connections.values()]
        .filter((connection) => connection.subscriptions.has(channel))
        .map((connection) => connection.socket.bufferedAmount);
    },
    close() {
      if (closed) return;
      closed = true;
      heartbeat.stop();
      draining.removeEventListener('abort', onDraining);
      closeAll(WS_CLOSE.goingAway, REASONS.draining, connections.values());
      chat.close();
    },
  };
}

/** One listener for every socket, not a closure each. */
function ignoreError(): void {}

/** `ws` hands a text message over as one Buffer; fragments (`Buffer[]`) and ArrayBuffers only with other settings. */
function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
