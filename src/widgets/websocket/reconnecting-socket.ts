import { batch, signal, type ReadonlySignal } from '@preact/signals';
import { WS_PATH, type ClientMessage, type ServerMessage } from '../../protocol/websocket.ts';
import { utf8Length } from '../../protocol/utf8-length.ts';
import { frameHeaderBytes } from '../../protocol/websocket-frame.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { NORMAL_CLOSE_CODE, OFFLINE_CLOSE_CODE, closeCodeName, explainClose, isRetryable } from './close-codes.ts';

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
 * - Outbox: a chat message keeps its `clientId` until the server's `ack`.
 *   After a reconnect (once `joined`) the unacknowledged ones go again with the
 *   same `clientId`; the server acknowledges a repeat without delivering it
 *   twice, so each message arrives exactly once, whatever was lost.
 */

// #region backoff
/** The first retry's ceiling: its wait is random in [0, 500 ms). */
export const BACKOFF_BASE_MS = 500;
/** The largest ceiling: however many failures in a row, no wait reaches 15 s. */
export const BACKOFF_CAP_MS = 15_000;

/** The ceiling of retry number `attempt` (0 for the first): `min(cap, base · 2^attempt)`. */
export function backoffCeiling(attempt: number): number {
  return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
}

/**
 * Full jitter: a uniformly random wait in [0, ceiling). When a restart cuts
 * everyone off in the same millisecond, fixed delays (or a plain doubling)
 * bring them all back in the same millisecond too, at every step; spread over
 * the whole interval, they return at a flat rate (AWS Architecture Blog,
 * "Exponential Backoff And Jitter", 2015). Even the first retry is jittered.
 * `attempt` counts failures since the last connection that proved good (its
 * `hello` arrived), not since the last socket that merely opened.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(attempt));
}
// #endregion backoff

/** An outbox message with no `ack` this long after it was sent is sent again, on the same connection (e.g. after `rate-limited`). */
export const ACK_TIMEOUT_MS = 5_000;
/** Sends of one message on one connection, at most (the first plus retries); the next connection starts again. */
export const MAX_SENDS_PER_CONNECTION = 3;
/** Frames kept in {@link ReconnectingSocket.frames}. */
export const MAX_FRAMES = 100;

/** What the UI shows about the connection. */
export type ConnectionState =
  /** `connect()` not called yet. */
  | { status: 'idle' }
  /** Opening handshake under way; `attempt` is 0 for the first connection, k for the k-th retry. */
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  /** Waiting `delayMs` before retry number `attempt` (1-based), due at `at` (client clock). */
  | { status: 'reconnecting'; attempt: number; delayMs: number; at: number }
  /** Simulated loss of network: no connection until `until` (client clock). */
  | { status: 'offline'; until: number }
  /** Not reconnecting by itself; `reason` says why. {@link ReconnectingSocket.connect} opens it again. */
  | { status: 'closed'; reason: string };

export type ConnectionStatus = ConnectionState['status'];

/** How the last connection ended. */
export interface CloseInfo {
  code: number;
  /** `1012` → `Service Restart`. */
  name: string;
  /** The close frame's reason text, if any. */
  reason: string;
  /** False when no close frame was exchanged (1006: the connection just died). */
  wasClean: boolean;
  /** Who ended it: this client (close, going offline), the server (a close frame), or the network (none). */
  by: 'client' | 'server' | 'network';
  /** One sentence for the reader, including what happens next. */
  explanation: string;
  /** Whether the client reconnects by itself. */
  retried: boolean;
  at: number;
}

/** One frame in the log. */
export interface FrameRecord {
  seq: number;
  at: number;
  /** `up`: this client sent it; `down`: it arrived. */
  direction: 'up' | 'down';
  /** The message's `type`, `close`, or `lost` (no frame: the connection died). */
  type: string;
  /** Payload bytes (UTF-8 length of the JSON; for `close`, the 2-byte code plus the reason). */
  bytes: number;
  /** The frame header on the wire, estimated per RFC 6455 §5.2 ({@link frameHeaderBytes}); 0 for `lost`. */
  headerBytes: number;
  /** The payload as text (shortened), for the log. */
  text: string;
}

export interface TrafficTotals {
  framesUp: number;
  framesDown: number;
  /** Payload bytes only; see {@link FrameRecord.headerBytes}. */
  bytesUp: number;
  bytesDown: number;
  headerBytesUp: number;
  headerBytesDown: number;
}

