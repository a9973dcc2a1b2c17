import { randomBytes } from 'node:crypto';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { ChannelLog, type LogRead } from './channel-log.ts';

/** Called with each event published to a channel it subscribed to. */
export type EventListener = (event: ChannelEvent) => void;

/**
 * Called when the bus can no longer continue exactly from the last event it
 * delivered: the shared log was lost (Redis restarted without its data) and
 * ids started over. The consumer should make its client resume from its
 * cursor, which then gets a `reset`: end the SSE stream, answer the long poll.
 */
export type LostListener = () => void;

/**
 * Publish/subscribe per channel, with the log behind it. Every technique
 * (short and long polling, SSE, WebSockets) and every simulation talks to
 * this interface only, so the Redis backplane (`redis-event-bus.ts`) can
 * replace the in-memory one.
 *
 * Reads are asynchronous because the log may live in another process. A
 * consumer that resumes from a cursor therefore subscribes first, then reads
 * the log, and lets a {@link ReplayGate} drop what it receives twice.
 */
export interface EventBus {
  /**
   * Appends the event to the channel's log, then delivers it to the channel's subscribers.
   * @throws {BackplaneUnavailableError} when the backplane (Redis) cannot be reached.
   */
  publish(channel: string, type: string, data: unknown): Promise<ChannelEvent>;
  /**
   * Calls `listener` for every event published to `channel` from now on, in
   * id order, each once. Live at once: an event whose publish completes after
   * this call returns reaches the listener.
   * @returns a function that removes the listener; call it when the client leaves.
   */
  subscribe(channel: string, listener: EventListener, onLost?: LostListener): () => void;
  /** Retained events after `cursor` (see {@link ChannelLog.since}). */
  since(channel: string, cursor: number): Promise<LogRead>;
  /** The newest event id of `channel`, 0 when none. */
  latestId(channel: string): Promise<number>;
  /** Number of listeners on `channel` in this process (for tests and metrics). */
  listenerCount(channel: string): number;
  /**
   * Names the log's lifetime: it changes whenever ids may start over at 1
   * (a restart of the process that keeps the log), so an ETag built from it
   * and an id never matches a different history.
   */
  readonly epoch: string;
  /** Why the bus cannot serve now (the backplane is down), or undefined when it can: `/readyz` reports it. */
  unavailableReason(): string | undefined;
  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link InMemoryEventBus}. */
export interface InMemoryEventBusOptions {
  log?: ChannelLog;
  /** Told when a listener throws; the other listeners still get the event. Default `console.error`. */
  onListenerError?: (error: unknown, event: ChannelEvent) => void;
}

/** The embedded {@link EventBus}: one process, events kept in a {@link ChannelLog}. */
export class InMemoryEventBus implements EventBus {
  readonly #log: ChannelLog;
  readonly #listeners: ChannelListeners;
  // The log lives as long as this process: a restart starts every channel over at id 1.
  readonly epoch = randomBytes(6).toString('base64url');

  constructor(options: InMemoryEventBusOptions = {}) {
    this.#log = options.log ?? new ChannelLog();
    this.#listeners = new ChannelListeners(
      options.onListenerError ?? ((error, event) => console.error(`A listener failed on event ${event.id} (${event.type}):`, error)),
    );
  }

  publish(channel: string, type: string, data: unknown): Promise<ChannelEvent> {
    const event = this.#log.append(channel, type, data);
    this.#listeners.deliver(channel, event);
    return Promise.resolve(event);
  }

  // The log lives and dies with this process: a listener can never outlive it, so `onLost` is never called.
  subscribe(channel: string, listener: EventListener): () => void {
    return this.#listeners.add(channel, listener);
  }

  since(channel: string, cursor: number): Promise<LogRead> {
    return Promise.resolve(this.#log.since(channel, cursor));
  }

  latestId(channel: string): Promise<number> {
    return Promise.resolve(this.#log.latestId(channel));
  }

  listenerCount(channel: string): number {
    return this.#listeners.count(channel);
  }

  unavailableReason(): undefined {
    return undefined;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The listeners of each channel in this process; both buses deliver through it. */
export class ChannelListeners {
  readonly #listeners = new Map<string, Set<Subscription>>();
  readonly #onListenerError: (error: unknown, event: ChannelEvent) => void;

  constructor(onListenerError: (error: unknown, event: ChannelEvent) => void) {
    this.#onListenerError = onListenerError;
  }

  count(channel: string): number {
    return this.#listeners.get(channel)?.size ?? 0;
  }

  add(channel: string, listener: EventListener, onLost?: LostListener): () => void {
    let listeners = this.#listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
    }
    // A new object each time, so subscribing the same function twice gives two independent subscriptions.
    const subscription: Subscription = { listener, onLost };
    listeners.add(subscription);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      listeners.delete(subscription);
      // Drop the empty set, or every channel ever listened to would stay in memory.
      if (listeners.size === 0 && this.#listeners.get(channel) === listeners) this.#listeners.delete(channel);
    };
  }

  deliver(channel: string, event: ChannelEvent): void {
    const listeners = this.#listeners.get(channel);
    if (!listeners) return;
    // A copy: a listener may unsubscribe (itself or another) while we deliver.
    for (const { listener } of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  /** Tells the channel's listeners that the log they followed was lost (see {@link LostListener}). */
  lost(channel: string): void {
    for (const { onLost } of [...(this.#listeners.get(channel) ?? [])]) onLost?.();
  }
}

interface Subscription {
  listener: EventListener;
  onLost: LostListener | undefined;
}
