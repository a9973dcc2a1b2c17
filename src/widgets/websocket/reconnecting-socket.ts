import { batch, signal, type ReadonlySignal } from '@preact/signals';
import { type BackoffPolicy, backoffCeiling as jitterCeiling, fullJitterBackoff } from '../../protocol/backoff.ts';
import type { ClientMessage, ServerMessage } from '../../protocol/websocket.ts';
import { utf8Length } from '../../protocol/utf8-length.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { randomClientId } from './client-id.ts';
import { ChannelCursors } from './channel-cursors.ts';
import { NORMAL_CLOSE_CODE, OFFLINE_CLOSE_CODE, explainClose, isRetryable } from './close-codes.ts';
import { closeInfo, type CloseInfo, type ConnectionState } from './connection-state.ts';
import { FrameLog, type FrameRecord, type TrafficTotals } from './frame-log.ts';
import { Outbox, type OutboxEntry } from './outbox.ts';
import { defaultSocketUrl } from './socket-url.ts';
import { WEBSOCKET_OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket-like.ts';

/**
 * A WebSocket to `/ws` that comes back by itself, and keeps what the reader
 * did while it was away. Framework-free (signals only), so node:test drives it
 * with a fake WebSocket and fake timers.
 *
 * - Reconnect: exponential backoff with full jitter (see {@link backoffDelay}),
 *   reset once a connection proved good (`hello` arrived). Never after a
 *   deliberate {@link ReconnectingSocket.close}; not after 1008/1009 (the
 *   server objected to what we sent: it would happen again).
 * - Resume: each subscription's cursor advances with every event received and
 *   is re-sent with `subscribe` on the next connection; the chat room is
 *   re-joined under the same name.
 * - Outbox (outbox.ts): a chat message keeps its `clientId` until the server's
 *   `ack`. After a reconnect (once `joined`) the unacknowledged ones go again
 *   with the same `clientId`; the server acknowledges a repeat without
 *   delivering it twice, so each message arrives exactly once, whatever was lost.
 */

// #region backoff
/** The first retry's ceiling: its wait is random in [0, 500 ms). */
export const BACKOFF_BASE_MS = 500;
/** The largest ceiling: however many failures in a row, no wait reaches 15 s. */
export const BACKOFF_CAP_MS = 15_000;
const SOCKET_BACKOFF: BackoffPolicy = { baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS };

/** The ceiling of retry number `attempt` (0 for the first): `min(cap, base · 2^attempt)`. */
export function backoffCeiling(attempt: number): number {
  return jitterCeiling(attempt + 1, SOCKET_BACKOFF);
}

/**
 * A random wait in [0, ceiling) before retry number `attempt`: even the first
 * retry is jittered. `attempt` counts failures since the last connection that
 * proved good (its `hello` arrived), not since the last socket that merely opened.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return fullJitterBackoff(attempt + 1, SOCKET_BACKOFF, random).delayMs;
}
// #endregion backoff

export type HelloMessage = Extract<ServerMessage, { type: 'hello' }>;

export interface ReconnectingSocketOptions {
  /** Where to connect; default `ws(s)://<the page's host>/ws`. */
  url?: string | (() => string);
  /** Default: the global `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Randomness of the jitter, in [0, 1); default Math.random. */
  random?: () => number;
  clock?: Clock;
  /** Makes each message's idempotency key; default a random UUID. */
  newClientId?: () => string;
  ackTimeoutMs?: number;
  maxFrames?: number;
}

/**
 * The reconnecting client. Creating one touches no browser API; {@link connect}
 * opens the first connection. Release it with {@link dispose}.
 */
export class ReconnectingSocket {
  readonly #state = signal<ConnectionState>({ status: 'idle' });
  readonly #lastClose = signal<CloseInfo | null>(null);
  readonly #attempts = signal(0);
  readonly #hello = signal<HelloMessage | null>(null);
  readonly #cursors = new ChannelCursors();
  readonly #room = signal<{ room: string; name: string } | null>(null);
  readonly #inRoom = signal(false);

