import { SSE_DEFAULTS } from '../../protocol/sse.ts';
import { countResponseBytes, isAbort } from '../shared/http.ts';
import type { SseClient } from './client.ts';
import { type Clock, systemClock } from '../shared/clock.ts';
import { WireParser, type WireEvent, type WireLine } from '../../protocol/sse-wire-parser.ts';

/**
 * The wire view's reader: a second connection to the same stream, read with
 * fetch() and a ReadableStream, because an EventSource never shows its bytes.
 * It behaves like EventSource where the lesson needs it to (WHATWG HTML
 * §9.2.3): on a network error or a clean end it waits the `retry:` time and
 * reconnects, resuming with `?lastEventId=` (fetch could set the header, but
 * the query keeps the request "simple"); a non-200 answer or another content
 * type ends it for good.
 */

export type WireCloseReason =
  /** The server ended the response cleanly (e.g. "Restart the stream"). */
  | 'ended'
  /** The connection broke (e.g. "Kill the connection", or no server). */
  | 'network-error'
  /** A non-200 status or not `text/event-stream`: EventSource would fail for good, so do we. */
  | 'refused';

export interface WireReaderListener {
  /** A request is about to go out. `attempt` counts connections, 1 first. */
  connecting(info: { attempt: number; url: string; lastEventId: string }): void;
  /** The response headers arrived with a 200 and the right type. */
  /** `headerBytes`: the response's status line and headers, counted as they came (see `countResponseBytes`). */
  open(info: { attempt: number; status: number; contentType: string; headerBytes: number }): void;
  /** A chunk of the body arrived: its size on the wire and what it completed. */
  chunk(info: { attempt: number; bytes: number; lines: WireLine[]; events: WireEvent[]; retryMs: number | null }): void;
  /** The connection is over; `retryInMs` is null when the reader gives up. */
  closed(info: {
    attempt: number;
    reason: WireCloseReason;
    detail: string;
    bytes: number;
    retryInMs: number | null;
    lastEventId: string;
  }): void;
}

export interface WireReaderOptions {
  client: Pick<SseClient, 'streamUrl' | 'fetchStream'>;
  channel: string;
  listener: WireReaderListener;
  heartbeatMs?: number;
  clock?: Clock;
}

export class WireReader {
  readonly #options: WireReaderOptions;
  readonly #clock: Clock;
  #controller: AbortController | null = null;
  #timer: unknown = null;
  #running = false;
  #attempt = 0;
  #lastEventId = '';
  #retryMs: number = SSE_DEFAULTS.retryMs;

  constructor(options: WireReaderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  get running(): boolean {
    return this.#running;
  }

  /** The last event ID seen: what the next connection resumes from. */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** The reconnection time, as the stream last set it with `retry:`. */
  get retryMs(): number {
    return this.#retryMs;
  }

  /** Connects (resuming after `lastEventId` when given, else after the last id seen). No-op when running. */
  start(lastEventId?: string): void {
    if (this.#running) return;
    if (lastEventId !== undefined) this.#lastEventId = lastEventId;
    this.#running = true;
    void this.#connect();
  }

  /** Aborts the connection and any pending reconnect. Reports nothing. */
  stop(): void {
    this.#running = false;
    this.#controller?.abort();
    this.#controller = null;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #connect(): Promise<void> {
    this.#timer = null;
    if (!this.#running) return;
    const { client, channel, listener, heartbeatMs } = this.#options;
    const controller = new AbortController();
    this.#controller = controller;
    const attempt = ++this.#attempt;
    const lastEventId = this.#lastEventId;
    const url = client.streamUrl(channel, { heartbeatMs, lastEventId: lastEventId || undefined });
    listener.connecting({ attempt, url, lastEventId });

    let response: Response;
    try {
      response = await client.fetchStream(url, controller.signal);
    } catch (error) {
      if (controller.signal.aborted || isAbort(error)) return;
      this.#closed(attempt, 'network-error', describe(error), 0);
      return;
    }
    if (controller.signal.aborted) {
      void response.body?.cancel().catch(() => {});
      return;
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !contentType.toLowerCase().startsWith('text/event-stream') || !response.body) {
      void response.body?.cancel().catch(() => {});
      this.#closed(attempt, 'refused', `HTTP ${response.status}${contentType ? `, ${contentType}` : ''}`, 0);
      return;
    }
    listener.open({ attempt, status: response.status, contentType, headerBytes: countResponseBytes(response, 0) });

    const parser = new WireParser(lastEventId);
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    let bytes = 0;
    let reason: WireCloseReason = 'ended';
    let detail = 'the server ended the response';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (controller.signal.aborted) return;
        bytes += value.byteLength;
        const result = parser.push(decoder.decode(value, { stream: true }));
        if (result.retryMs !== null) this.#retryMs = result.retryMs;
        this.#lastEventId = parser.lastEventId;
        listener.chunk({ attempt, bytes: value.byteLength, lines: result.lines, events: result.events, retryMs: result.retryMs });
      }
    } catch (error) {
      if (controller.signal.aborted || isAbort(error)) return;
      reason = 'network-error';
      detail = describe(error);
    }
    if (controller.signal.aborted) return;
    parser.end();
    this.#closed(attempt, reason, detail, bytes);
  }

  #closed(attempt: number, reason: WireCloseReason, detail: string, bytes: number): void {
    this.#controller = null;
    const retryInMs = reason === 'refused' ? null : this.#retryMs;
    if (retryInMs === null) this.#running = false;
    this.#options.listener.closed({ attempt, reason, detail, bytes, retryInMs, lastEventId: this.#lastEventId });
    if (retryInMs !== null && this.#running) this.#timer = this.#clock.setTimeout(() => void this.#connect(), retryInMs);
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
