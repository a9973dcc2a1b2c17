import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { WS_CLOSE, type Member, type ServerMessage } from '../../src/protocol/websocket.ts';
import { ReplayGate } from '../events/replay-gate.ts';
import { SerialQueue } from '../workshops/serial-queue.ts';
import { encodeMessage, type EncodedRecipient } from './broadcast.ts';
import type { ChannelSubscriber } from './channel-fanout.ts';
import type { ChatParticipant } from './chat-rooms.ts';
import type { MessageRateLimiter } from './rate-limiter.ts';

/** What a {@link WsConnection} needs from the endpoint that accepted it. */
export interface WsConnectionOptions {
  socket: WebSocket;
  /** The TCP socket `socket` runs on (the one `handleUpgrade` was given): frames built once go there. */
  wire: Duplex;
  id: string;
  limiter: MessageRateLimiter;
  /** Bytes that may wait in the socket's buffers before the reader is judged too slow. */
  maxBufferedBytes: number;
  /**
   * Releases what the connection holds elsewhere (room, subscriptions,
   * heartbeat). Called exactly once: when the server starts closing it, or
   * when the socket closed on its own, whichever comes first.
   */
  release: (connection: WsConnection) => void;
}

/**
 * One accepted WebSocket and its state: who it is in chat, which channels it
 * follows, its rate limit. Every send goes through {@link sendEncoded}, which
 * enforces the backpressure limit; every way out goes through {@link close},
 * {@link terminate} or the socket's own `close`, and releases everything once.
 */
export class WsConnection implements ChatParticipant, EncodedRecipient {
  readonly id: string;
  readonly socket: WebSocket;
  readonly limiter: MessageRateLimiter;
  /** The chat identity; its name is set by `join` (a new object each time, so history keeps old names). */
  member: Member;
  /** The room joined, if any. */
  room: string | undefined;
  readonly subscriptions = new Map<string, ChannelSubscription>();
  /**
   * The client's messages are handled through this, one at a time, in the
   * order they came: a chat request may wait for Redis, and the messages after
   * it (and the leave when the socket closes) must wait too.
   */
  readonly requests = new SerialQueue();
  readonly #wire: Duplex;
  readonly #maxBufferedBytes: number;
  readonly #release: (connection: WsConnection) => void;
  #closed = false;
  #released = false;

  constructor(options: WsConnectionOptions) {
    this.id = options.id;
    this.socket = options.socket;
    this.#wire = options.wire;
    this.limiter = options.limiter;
    this.member = { id: options.id, name: '' };
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#release = options.release;
    // `ws` emits 'close' once: `on` spares the wrapper `once` makes per listener (memory per idle socket).
    options.socket.on('close', () => this.#finish());
  }

  /** True once the server started closing it or it closed: nothing more is sent or handled. */
  get closed(): boolean {
    return this.#closed;
  }

  send(message: ServerMessage): boolean {
    return this.sendEncoded(encodeMessage(message));
  }

  // #region backpressure
  /**
   * Sends an encoded message, unless the reader is too slow. `send()` never
   * refuses: what the network cannot take yet waits in memory, without limit
   * (`bufferedAmount`: bytes in `ws`'s queue and the socket's buffer). Past
   * `maxBufferedBytes` the server stops buffering and closes with 1013 Try
   * Again Later; the client reconnects and resumes from its cursor.
   */
  sendEncoded(payload: Buffer): boolean {
    if (!this.#mayWrite()) return false;
    this.socket.send(payload, { binary: false });
    return true;
  }

  /**
   * Sends a text frame built once for many sockets (`textFrame()`), under
   * the same limit. It goes straight to the TCP socket: `ws` writes each of its
   * own frames there whole and at once (no compression is negotiated), so
   * frames never interleave, and `bufferedAmount` counts these bytes too.
   */
  sendFrame(frame: Buffer): boolean {
    if (!this.#mayWrite()) return false;
    this.#wire.write(frame);
    return true;
  }

  #mayWrite(): boolean {
    if (this.#closed || this.socket.readyState !== WebSocket.OPEN) return false;
    if (this.socket.bufferedAmount > this.#maxBufferedBytes) {
      this.close(WS_CLOSE.tryAgainLater, 'Reading too slowly: reconnect and resume from your cursor');
      return false;
    }
    return true;
  }
  // #endregion backpressure

  /**
   * Marks the connection closed without closing the socket yet, so that while
   * several connections are closed together none is sent the others' presence.
   */
  beginClosing(): void {
    this.#closed = true;
  }

  /** Closes with a close frame (`reason` ≤ 123 bytes); `ws` cuts the socket if the peer does not answer within 30 s. */
  close(code: number, reason: string): void {
    this.#finish();
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(code, reason);
  }

  /** Cuts the TCP connection with no close frame, as a lost network would. */
  terminate(): void {
    this.#finish();
    this.socket.terminate();
  }

  #finish(): void {
    this.#closed = true;
    if (this.#released) return;
    this.#released = true;
    this.#release(this);
  }
}

/**
 * A connection's subscription to one channel. Live events wait while the
 * replay from the log is sent, then go out in order, each once (see
 * {@link ReplayGate}).
 */
export class ChannelSubscription implements ChannelSubscriber {
  readonly channel: string;
  readonly #gate: ReplayGate<Buffer>;
  readonly #onLost: (lastId: number | undefined) => void;

  /** `onLost` resubscribes from the last id sent (see {@link ChannelSubscriber.lost}). */
  constructor(connection: WsConnection, channel: string, onLost: (lastId: number | undefined) => void) {
    this.channel = channel;
    this.#gate = new ReplayGate((_event, frame) => connection.sendFrame(frame));
    this.#onLost = onLost;
  }

  receive(event: ChannelEvent, frame: Buffer): void {
    this.#gate.push(event, frame);
  }

  lost(): void {
    this.#onLost(this.#gate.lastId);
  }

  /** The replay covered every event up to `lastId`: live events after it go out from now on. */
  open(lastId: number): void {
    this.#gate.open(lastId);
  }
}
