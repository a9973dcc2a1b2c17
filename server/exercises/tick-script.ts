import type { EventBus } from '../events/event-bus.ts';

/**
 * What a channel exercise publishes on its run's channel: `tick` 1…`ticks`
 * (`{n}`), then `done`, one every `eventMs`, from {@link start} on. On a
 * fresh channel the ids are 1, 2, 3…: {@link latestId} is also a count.
 */
export class TickScript {
  readonly #bus: Pick<EventBus, 'publish'>;
  readonly #channel: string;
  readonly #ticks: number;
  readonly #eventMs: number;
  readonly #afterEach: (id: number) => unknown;
  #published = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `afterEach` runs once each event is published, e.g. to cut a stream after the third. */
  constructor(
    bus: Pick<EventBus, 'publish'>,
    channel: string,
    ticks: number,
    eventMs: number,
    afterEach: (id: number) => unknown = () => {},
  ) {
    this.#bus = bus;
    this.#channel = channel;
    this.#ticks = ticks;
    this.#eventMs = eventMs;
    this.#afterEach = afterEach;
  }

  /** The id of the `done` event. */
  get doneId(): number {
    return this.#ticks + 1;
  }

  /** The id of the newest event published. */
  get latestId(): number {
    return this.#published;
  }

  /** Starts publishing, the first time only. */
  start(): void {
    this.#timer ??= setInterval(() => void this.#publishNext().catch(() => {}), this.#eventMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #publishNext(): Promise<void> {
    this.#published += 1;
    const id = this.#published;
    const done = id === this.doneId;
    if (done) this.stop();
    await this.#bus.publish(this.#channel, done ? 'done' : 'tick', done ? { ticks: this.#ticks } : { n: id });
    await this.#afterEach(id);
  }
}

/** The ids from 1 to `last` that `received` lacks. */
export function missingIds(received: readonly number[], last: number): number[] {
  return Array.from({ length: last }, (_, index) => index + 1).filter((id) => !received.includes(id));
}
