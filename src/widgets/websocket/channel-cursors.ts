import { signal, type ReadonlySignal } from '@preact/signals';

/**
 * The channels a socket follows, each with its cursor: the id of the last
 * event received, which `subscribe` sends again on the next connection.
 */
export class ChannelCursors {
  readonly #byChannel = signal<ReadonlyMap<string, number>>(new Map());
  /** Channel → cursor. */
  readonly byChannel: ReadonlySignal<ReadonlyMap<string, number>> = this.#byChannel;

  set(channel: string, cursor: number): void {
    this.#byChannel.value = new Map(this.#byChannel.peek()).set(channel, cursor);
  }

  /** Stops following `channel`; false when it was not followed. */
  delete(channel: string): boolean {
    const next = new Map(this.#byChannel.peek());
    if (!next.delete(channel)) return false;
    this.#byChannel.value = next;
    return true;
  }

  get(channel: string): number | undefined {
    return this.#byChannel.peek().get(channel);
  }

  /** An event `id` arrived on `channel`: the cursor moves forward, never back. */
  advance(channel: string, id: number): void {
    const cursor = this.get(channel);
    if (cursor !== undefined && id > cursor) this.set(channel, id);
  }

  /** The server could not resume `channel` from our cursor; live events follow from its `latestId`. */
  reset(channel: string, latestId: number): void {
    if (this.#byChannel.peek().has(channel)) this.set(channel, latestId);
  }

  entries(): [string, number][] {
    return [...this.#byChannel.peek()];
  }
}
