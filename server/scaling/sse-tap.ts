import { StringDecoder } from 'node:string_decoder';
import { WireParser } from '../../src/protocol/sse-wire-parser.ts';

/** An event an instance sent on a stream the demo forwards: what the demo records. */
export interface TappedEvent {
  /** The `id:` of the event's own block (null when it had none). */
  id: number | null;
  /** The `event:` field, or `message`. */
  type: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * Reads the events in the bytes of a `text/event-stream` response as they
 * pass through the demo's reverse proxy, without changing them: the bytes
 * go to the page as they came, and this sees a copy. The widgets' parser
 * reads the stream as EventSource does (WHATWG HTML §9.2.6), so a block with
 * only an `id:` (the server's opening cursor) is no event and comments are
 * skipped; this adds each event's own `id:`, which EventSource does not keep.
 */
export class SseTap {
  readonly #onEvent: (event: TappedEvent) => void;
  readonly #decoder = new StringDecoder('utf8');
  readonly #parser = new WireParser();
  /** The `id:` of the block being read, null until it has one. */
  #id: number | null = null;

  constructor(onEvent: (event: TappedEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Feeds the next chunk of the response body; a chunk may end anywhere, even inside a character. */
  push(chunk: Buffer): void {
    const { lines, events } = this.#parser.push(this.#decoder.write(chunk));
    // Each blank line that dispatched an event stands where that event ends, in order.
    let next = 0;
    for (const line of lines) {
      if (line.kind === 'field' && line.name === 'id') this.#id = /^\d{1,15}$/.test(line.value) ? Number(line.value) : null;
      if (line.kind !== 'blank') continue;
      if (line.dispatched) {
        const { type, data } = events[next++]!;
        this.#onEvent({ id: this.#id, type, data });
      }
      this.#id = null;
    }
  }
}
