import type { WebSocket } from 'ws';

/** Options of a {@link Heartbeat}. */
export interface HeartbeatOptions {
  /** Time between pings. */
  intervalMs: number;
  /** Called (instead of anything else) for a socket that did not answer the previous ping. */
  onSilent: (socket: WebSocket) => void;
  /** Called after each round of pings, e.g. to sweep state that expires. */
  onTick?: () => void;
}

// #region heartbeat
/**
 * Ping/pong heartbeats for every tracked socket, on one shared timer.
 *
 * A dropped network sends no FIN: without traffic, the server never learns
 * the peer is gone, and `close` never fires. So every `intervalMs` each
 * socket that answered the previous ping (RFC 6455 §5.5.2: a pong is
 * mandatory, browsers send it without any script) gets a new one; a socket
 * that did not is reported as silent, and the caller `terminate()`s it. A
 * half-open connection is thus gone within two intervals.
 */
export class Heartbeat {
  readonly #onSilent: (socket: WebSocket) => void;
  readonly #onTick: () => void;
  /** Whether each socket answered since the last ping. */
  readonly #answered = new Map<WebSocket, boolean>();
  readonly #timer: NodeJS.Timeout;
  /** One `pong` listener for every socket (`this` is the socket), not a closure each: memory per idle socket. */
  readonly #onPong: (this: WebSocket) => void;

  constructor(options: HeartbeatOptions) {
    const answered = this.#answered;
    this.#onPong = function (this: WebSocket) {
      if (answered.has(this)) answered.set(this, true);
    };
    this.#onSilent = options.onSilent;
    this.#onTick = options.onTick ?? (() => {});
    this.#timer = setInterval(() => this.#tick(), options.intervalMs);
    // A heartbeat alone must not keep the process alive; the server's sockets do.
    this.#timer.unref();
  }

  /** Starts watching `socket`, until {@link untrack} (call it on close). */
  track(socket: WebSocket): void {
    this.#answered.set(socket, true);
    socket.on('pong', this.#onPong);
  }

  /** Stops watching `socket`; harmless if it was not watched. */
  untrack(socket: WebSocket): void {
    this.#answered.delete(socket);
    socket.off('pong', this.#onPong);
  }

  /** Sockets watched now. */
  get size(): number {
    return this.#answered.size;
  }

  /** Stops the timer; tracked sockets are left alone. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    for (const [socket, answered] of [...this.#answered]) {
      if (!answered) {
        this.#answered.delete(socket);
        this.#onSilent(socket);
        continue;
      }
      this.#answered.set(socket, false);
      socket.ping();
    }
    this.#onTick();
  }
}
// #endregion heartbeat
