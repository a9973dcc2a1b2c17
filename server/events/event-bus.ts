import { type ChannelEvent } from '../../src/protocol/events.ts';
import { ChannelLog, type LogRead } from './channel-log.ts';

/** Called with each event published to a channel it subscribed to. */
export type EventListener = (event: ChannelEvent) => void;

/**
 * Publish/subscribe per channel, with the log behind it. Every technique
 * (short and long polling, SSE, WebSockets) and every simulation talks to
 * this interface only, so a Redis backplane can replace the in-memory one.
 */
export interface EventBus {
  /** Appends the event to the channel's log, then delivers it to the channel's subscribers. */
  publish(channel: string, type: string, data: unknown): Promise<ChannelEvent>;
  /**
   * Calls `listener` for every event published to `channel` from now on.
   * @returns a function that removes the listener; call it when the client leaves.
   */
  subscribe(channel: string, listener: EventListener): () => void;
  /** Retained events after `cursor` (see {@link ChannelLog.since}). */
  since(channel: string, cursor: number): LogRead;
  /** The newest event id of `channel`, 0 when none. */
  latestId(channel: string): number;
  /** Number of listeners on `channel` (for tests and metrics). */
  listenerCount(channel: string): number;
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
  readonly #onListenerError: (error: unknown, event: ChannelEvent) => void;
  readonly #listeners = new Map<string, Set<EventListener>>();

  constructor(options: InMemoryEventBusOptions = {}) {
    this.#log = options.log ?? new ChannelLog();
    this.#onListenerError =
      options.onListenerError ??
      ((error, event) => console.error(`A listener failed on event ${event.id} (${event.type}):`, error));
  }

  publish(channel: string, type: string, data: unknown): Promise<ChannelEvent> {
    const event = this.#log.append(channel, type, data);
    const listeners = this.#listeners.get(channel);
    // A copy: a listener may unsubscribe (itself or another) while we deliver.
    for (const listener of listeners ? [...listeners] : []) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
    return Promise.resolve(event);
  }

  subscribe(channel: string, listener: EventListener): () => void {
    let listeners = this.#listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
    }
    // Wrapped, so subscribing the same function twice gives two independent subscriptions.
    const subscription: EventListener = (event) => listener(event);
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

  since(channel: string, cursor: number): LogRead {
    return this.#log.since(channel, cursor);
  }

  latestId(channel: string): number {
    return this.#log.latestId(channel);
  }

  listenerCount(channel: string): number {
    return this.#listeners.get(channel)?.size ?? 0;
  }
}