/** A chat message waiting for its `ack`. */
export interface OutboxEntry {
  clientId: string;
  text: string;
  queuedAt: number;
  /** Times it was sent, over all connections. */
  sends: number;
  lastSentAt: number | null;
  /** The connection (see {@link ReconnectingSocket.connectionNumber}) it was last sent on, or null if never sent. */
  sentOn: number | null;
  /** Sends on {@link sentOn}. */
  sendsOnConnection: number;
}

export type HelloMessage = Extract<ServerMessage, { type: 'hello' }>;

/** The slice of the WebSocket API this module uses (the browser's, Node's, or a test's fake). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

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

const OPEN = 1; // WebSocket.OPEN, which a fake need not define.

/** `ws:` for an `http:` page, `wss:` for `https:` (a page served over TLS may not open a plain socket: mixed content). */
export function defaultSocketUrl(location: Pick<Location, 'protocol' | 'host'> | undefined = globalThis.location): string {
  if (!location) throw new Error('No page location: pass `url` when not running in a browser.');
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS_PATH}`;
}

/**
 * A random UUID. `crypto.randomUUID` exists only in secure contexts (HTTPS or
 * localhost), and a workshop on a LAN is served over plain HTTP, so fall back
 * to `getRandomValues` (available everywhere) for 122 random bits.
 */
export function randomClientId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const LOG_TEXT_MAX = 300;

const noTraffic: TrafficTotals = { framesUp: 0, framesDown: 0, bytesUp: 0, bytesDown: 0, headerBytesUp: 0, headerBytesDown: 0 };

/**
 * The reconnecting client. Creating one touches no browser API; {@link connect}
 * opens the first connection. Release it with {@link dispose}.
 */
export class ReconnectingSocket {
  readonly #state = signal<ConnectionState>({ status: 'idle' });
  readonly #lastClose = signal<CloseInfo | null>(null);
  readonly #attempts = signal(0);
  readonly #frames = signal<readonly FrameRecord[]>([]);
  readonly #totals = signal<TrafficTotals>(noTraffic);
  readonly #hello = signal<HelloMessage | null>(null);
  readonly #outbox = signal<readonly OutboxEntry[]>([]);
  readonly #subscriptions = signal<ReadonlyMap<string, number>>(new Map());
  readonly #room = signal<{ room: string; name: string } | null>(null);
  readonly #inRoom = signal(false);

  /** Connection state, for the badge. */
  readonly state: ReadonlySignal<ConnectionState> = this.#state;
  /** How the last connection ended, or null while none has. */
  readonly lastClose: ReadonlySignal<CloseInfo | null> = this.#lastClose;
  /** Reconnect attempts made so far (all of them, not reset by success). */
  readonly attempts: ReadonlySignal<number> = this.#attempts;
  /** The last {@link MAX_FRAMES} frames, oldest first. */
  readonly frames: ReadonlySignal<readonly FrameRecord[]> = this.#frames;
  /** Everything sent and received since creation. */
  readonly totals: ReadonlySignal<TrafficTotals> = this.#totals;
  /** The latest connection's `hello` (kept after it closes: the handshake stays readable). */
  readonly hello: ReadonlySignal<HelloMessage | null> = this.#hello;
  /** Chat messages sent (or waiting to be) without an `ack` yet, in order. */
  readonly outbox: ReadonlySignal<readonly OutboxEntry[]> = this.#outbox;
  /** Channel → cursor (the id of the last event received). */
  readonly subscriptions: ReadonlySignal<ReadonlyMap<string, number>> = this.#subscriptions;
  /** The room this client wants to be in, re-joined on every connection. */
  readonly room: ReadonlySignal<{ room: string; name: string } | null> = this.#room;
  /** True once the current connection got `joined`: chat messages can go. */
  readonly inRoom: ReadonlySignal<boolean> = this.#inRoom;

  readonly #url: () => string;
  readonly #WebSocket: () => WebSocketConstructor;
  readonly #random: () => number;
  readonly #clock: Clock;
  readonly #newClientId: () => string;
  readonly #ackTimeoutMs: number;
  readonly #maxFrames: number;

  #ws: WebSocketLike | null = null;
  /** Increases with every connection opened; tells the outbox which connection saw a send. */
  #connection = 0;
  /** Failed tries since the last good connection: the exponent of the next backoff. */
  #failures = 0;
  #reconnectTimer: unknown = null;
  #offlineTimer: unknown = null;
  #ackTimer: unknown = null;
  #frameSeq = 0;
  #disposed = false;
  readonly #listeners = new Set<(message: ServerMessage) => void>();

  constructor(options: ReconnectingSocketOptions = {}) {
    const url = options.url;
    this.#url = typeof url === 'function' ? url : url ? () => url : () => defaultSocketUrl();
    this.#WebSocket = () => options.WebSocket ?? (globalThis.WebSocket as unknown as WebSocketConstructor);
    this.#random = options.random ?? Math.random;
    this.#clock = options.clock ?? systemClock;
    this.#newClientId = options.newClientId ?? randomClientId;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS;
    this.#maxFrames = options.maxFrames ?? MAX_FRAMES;
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
    this.#clearTimer('reconnect');
    this.#clearTimer('offline');
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
    this.#clearTimer('ack');
    this.#listeners.clear();
  }

  /** Receives the channel's events after `cursor`, now and after every reconnect (from the latest cursor then). */
  subscribe(channel: string, cursor = 0): void {
    const next = new Map(this.#subscriptions.peek());
    next.set(channel, cursor);
    this.#subscriptions.value = next;
    this.send({ type: 'subscribe', channel, cursor });
  }

  unsubscribe(channel: string): void {
    const next = new Map(this.#subscriptions.peek());
    if (!next.delete(channel)) return;
    this.#subscriptions.value = next;
    this.send({ type: 'unsubscribe', channel });
  }

  /** The last event id received on `channel`, or undefined when not subscribed. */
  cursorOf(channel: string): number | undefined {
    return this.#subscriptions.peek().get(channel);
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
    const entry: OutboxEntry = {
      clientId: this.#newClientId(),
      text,
      queuedAt: this.#clock.now(),
      sends: 0,
      lastSentAt: null,
      sentOn: null,
      sendsOnConnection: 0,
    };
    this.#outbox.value = [...this.#outbox.peek(), entry];
    if (this.#inRoom.peek()) this.#transmit(entry.clientId);
    return entry.clientId;
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
    if (!ws || ws.readyState !== OPEN || this.#state.peek().status !== 'open') return false;
    const text = JSON.stringify(message);
    try {
      ws.send(text);
    } catch {
      return false; // The socket is closing under us; its close event follows.
    }
    this.#log('up', message.type, text);
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
    for (const [channel, cursor] of this.#subscriptions.peek()) this.send({ type: 'subscribe', channel, cursor });
    const room = this.#room.peek();
    if (room) this.send({ type: 'join', room: room.room, name: room.name });
  }

  #onFrame(data: unknown): void {
    if (typeof data !== 'string') {
      this.#log('down', 'binary', '(binary frame)', 0);
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
    this.#log('down', message?.type ?? '(not JSON)', data);
    if (!message) return;

    batch(() => {
      switch (message.type) {
        case 'hello':
          this.#hello.value = message;
          this.#failures = 0; // A good connection: the next outage starts the backoff from the beginning.
          break;
        case 'event': {
          const cursor = this.#subscriptions.peek().get(message.channel);
          if (cursor !== undefined && message.event.id > cursor) this.#setCursor(message.channel, message.event.id);
          break;
        }
        case 'reset':
          // The server could not resume from our cursor; live events follow from its latest id.
          if (this.#subscriptions.peek().has(message.channel)) this.#setCursor(message.channel, message.latestId);
          break;
        case 'joined':
          this.#inRoom.value = true;
          this.#flushOutbox();
          break;
        case 'ack':
          this.#outbox.value = this.#outbox.peek().filter((entry) => entry.clientId !== message.clientId);
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
    this.#clearTimer('ack');
    const code = event.code || 1006;
    const retried = isRetryable(code) && !this.#disposed;
    const by = event.wasClean ? 'server' : 'network';
    if (event.wasClean) this.#log('down', 'close', `${code} ${event.reason}`.trim(), 2 + utf8Length(event.reason));
    else this.#log('down', 'lost', `${code}: no close frame`, 0);
    batch(() => {
      this.#inRoom.value = false;
      this.#lastClose.value = {
        code,
        name: closeCodeName(code),
        reason: event.reason,
        wasClean: event.wasClean,
        by,
        explanation: explainClose(code),
        retried,
        at: this.#clock.now(),
      };
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
    this.#clearTimer('reconnect');
    this.#clearTimer('offline');
    this.#clearTimer('ack');
    const ws = this.#ws;
    this.#ws = null;
    const hadConnection = ws !== null;
    if (ws) {
      this.#detach(ws);
      const wasOpen = ws.readyState === OPEN;
      try {
        ws.close(code, frameReason);
      } catch {
        // Already closing.
      }
      if (wasOpen) this.#log('up', 'close', `${code} ${frameReason}`, 2 + utf8Length(frameReason));
    }
    batch(() => {
      this.#inRoom.value = false;
      if (hadConnection) {
        this.#lastClose.value = {
          code,
          name: closeCodeName(code),
          reason,
          wasClean: true,
          by: 'client',
          explanation: explainClose(code),
          retried: false,
          at: this.#clock.now(),
        };
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

  // ── outbox ────────────────────────────────────────────────────────────────

  /** After `joined`: everything not yet sent on this connection goes, in order, with its original clientId. */
  #flushOutbox(): void {
    for (const entry of this.#outbox.peek()) {
      if (entry.sentOn !== this.#connection) this.#transmit(entry.clientId);
    }
  }

  #transmit(clientId: string): void {
    const entry = this.#outbox.peek().find((item) => item.clientId === clientId);
    if (!entry) return;
    if (!this.send({ type: 'message', text: entry.text, clientId })) return;
    const sameConnection = entry.sentOn === this.#connection;
    const updated: OutboxEntry = {
      ...entry,
      sends: entry.sends + 1,
      lastSentAt: this.#clock.now(),
      sentOn: this.#connection,
      sendsOnConnection: sameConnection ? entry.sendsOnConnection + 1 : 1,
    };
    this.#outbox.value = this.#outbox.peek().map((item) => (item.clientId === clientId ? updated : item));
    this.#scheduleAckCheck();
  }

  /**
   * An answer can be missing on a live connection only when the server refused
   * the message (`rate-limited`, whose error does not say which message). Sending
   * it again later is safe: a repeat of a stored message is only acknowledged.
   */
  #scheduleAckCheck(): void {
    if (this.#ackTimer !== null) return;
    this.#ackTimer = this.#clock.setTimeout(() => {
      this.#ackTimer = null;
      if (!this.#inRoom.peek()) return;
      const now = this.#clock.now();
      let waiting = false;
      for (const entry of this.#outbox.peek()) {
        if (entry.sentOn !== this.#connection || entry.sendsOnConnection >= MAX_SENDS_PER_CONNECTION) continue;
        if (now - (entry.lastSentAt ?? 0) >= this.#ackTimeoutMs) this.#transmit(entry.clientId);
        else waiting = true;
      }
      if (waiting) this.#scheduleAckCheck();
    }, this.#ackTimeoutMs);
  }

  // ── bookkeeping ───────────────────────────────────────────────────────────

  #setCursor(channel: string, cursor: number): void {
    const next = new Map(this.#subscriptions.peek());
    next.set(channel, cursor);
    this.#subscriptions.value = next;
  }

  #log(direction: 'up' | 'down', type: string, text: string, payloadBytes?: number): void {
    const bytes = payloadBytes ?? utf8Length(text);
    const headerBytes = type === 'lost' ? 0 : frameHeaderBytes(bytes, direction === 'up');
    const record: FrameRecord = {
      seq: ++this.#frameSeq,
      at: this.#clock.now(),
      direction,
      type,
      bytes,
      headerBytes,
      text: text.length > LOG_TEXT_MAX ? `${text.slice(0, LOG_TEXT_MAX)}…` : text,
    };
    const frames = this.#frames.peek();
    const kept = frames.length >= this.#maxFrames ? frames.slice(frames.length - this.#maxFrames + 1) : frames;
    const totals = this.#totals.peek();
    const counted = type !== 'lost';
    batch(() => {
      this.#frames.value = [...kept, record];
      this.#totals.value =
        direction === 'up'
          ? { ...totals, framesUp: totals.framesUp + 1, bytesUp: totals.bytesUp + bytes, headerBytesUp: totals.headerBytesUp + headerBytes }
          : {
              ...totals,
              framesDown: totals.framesDown + (counted ? 1 : 0),
              bytesDown: totals.bytesDown + bytes,
              headerBytesDown: totals.headerBytesDown + headerBytes,
            };
    });
  }

  #clearTimer(which: 'reconnect' | 'offline' | 'ack'): void {
    if (which === 'reconnect' && this.#reconnectTimer !== null) {
      this.#clock.clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = null;
    } else if (which === 'offline' && this.#offlineTimer !== null) {
      this.#clock.clearTimeout(this.#offlineTimer);
      this.#offlineTimer = null;
    } else if (which === 'ack' && this.#ackTimer !== null) {
      this.#clock.clearTimeout(this.#ackTimer);
      this.#ackTimer = null;
    }
  }
}
