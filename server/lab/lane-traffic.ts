import type { LabTraffic } from '../../src/protocol/lab.ts';

/** The two counters of a TCP socket this module reads (`net.Socket` has them; tests pass plain objects). */
export interface CountedSocket {
  /** Bytes received so far on the connection (everything above TCP: HTTP text, WebSocket frames). */
  readonly bytesRead: number;
  /** Bytes sent so far, including what still waits in the socket's buffer. */
  readonly bytesWritten: number;
}

/** A socket's two counters at one instant. */
export interface SocketMark {
  read: number;
  written: number;
}

/** One request (or one WebSocket connection) being counted: where its bytes start on its socket. */
export interface Exchange {
  readonly socket: CountedSocket;
  readonly start: SocketMark;
}

/**
 * The traffic of one technique in one lab: requests, bytes up and down,
 * connections. A request's bytes are the growth of its socket's counters
 * from the end of the previous request on that socket (its `start`) to the
 * end of its own response; an exchange still in flight (a held long poll, an
 * SSE stream, a WebSocket) counts up to now, so the figures move while a
 * stream is open, with no timer.
 */
export class LaneTraffic {
  #requests = 0;
  #bytesUp = 0;
  #bytesDown = 0;
  #connectionsUsed = 0;
  readonly #open = new Set<Exchange>();
  readonly #sockets = new WeakSet<object>();

  /** A request (or handshake) began on `socket`, whose counters stood at `start` before its first byte. */
  begin(socket: CountedSocket, start: SocketMark): Exchange {
    this.#requests += 1;
    if (!this.#sockets.has(socket)) {
      this.#sockets.add(socket);
      this.#connectionsUsed += 1;
    }
    const exchange: Exchange = { socket, start };
    this.#open.add(exchange);
    return exchange;
  }

  /** The exchange is over; `end` is its socket's counters then. Idempotent. */
  end(exchange: Exchange, end: SocketMark): void {
    if (!this.#open.delete(exchange)) return;
    this.#bytesUp += Math.max(0, end.read - exchange.start.read);
    this.#bytesDown += Math.max(0, end.written - exchange.start.written);
  }

  /** The figures now, open exchanges included. */
  snapshot(): LabTraffic {
    let bytesUp = this.#bytesUp;
    let bytesDown = this.#bytesDown;
    for (const { socket, start } of this.#open) {
      bytesUp += Math.max(0, socket.bytesRead - start.read);
      bytesDown += Math.max(0, socket.bytesWritten - start.written);
    }
    return {
      requests: this.#requests,
      bytesUp,
      bytesDown,
      connectionsHeld: this.#open.size,
      connectionsUsed: this.#connectionsUsed,
    };
  }
}
