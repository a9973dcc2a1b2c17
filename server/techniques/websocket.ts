import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocketServer, type WebSocket } from 'ws';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { WS_CLOSE, WS_LIMITS, WS_PATH } from '../../src/protocol/websocket.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { ProblemInit } from '../http/problem.ts';
import { parseRequestUrl } from '../http/request-url.ts';
import type { Logger } from '../logger.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import { encodeMessage } from '../websocket/broadcast.ts';
import { ChannelFanout } from '../websocket/channel-fanout.ts';
import { ClientMessages } from '../websocket/client-messages.ts';
import type { ChatBackend, ChatBackendHooks } from '../websocket/chat-backend.ts';
import type { ChatRoomsOptions } from '../websocket/chat-rooms.ts';
import { WsConnection } from '../websocket/connection.ts';
import { describeHandshake } from '../websocket/handshake.ts';
import { Heartbeat } from '../websocket/heartbeat.ts';
import { InMemoryChatBackend } from '../websocket/in-memory-chat-backend.ts';
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

/** Close reasons (≤ 123 bytes of UTF-8, RFC 6455 §5.5.1) the client may show; a flood's is in `client-messages.ts`. */
const REASONS = {
  draining: 'Server shutting down: reconnect',
  restart: 'Simulated restart: reconnect after a short wait',
} as const;

/**
 * Creates the WebSocket endpoint of the companion server (the protocol is in
 * `src/protocol/websocket.ts`, the wire format in `docs/websocket.md`).
 *
 * One `ws` server in `noServer` mode shares the HTTP server's port: the app's
 * `upgrade` listener hands it only `/ws` upgrades that passed the checks.
 * What the client sends is handled by {@link ClientMessages}.
 */