  /** Connection state, for the badge. */
  readonly state: ReadonlySignal<ConnectionState> = this.#state;
  /** How the last connection ended, or null while none has. */
  readonly lastClose: ReadonlySignal<CloseInfo | null> = this.#lastClose;
  /** Reconnect attempts made so far (all of them, not reset by success). */
  readonly attempts: ReadonlySignal<number> = this.#attempts;
  /** The last `maxFrames` frames, oldest first. */
  readonly frames: ReadonlySignal<readonly FrameRecord[]>;
  /** Everything sent and received since creation. */
  readonly totals: ReadonlySignal<TrafficTotals>;
  /** The latest connection's `hello` (kept after it closes: the handshake stays readable). */
  readonly hello: ReadonlySignal<HelloMessage | null> = this.#hello;
  /** Chat messages sent (or waiting to be) without an `ack` yet, in order. */
  readonly outbox: ReadonlySignal<readonly OutboxEntry[]>;
  /** Channel → cursor (the id of the last event received). */
  readonly subscriptions: ReadonlySignal<ReadonlyMap<string, number>> = this.#cursors.byChannel;
  /** The room this client wants to be in, re-joined on every connection. */
  readonly room: ReadonlySignal<{ room: string; name: string } | null> = this.#room;
  /** True once the current connection got `joined`: chat messages can go. */
  readonly inRoom: ReadonlySignal<boolean> = this.#inRoom;

  readonly #url: () => string;
  readonly #WebSocket: () => WebSocketConstructor;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #newClientId: () => string;
  readonly #log: FrameLog;
  readonly #outbox: Outbox;

  #ws: WebSocketLike | null = null;
  /** Increases with every connection opened; tells the outbox which connection saw a send. */
  #connection = 0;
  /** Failed tries since the last good connection: the exponent of the next backoff. */
  #failures = 0;
  #reconnectTimer: unknown = null;
  #offlineTimer: unknown = null;
  #disposed = false;
  readonly #listeners = new Set<(message: ServerMessage) => void>();

