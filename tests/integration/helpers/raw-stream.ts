import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { waitUntil } from '../../harness/wait-until.ts';

/** A response read with `node:http`, byte for byte as the server wrote it. */
export interface RawStream {
  response: IncomingMessage;
  /** Everything received so far, decoded as UTF-8. */
  text(): string;
  /** Resolves once the received text matches `pattern` (bounded wait). */
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Settles when the response is over: `clean` when the server ended it
   * properly (the last chunk arrived), false when the connection was cut.
   */
  ended: Promise<{ clean: boolean }>;
  /** Cuts the connection from the client side. */
  destroy(): void;
}

/** Opens a GET on `url` and resolves once the status and headers are in. */
export function openRawStream(url: string, headers: OutgoingHttpHeaders = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      const ended = new Promise<{ clean: boolean }>((settle) => {
        // 'end' only after the terminating chunk; a cut connection emits 'aborted'/'error' and 'close' instead.
        response.once('end', () => settle({ clean: true }));
        response.once('close', () => settle({ clean: response.complete }));
      });
      response.on('error', () => {});
      resolve({
        response,
        text: () => text,
        waitFor: (pattern, timeoutMs) =>
          waitUntil(
            () => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)),
            () => `the stream holds ${String(pattern)}; it holds ${JSON.stringify(text.slice(-2_000))}`,
            timeoutMs,
          ),
        ended,
        destroy: () => request.destroy(),
      });
    });
    request.on('error', reject);
    request.end();
  });
}

/** A parsed SSE event block, for assertions. */
export interface WireEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

/**
 * Splits `text/event-stream` text into its blocks (a small parser following
 * WHATWG HTML §9.2.6 for LF-only text, which is all this server writes).
 * An incomplete last block is left out.
 */
export function parseWire(text: string): WireEvent[] {
  const blocks = text.split('\n\n').slice(0, -1);
  return blocks.map((block) => {
    const event: WireEvent = { comments: [] };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        event.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'id' || field === 'event' || field === 'retry') event[field] = value;
    }
    if (data.length > 0) event.data = data.join('\n');
    return event;
  });
}