export function createWebSocketEndpoint(options: WebSocketEndpointOptions): WebSocketEndpoint {
  const { bus, heartbeatMs, allowedOrigins, draining } = options;
  /** The `Cookie` header of each connection's handshake, for `onSubscribe`: that, not the whole request, is kept. */
  const handshakeCookies = new WeakMap<WsConnection, string>();
  const wss = createUpgradeServer();
  const connections = new Map<WebSocket, WsConnection>();
  const chat = createChatBackend(options, {
    closeForRestart: (participants) => closeAll(WS_CLOSE.serviceRestart, REASONS.restart, participants),
  });
  // An `event` message as a whole text frame: built once, written to every subscribed socket.
  const encodeEvent = (channel: string, event: ChannelEvent) => textFrame(encodeMessage({ type: 'event', channel, event }));
  const fanout = new ChannelFanout(bus, encodeEvent);
  const messages = new ClientMessages({
    bus,
    fanout,
    chat,
    encodeEvent,
    logger: options.logger,
    onSubscribe: (channel, connection) => options.onSubscribe?.(channel, handshakeCookies.get(connection)),
  });
  const heartbeat = new Heartbeat({
    intervalMs: heartbeatMs,
    onSilent: (socket) => {
      const connection = connections.get(socket);
      if (connection) connection.terminate();
      else socket.terminate();
    },
    onTick: () => chat.sweep(),
  });

  const closeAll = (code: number, reason: string, targets: Iterable<WsConnection>) => {
    const closing = [...targets];
    // Mark all first: the survivors of a mass close must not be sent presence updates about each other.
    for (const connection of closing) connection.beginClosing();
    for (const connection of closing) connection.close(code, reason);
  };
  const onDraining = () => closeAll(WS_CLOSE.goingAway, REASONS.draining, connections.values());
  draining.addEventListener('abort', onDraining, { once: true });

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // First, before anything can fail: an 'error' with no listener would crash the process.
    const onSocketError = () => socket.destroy();
    socket.on('error', onSocketError);
    const refusal = upgradeRefusal(request, draining, allowedOrigins);
    if (refusal) return rejectUpgrade(socket, refusal);
    wss.handleUpgrade(request, socket, head, (ws) => {
      // `ws` listens for socket errors from here on.
      socket.off('error', onSocketError);
      accept(ws, socket, request);
    });
  }

  function accept(ws: WebSocket, wire: Duplex, request: IncomingMessage): void {
    const connection = new WsConnection({
      socket: ws,
      wire,
      id: randomUUID(),
      limiter: new MessageRateLimiter(WS_LIMITS),
      maxBufferedBytes: WS_LIMITS.maxBufferedBytes,
      release,
    });
    // Protocol errors of the peer (oversize frame, invalid UTF-8, bad opcode): `ws` has already
    // sent the close frame with the precise code (1009, 1007, 1002); nothing is left to do here.
    ws.on('error', ignoreError);
    connections.set(ws, connection);
    if (request.headers.cookie !== undefined) handshakeCookies.set(connection, request.headers.cookie);
    heartbeat.track(ws);

    connection.send({
      type: 'hello',
      connectionId: connection.id,
      heartbeatMs,
      limits: WS_LIMITS,
      handshake: describeHandshake(request),
    });
    ws.on('message', onMessage);
    ws.on('ping', onPing);
  }

  // One listener of each kind for every socket (`this` is the socket), not a closure each: memory per idle socket.
  // A socket leaves `connections` when its connection is released, closed: then, as before, nothing is handled.
  function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const connection = connections.get(this);
    if (connection) messages.onMessage(connection, data, isBinary);
  }

  function onPing(this: WebSocket, data: Buffer): void {
    const connection = connections.get(this);
    if (connection) messages.onPing(connection, data);
  }

  /** Everything a connection holds outside itself, given back once when it closes. */
  function release(connection: WsConnection): void {
    connections.delete(connection.socket);
    heartbeat.untrack(connection.socket);
    messages.release(connection);
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

// #region upgrade
/**
 * The checks of the `upgrade` listener, made before `wss.handleUpgrade` turns
 * the socket into a WebSocket, in order: the path, the server draining, the
 * method, then the Origin. A refused page gets no socket at all (RFC 6455 §10.2).
 * @returns the response `rejectUpgrade` writes, or `undefined` to upgrade.
 */
function upgradeRefusal(request: IncomingMessage, draining: AbortSignal, allowedOrigins: readonly string[]): ProblemInit | undefined {
  let pathname: string;
  try {
    pathname = parseRequestUrl(request).pathname;
  } catch {
    return { status: 400, detail: 'The request target is not a path.' };
  }
  if (pathname !== WS_PATH) return { status: 404, detail: `WebSockets are served at ${WS_PATH} only.` };
  if (draining.aborted) {
    return {
      status: 503,
      type: PROBLEM_TYPES.draining,
      detail: 'This server is shutting down; reconnect in a moment (maybe to another instance).',
      headers: { 'Retry-After': '1' },
    };
  }
  if (request.method !== 'GET') {
    // RFC 6455 §4.1: the opening handshake is a GET.
    return { status: 405, detail: `A WebSocket handshake is a GET, not ${request.method}.`, headers: { Allow: 'GET' } };
  }
  if (!isOriginAllowed(request.headers.origin, request.headers.host, allowedOrigins)) {
    return {
      status: 403,
      detail: `Pages from ${request.headers.origin} may not open a WebSocket here; only this site's own pages (and ALLOWED_ORIGINS) may.`,
    };
  }
  return undefined;
}
// #endregion upgrade

/** The `ws` server, in `noServer` mode: it only completes handshakes `handleUpgrade` accepted. */
function createUpgradeServer(): WebSocketServer {
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
    // Pings are answered by `ClientMessages.onPing`, after the rate check: with `ws` answering a flood itself, the
    // queued pongs made it cut the socket before our 1008 close could go out (5 floods in 6 saw no close frame).
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
  return wss;
}

/** The chat's state: in Redis, shared by every instance that uses it, or in this process. */
function createChatBackend(options: WebSocketEndpointOptions, hooks: ChatBackendHooks<WsConnection>): ChatBackend<WsConnection> {
  if (!options.redis) return new InMemoryChatBackend(hooks, options.rooms);
  return new RedisChatBackend(hooks, {
    redis: options.redis,
    logger: options.logger,
    presenceTtlMs: options.presenceTtlMs,
    rooms: options.rooms,
  });
}

/** One listener for every socket, not a closure each. */
function ignoreError(): void {}
