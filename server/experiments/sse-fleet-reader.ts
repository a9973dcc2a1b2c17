import { request as httpRequest, type ClientRequest, type OutgoingHttpHeaders } from 'node:http';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { SSE_DEFAULTS } from '../../src/protocol/sse.ts';
import { WireParser } from '../../src/protocol/sse-wire-parser.ts';
import type { LoopbackTarget } from './loopback-target.ts';
import { internalHeaders } from '../limits/internal-requests.ts';

export interface SseFleetReaderOptions {
  target: LoopbackTarget;
  channel: string;
  /** A stream opened (200, `text/event-stream`); `reconnect` is false for the first one. */
  onOpen(reconnect: boolean): void;
}

/**
 * A simulated browser tab following a channel over SSE, over loopback: it
 * behaves as EventSource does (WHATWG HTML §9.2.3) — after the stream ends,
 * it waits the last `retry:` it was sent, exactly, then reconnects with
 * `Last-Event-ID`. It reads the stream with the widget's own wire parser.
 */
export class SseFleetReader {
  readonly #options: SseFleetReaderOptions;
  #retryMs: number = SSE_DEFAULTS.retryMs;
  #lastEventId = '';
  #opened = 0;
  #request: ClientRequest | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: SseFleetReaderOptions) {
    this.#options = options;
  }

  start(): void {
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#request?.destroy();
  }

  #connect(): void {
    if (this.#stopped) return;
    const { target, channel } = this.#options;
    const headers: OutgoingHttpHeaders = { Accept: 'text/event-stream' };
    if (this.#lastEventId !== '') headers['Last-Event-ID'] = this.#lastEventId;
    const request = httpRequest({
      host: target.host,
      port: target.port,
      path: apiRoutes.sse.path({ channel }),
      headers: internalHeaders(headers),
      agent: false,
    });
    this.#request = request;
    request.on('error', () => this.#reconnectLater(request));
    request.on('response', (response) => {
      const type = response.headers['content-type'] ?? '';
      if (response.statusCode !== 200 || !type.startsWith('text/event-stream')) {
        // EventSource fails the connection for good on these (§9.2.2).
        response.resume();
        this.stop();
        return;
      }
      this.#opened += 1;
      this.#options.onOpen(this.#opened > 1);
      const parser = new WireParser(this.#lastEventId);
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        const { retryMs } = parser.push(text);
        if (retryMs !== null) this.#retryMs = retryMs;
        this.#lastEventId = parser.lastEventId;
      });
      response.once('error', () => {});
      response.once('close', () => this.#reconnectLater(request));
    });
    request.end();
  }

  #reconnectLater(request: ClientRequest): void {
    if (this.#request !== request || this.#stopped) return;
    this.#request = undefined;
    this.#timer = setTimeout(() => this.#connect(), this.#retryMs);
  }
}
