import { StringDecoder } from 'node:string_decoder';

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
 * go to the page as they came, and this sees a copy. It reads only what
 * the companion server writes (`server/techniques/sse.ts`: LF line ends,
 * one field per line) and reports each block that carries data, the way
 * EventSource dispatches them (WHATWG HTML §9.2.6): a block with only an
 * `id:` (the server's opening cursor) is no event, comments are skipped.
 */
export class SseTap {
  readonly #onEvent: (event: TappedEvent) => void;
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';
  #id: number | null = null;
  #type = '';
  #data: string[] = [];

  constructor(onEvent: (event: TappedEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Feeds the next chunk of the response body; a chunk may end anywhere, even inside a character. */
  push(chunk: Buffer): void {
    this.#buffer += this.#decoder.write(chunk);
    let end: number;
    while ((end = this.#buffer.indexOf('\n')) >= 0) {
      this.#line(this.#buffer.slice(0, end).replace(/\r$/, ''));
      this.#buffer = this.#buffer.slice(end + 1);
    }
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) this.#onEvent({ id: this.#id, type: this.#type || 'message', data: this.#data.join('\n') });
      this.#id = null;
      this.#type = '';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') this.#data.push(value);
    else if (name === 'event') this.#type = value;
    else if (name === 'id') this.#id = /^\d{1,15}$/.test(value) ? Number(value) : null;
  }
}
