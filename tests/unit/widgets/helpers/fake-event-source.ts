import { READY_STATE, type EventSourceLike } from '../../../../src/widgets/sse/client.ts';

/** A browser EventSource the test opens, feeds and breaks by hand. */
export class FakeEventSource implements EventSourceLike {
  readyState: number = READY_STATE.connecting;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent<string>) => void) | null = null;
  lastEventId = '';
  readonly url: string;
  readonly #listeners = new Map<string, ((event: MessageEvent<string>) => void)[]>();

  constructor(url: string) {
    this.url = url;
  }

  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.readyState = READY_STATE.closed;
  }

  get closed(): boolean {
    return this.readyState === READY_STATE.closed;
  }

  open(): void {
    this.readyState = READY_STATE.open;
    this.onopen?.(new Event('open'));
  }

  /** Delivers an event of `type` (the `data` text as it came), with `id` as its last event ID when given. */
  emit(type: string, data: string, id?: number): void {
    if (this.closed) return;
    if (id !== undefined) this.lastEventId = String(id);
    const event = new MessageEvent<string>(type, { data, lastEventId: this.lastEventId });
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }

  /** The connection broke: the browser will retry (readyState back to CONNECTING). */
  drop(): void {
    this.readyState = READY_STATE.connecting;
    this.onerror?.(new Event('error'));
  }

  /** The browser gave up (a non-200 answer). */
  fail(): void {
    this.readyState = READY_STATE.closed;
    this.onerror?.(new Event('error'));
  }
}

/**
 * A lesson-7 client's results stream: `streamUrl` and `openEventSource`
 * opening fake sources, which the test reaches through `sources` (newest last).
 */
export function fakeResultsStream() {
  const sources: FakeEventSource[] = [];
  return {
    sources,
    streamUrl: (channel: string) => `http://test/api/sse/${channel}`,
    openEventSource: (url: string) => {
      const source = new FakeEventSource(url);
      sources.push(source);
      return source;
    },
  };
}
