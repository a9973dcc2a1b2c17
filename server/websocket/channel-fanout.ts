import type { ChannelEvent } from '../../src/protocol/events.ts';
import type { EventBus } from '../events/event-bus.ts';

/** One socket's subscription to a channel. */
export interface ChannelSubscriber {
  /** Delivers a live event; `frame` is the `event` message as a text frame, built once for every subscriber. */
  receive(event: ChannelEvent, frame: Buffer): void;
  /** The shared log was lost (Redis restarted empty): the subscription must resume from its cursor. */
  lost(): void;
}

/**
 * The bridge between the event bus and the WebSocket subscribers of this
 * server: **one** bus listener per channel however many sockets follow it
 * (a Redis backplane then needs one subscription per channel, not per
 * socket), and each event is encoded and framed once for all of them. The bus listener
 * goes away with the channel's last subscriber.
 */
export class ChannelFanout {
  readonly #bus: EventBus;
  readonly #encode: (channel: string, event: ChannelEvent) => Buffer;
  readonly #channels = new Map<string, { subscribers: Set<ChannelSubscriber>; unsubscribe: () => void }>();

  constructor(bus: EventBus, encode: (channel: string, event: ChannelEvent) => Buffer) {
    this.#bus = bus;
    this.#encode = encode;
  }

  /** Channels with at least one subscriber. */
  get channelCount(): number {
    return this.#channels.size;
  }

  add(channel: string, subscriber: ChannelSubscriber): void {
    let entry = this.#channels.get(channel);
    if (!entry) {
      const subscribers = new Set<ChannelSubscriber>();
      const unsubscribe = this.#bus.subscribe(
        channel,
        (event) => {
          const frame = this.#encode(channel, event);
          // A copy: a subscriber closed for being too slow leaves the set while we deliver.
          for (const each of [...subscribers]) each.receive(event, frame);
        },
        () => [...subscribers].forEach((each) => each.lost()),
      );
      entry = { subscribers, unsubscribe };
      this.#channels.set(channel, entry);
    }
    entry.subscribers.add(subscriber);
  }

  /** Removes the subscriber; harmless if it was not there. */
  remove(channel: string, subscriber: ChannelSubscriber): void {
    const entry = this.#channels.get(channel);
    if (!entry?.subscribers.delete(subscriber)) return;
    if (entry.subscribers.size > 0) return;
    entry.unsubscribe();
    this.#channels.delete(channel);
  }
}
