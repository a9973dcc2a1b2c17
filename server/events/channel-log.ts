import { EVENT_LIMITS, type ChannelEvent } from '../../src/protocol/events.ts';

/** What a channel's log holds after a cursor. */
export interface LogRead {
  /** Retained events with `id > cursor`, oldest first. */
  events: ChannelEvent[];
  /**
   * True when the log cannot continue exactly from the cursor, so `events` may
   * not be everything the client missed: events after the cursor were evicted,
   * or the cursor is ahead of the log (the server restarted, or forgot the
   * channel). A client should then start over (SSE sends a `reset` event).
   */
  reset: boolean;
  /** The newest id of the channel (0 when it has none): the cursor to use next. */
  latestId: number;
}

/** Bounds of a {@link ChannelLog}. */
export interface ChannelLogOptions {
  /** Events kept per channel; default `EVENT_LIMITS.logCapacity`. */
  capacity?: number;
  /** Channels kept; the least recently used goes beyond this. Default `EVENT_LIMITS.maxChannels`. */
  maxChannels?: number;
  /** The clock for `ts`; default `Date.now`. */
  now?: () => number;
}

/** One channel: a ring buffer of its newest events and the next id. */
class ChannelBuffer {
  readonly #slots: (ChannelEvent | undefined)[];
  #size = 0;
  /** Id the next event gets; ids start at 1 and are never reused. */
  #nextId = 1;

  constructor(capacity: number) {
    this.#slots = new Array<ChannelEvent | undefined>(capacity);
  }

  get latestId(): number {
    return this.#nextId - 1;
  }

  /** Id of the oldest retained event; `latestId + 1` when empty. */
  get oldestId(): number {
    return this.#nextId - this.#size;
  }

  append(type: string, data: unknown, ts: number): ChannelEvent {
    const event: ChannelEvent = { id: this.#nextId, type, data, ts };
    this.#slots[event.id % this.#slots.length] = event;
    this.#nextId += 1;
    this.#size = Math.min(this.#size + 1, this.#slots.length);
    return event;
  }

  since(cursor: number): ChannelEvent[] {
    const events: ChannelEvent[] = [];
    for (let id = Math.max(cursor + 1, this.oldestId); id <= this.latestId; id += 1) {
      events.push(this.#slots[id % this.#slots.length] as ChannelEvent);
    }
    return events;
  }
}

/**
 * A bounded, in-memory log of recent events per channel, independent of any
 * transport: long polling, SSE and WebSockets all resume from it with a
 * cursor (the last id a client has seen).
 *
 * Each channel keeps its newest `capacity` events; ids increase strictly from
 * 1 and are never reused while the channel is remembered. Beyond
 * `maxChannels` the least recently used channel is forgotten entirely, and a
 * channel created again starts over at id 1 — `since()` reports `reset` to a
 * client whose cursor is ahead of it.
 */
export class ChannelLog {
  readonly #capacity: number;
  readonly #maxChannels: number;
  readonly #now: () => number;
  /** Map iteration order is insertion order: re-inserting on use keeps the least recently used first. */
  readonly #channels = new Map<string, ChannelBuffer>();

  constructor(options: ChannelLogOptions = {}) {
    this.#capacity = options.capacity ?? EVENT_LIMITS.logCapacity;
    this.#maxChannels = options.maxChannels ?? EVENT_LIMITS.maxChannels;
    this.#now = options.now ?? Date.now;
    if (!(this.#capacity >= 1) || !(this.#maxChannels >= 1)) {
      throw new RangeError('ChannelLog needs a capacity and maxChannels of at least 1.');
    }
  }

  /** Number of channels currently remembered. */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** Appends an event to `channel`, giving it the next id and the current time. */
  append(channel: string, type: string, data: unknown): ChannelEvent {
    let buffer = this.#touch(channel);
    if (!buffer) {
      buffer = new ChannelBuffer(this.#capacity);
      this.#channels.set(channel, buffer);
      this.#forgetLeastRecentlyUsed();
    }
    return buffer.append(type, data, this.#now());
  }

  /**
   * Reads the retained events of `channel` with `id > cursor`.
   * A cursor of 0 means "from the start".
   */
  since(channel: string, cursor: number): LogRead {
    const buffer = this.#touch(channel);
    if (!buffer) return { events: [], reset: cursor > 0, latestId: 0 };
    const evicted = cursor < buffer.oldestId - 1;
    const ahead = cursor > buffer.latestId;
    return { events: buffer.since(cursor), reset: evicted || ahead, latestId: buffer.latestId };
  }

  /** The newest id of `channel`, or 0 when it has no events. Does not count as a use. */
  latestId(channel: string): number {
    return this.#channels.get(channel)?.latestId ?? 0;
  }

  #touch(channel: string): ChannelBuffer | undefined {
    const buffer = this.#channels.get(channel);
    if (buffer) {
      this.#channels.delete(channel);
      this.#channels.set(channel, buffer);
    }
    return buffer;
  }

  #forgetLeastRecentlyUsed(): void {
    while (this.#channels.size > this.#maxChannels) {
      const oldest = this.#channels.keys().next().value as string;
      this.#channels.delete(oldest);
    }
  }
}