  constructor(options: ReconnectingSocketOptions = {}) {
    const url = options.url;
    this.#url = typeof url === 'function' ? url : url ? () => url : () => defaultSocketUrl();
    this.#WebSocket = () => options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor);
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
    this.#newClientId = options.newClientId ?? randomClientId;
    this.#log = new FrameLog(this.#clock, options.maxFrames);
    this.frames = this.#log.frames;
    this.totals = this.#log.totals;
    const socket = this;
    this.#outbox = new Outbox(
      {
        send: (clientId, text) => this.send({ type: 'message', text, clientId }),
        get connection() {
          return socket.#connection;
        },
        get inRoom() {
          return socket.#inRoom.peek();
        },
      },
      this.#clock,
      options.ackTimeoutMs,
    );
    this.outbox = this.#outbox.entries;
  }

  /** 1 for the first connection, 2 for the next… (0 before any). */
  get connectionNumber(): number {
    return this.#connection;
  }

  /** Calls `listener` with every message the server sends, after this module has handled it. Returns the remover. */
  onMessage(listener: (message: ServerMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Opens the connection: the first time, after {@link close}, or to reconnect
   * at once (by hand, e.g. after a 1008). Resets the backoff. A no-op while
   * open or connecting.
   */
  connect(): void {
    if (this.#disposed) return;
    const status = this.#state.peek().status;
    if (status === 'open' || status === 'connecting') return;
    this.#clearWaits();
    this.#failures = 0;
    this.#open(0);
  }

  /** Closes for good (1000): no reconnect until {@link connect}. The outbox and subscriptions are kept. */
  close(reason = 'Closed by the client'): void {
    this.#endDeliberately(NORMAL_CLOSE_CODE, 'bye', { status: 'closed', reason: 'You closed the connection.' }, reason);
  }

  /**
   * Simulates losing the network for `ms`: closes the socket (4000 "offline")
   * and refuses to reconnect until the time is up. Messages sent meanwhile wait
   * in the outbox. Calling it again while offline extends the time.
   */
  goOffline(ms: number): void {
    if (this.#disposed) return;
    const until = this.#clock.now() + Math.max(0, ms);
    this.#endDeliberately(OFFLINE_CLOSE_CODE, 'offline', { status: 'offline', until });
    this.#offlineTimer = this.#clock.setTimeout(
      () => {
        this.#offlineTimer = null;
        if (this.#state.peek().status !== 'offline') return;
        this.#failures = 0;
        this.#open(0);
      },
      Math.max(0, ms),
    );
  }

  /** Releases the socket, the timers and the listeners. The object is unusable afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.close('Disposed');
    this.#disposed = true;
    this.#outbox.stopWaiting();
    this.#listeners.clear();
  }

  /** Receives the channel's events after `cursor`, now and after every reconnect (from the latest cursor then). */
  subscribe(channel: string, cursor = 0): void {
    this.#cursors.set(channel, cursor);
    this.send({ type: 'subscribe', channel, cursor });
  }

  unsubscribe(channel: string): void {
    if (!this.#cursors.delete(channel)) return;
    this.send({ type: 'unsubscribe', channel });
  }

  /** The last event id received on `channel`, or undefined when not subscribed. */
  cursorOf(channel: string): number | undefined {
    return this.#cursors.get(channel);
  }

  /** Joins `room` as `name`, now if connected, and again on every reconnect. */
  join(room: string, name: string): void {
    batch(() => {
      this.#room.value = { room, name };
      this.#inRoom.value = false;
    });
    this.send({ type: 'join', room, name });
  }

  /** Leaves the room; no more re-joins. Unacknowledged messages stay in the outbox (they go when you join again). */
  leave(): void {
    if (!this.#room.peek()) return;
    batch(() => {
      this.#room.value = null;
      this.#inRoom.value = false;
    });
    this.send({ type: 'leave' });
  }

  /**
   * Sends a chat message reliably: it gets a fresh `clientId` and stays in the
   * outbox until the server acknowledges it, across reconnects. Goes at once
   * when the connection is open and in the room, otherwise when it next is.
   * Returns the `clientId`.
   */
  sendMessage(text: string): string {
    const clientId = this.#newClientId();
    this.#outbox.add(clientId, text);
    return clientId;
  }

  /**
   * Sends a chat message once, now, outside the outbox: if it is refused or
   * lost, nobody resends it. (The flood demo uses it: a reliable outbox would
   * keep pushing refused messages, which is what gets a client banned.)
   * Returns its `clientId`, or null when the connection is not in a room.
   */
  sendMessageOnce(text: string): string | null {
    if (!this.#inRoom.peek()) return null;
    const clientId = this.#newClientId();
    return this.send({ type: 'message', text, clientId }) ? clientId : null;
  }

  /** Sends one message now if the connection is open; returns false (and drops it) otherwise. */
  send(message: ClientMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WEBSOCKET_OPEN || this.#state.peek().status !== 'open') return false;
    const text = JSON.stringify(message);
    try {
      ws.send(text);
    } catch {
      return false; // The socket is closing under us; its close event follows.
    }
    this.#log.add('up', message.type, text);
    return true;
  }

  /** Asks the server for a demo fault: `drop` (cut this socket, no close frame) or `restart` (1012 to the room). */
  simulate(fault: 'drop' | 'restart'): boolean {
    return this.send({ type: 'simulate', fault });
  }

  // ── connection lifecycle ──────────────────────────────────────────────────

  #open(attempt: number): void {
    const connection = ++this.#connection;
    this.#state.value = { status: 'connecting', attempt };
    let ws: WebSocketLike;
    try {
      const WebSocketImpl = this.#WebSocket();
      ws = new WebSocketImpl(this.#url());
    } catch (error) {
      // A bad URL or a blocked scheme throws at once (WHATWG WebSockets §3.1):
      // treat it like a connection that failed.
      this.#onClose(connection, { code: 1006, reason: error instanceof Error ? error.message : String(error), wasClean: false });
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws === ws) this.#onOpen();
    };
    ws.onmessage = (event) => {
      if (this.#ws === ws) this.#onFrame(event.data);
    };
    ws.onclose = (event) => {
      if (this.#ws === ws) this.#onClose(connection, event);
    };
    // An `error` event carries no detail (on purpose, WHATWG WebSockets §3.2); `close` always follows.
    ws.onerror = () => {};
  }

  #onOpen(): void {
    this.#state.value = { status: 'open' };
    // Resume: say again what this client wants, from where it got to.
    for (const [channel, cursor] of this.#cursors.entries()) this.send({ type: 'subscribe', channel, cursor });
    const room = this.#room.peek();
    if (room) this.send({ type: 'join', room: room.room, name: room.name });
  }

  #onFrame(data: unknown): void {
    if (typeof data !== 'string') {
      this.#log.add('down', 'binary', '(binary frame)', 0);
      return; // This protocol is JSON text only.
    }
    let message: ServerMessage | null = null;
    try {
      const parsed: unknown = JSON.parse(data);
      if (parsed && typeof parsed === 'object' && typeof (parsed as { type?: unknown }).type === 'string')
        message = parsed as ServerMessage;
    } catch {
      message = null;
    }
    this.#log.add('down', message?.type ?? '(not JSON)', data);
    if (!message) return;

    batch(() => {
      switch (message.type) {
        case 'hello':
          this.#hello.value = message;
          this.#failures = 0; // A good connection: the next outage starts the backoff from the beginning.
          break;
        case 'event':
          this.#cursors.advance(message.channel, message.event.id);
          break;
        case 'reset':
          this.#cursors.reset(message.channel, message.latestId);
          break;
        case 'joined':
          this.#inRoom.value = true;
          this.#outbox.flush();
          break;
        case 'ack':
          this.#outbox.acknowledged(message.clientId);
          break;
      }
    });
    for (const listener of [...this.#listeners]) {
      try {
        listener(message);
      } catch (error) {
        // One broken listener must not stop the others, nor the socket.
        console.error(error);
      }
    }
  }

  #onClose(connection: number, event: { code: number; reason: string; wasClean: boolean }): void {
    if (connection !== this.#connection) return;
    const ws = this.#ws;
    if (ws) this.#detach(ws);
    this.#ws = null;
    this.#outbox.stopWaiting();
    const code = event.code || 1006;
    const retried = isRetryable(code) && !this.#disposed;
    const by = event.wasClean ? 'server' : 'network';
    if (event.wasClean) this.#log.add('down', 'close', `${code} ${event.reason}`.trim(), 2 + utf8Length(event.reason));
    else this.#log.add('down', 'lost', `${code}: no close frame`, 0);
    batch(() => {
      this.#inRoom.value = false;
      this.#lastClose.value = closeInfo(code, { reason: event.reason, wasClean: event.wasClean, by, retried, at: this.#clock.now() });
      if (retried) this.#scheduleReconnect();
      else this.#state.value = { status: 'closed', reason: explainClose(code) };
    });
  }

  #scheduleReconnect(): void {
    const attempt = this.#failures++;
    const delayMs = backoffDelay(attempt, this.#random);
    // The UI counts retries from 1.
    this.#state.value = { status: 'reconnecting', attempt: attempt + 1, delayMs, at: this.#clock.now() + delayMs };
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = null;
      this.#attempts.value = this.#attempts.peek() + 1;
      this.#open(attempt + 1);
    }, delayMs);
  }

  /** Ends the connection on this client's initiative, into `next` (closed or offline). */
  #endDeliberately(code: number, frameReason: string, next: ConnectionState, reason = frameReason): void {
    this.#clearWaits();
    this.#outbox.stopWaiting();
    const ws = this.#ws;
    this.#ws = null;
    const hadConnection = ws !== null;
    if (ws) {
      this.#detach(ws);
      const wasOpen = ws.readyState === WEBSOCKET_OPEN;
      try {
        ws.close(code, frameReason);
      } catch {
        // Already closing.
      }
      if (wasOpen) this.#log.add('up', 'close', `${code} ${frameReason}`, 2 + utf8Length(frameReason));
    }
    batch(() => {
      this.#inRoom.value = false;
      if (hadConnection) {
        this.#lastClose.value = closeInfo(code, { reason, wasClean: true, by: 'client', retried: false, at: this.#clock.now() });
      }
      this.#state.value = next;
    });
  }

  #detach(ws: WebSocketLike): void {
    ws.onopen = null;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = null;
  }

  /** Stops waiting to reconnect, or to come back online. */
  #clearWaits(): void {
    if (this.#reconnectTimer !== null) this.#clock.clearTimeout(this.#reconnectTimer);
    if (this.#offlineTimer !== null) this.#clock.clearTimeout(this.#offlineTimer);
    this.#reconnectTimer = null;
    this.#offlineTimer = null;
  }
}
