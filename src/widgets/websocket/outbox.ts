import { signal, type ReadonlySignal } from '@preact/signals';
import type { Clock } from '../shared/clock.ts';

/** An outbox message with no `ack` this long after it was sent is sent again, on the same connection (e.g. after `rate-limited`). */
export const ACK_TIMEOUT_MS = 5_000;
/** Sends of one message on one connection, at most (the first plus retries); the next connection starts again. */
export const MAX_SENDS_PER_CONNECTION = 3;

/** A chat message waiting for its `ack`. */
export interface OutboxEntry {
  clientId: string;
  text: string;
  queuedAt: number;
  /** Times it was sent, over all connections. */
  sends: number;
  lastSentAt: number | null;
  /** The connection (see `ReconnectingSocket.connectionNumber`) it was last sent on, or null if never sent. */
  sentOn: number | null;
  /** Sends on {@link sentOn}. */
  sendsOnConnection: number;
}

/** What the outbox needs of its socket. */
export interface OutboxSocket {
  /** Sends the message now; false when it could not go. */
  send(clientId: string, text: string): boolean;
  /** The connection now (1, 2, …). */
  readonly connection: number;
  /** The connection got `joined`: messages may go. */
  readonly inRoom: boolean;
}

/**
 * Chat messages that keep their `clientId` until the server's `ack`: sent
 * again after a reconnect, and again on the same connection when no answer
 * came (a `rate-limited` refusal does not say which message it refused).
 * The server acknowledges a repeat without delivering it twice.
 */
export class Outbox {
  readonly #entries = signal<readonly OutboxEntry[]>([]);
  /** Messages sent (or waiting to be) without an `ack` yet, in order. */
  readonly entries: ReadonlySignal<readonly OutboxEntry[]> = this.#entries;
  readonly #socket: OutboxSocket;
  readonly #clock: Clock;
  readonly #ackTimeoutMs: number;
  #ackTimer: unknown = null;

  constructor(socket: OutboxSocket, clock: Clock, ackTimeoutMs = ACK_TIMEOUT_MS) {
    this.#socket = socket;
    this.#clock = clock;
    this.#ackTimeoutMs = ackTimeoutMs;
  }

  /** Queues `text` as `clientId`; it goes at once when the connection is in the room. */
  add(clientId: string, text: string): void {
    const entry: OutboxEntry = {
      clientId,
      text,
      queuedAt: this.#clock.now(),
      sends: 0,
      lastSentAt: null,
      sentOn: null,
      sendsOnConnection: 0,
    };
    this.#entries.value = [...this.#entries.peek(), entry];
    if (this.#socket.inRoom) this.#transmit(clientId);
  }

  /** The server stored the message: it leaves the outbox. */
  acknowledged(clientId: string): void {
    this.#entries.value = this.#entries.peek().filter((entry) => entry.clientId !== clientId);
  }

  /** After `joined`: everything not yet sent on this connection goes, in order, with its original clientId. */
  flush(): void {
    for (const entry of this.#entries.peek()) {
      if (entry.sentOn !== this.#socket.connection) this.#transmit(entry.clientId);
    }
  }

  /** The connection ended: no resends until the next one. */
  stopWaiting(): void {
    if (this.#ackTimer !== null) this.#clock.clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
  }

  #transmit(clientId: string): void {
    const entry = this.#entries.peek().find((item) => item.clientId === clientId);
    if (!entry) return;
    if (!this.#socket.send(clientId, entry.text)) return;
    const connection = this.#socket.connection;
    const updated: OutboxEntry = {
      ...entry,
      sends: entry.sends + 1,
      lastSentAt: this.#clock.now(),
      sentOn: connection,
      sendsOnConnection: entry.sentOn === connection ? entry.sendsOnConnection + 1 : 1,
    };
    this.#entries.value = this.#entries.peek().map((item) => (item.clientId === clientId ? updated : item));
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
      if (!this.#socket.inRoom) return;
      const now = this.#clock.now();
      let waiting = false;
      for (const entry of this.#entries.peek()) {
        if (entry.sentOn !== this.#socket.connection || entry.sendsOnConnection >= MAX_SENDS_PER_CONNECTION) continue;
        if (now - (entry.lastSentAt ?? 0) >= this.#ackTimeoutMs) this.#transmit(entry.clientId);
        else waiting = true;
      }
      if (waiting) this.#scheduleAckCheck();
    }, this.#ackTimeoutMs);
  }
}
