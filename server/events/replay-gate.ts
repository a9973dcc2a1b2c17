import type { ChannelEvent } from '../../src/protocol/events.ts';

/**
 * Joins a replay from the log and the live events that follow it, with no gap
 * and no duplicate. A consumer subscribes first, then reads the log: events
 * published in between arrive live *and* may be in the read. The gate holds
 * live events until the replay is done ({@link open} with the last id it
 * covered), then lets through, in order, only those after it.
 */
export class ReplayGate<Extra = undefined> {
  readonly #deliver: (event: ChannelEvent, extra: Extra) => void;
  /** Id of the last event delivered (or replayed); undefined while the replay is being read. */
  #lastId: number | undefined;
  #waiting: [ChannelEvent, Extra][] = [];

  constructor(deliver: (event: ChannelEvent, extra: Extra) => void) {
    this.#deliver = deliver;
  }

  /** The last id delivered, or undefined before {@link open}. */
  get lastId(): number | undefined {
    return this.#lastId;
  }

  /** A live event: held until the gate opens, dropped when the replay already covered it. */
  readonly push = (event: ChannelEvent, extra?: Extra): void => {
    if (this.#lastId === undefined) this.#waiting.push([event, extra as Extra]);
    else this.#pass(event, extra as Extra);
  };

  /** The replay covered everything up to `lastId`: deliver what waited after it, then live events as they come. */
  open(lastId: number): void {
    this.#lastId = lastId;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const [event, extra] of waiting) this.#pass(event, extra);
  }

  #pass(event: ChannelEvent, extra: Extra): void {
    if (event.id <= (this.#lastId as number)) return;
    this.#lastId = event.id;
    this.#deliver(event, extra);
  }
}
