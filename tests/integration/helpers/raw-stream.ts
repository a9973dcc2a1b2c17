import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { WireParser } from '../../../src/protocol/sse-wire-parser.ts';
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
 * Splits `text/event-stream` text into its blocks, each with its own fields
 * and comments, read by the widgets' parser (src/protocol/sse-wire-parser.ts).
 * Unlike EventSource it keeps blocks without data (the opening `retry:`, the
 * cursor's `id:`, heartbeats). An incomplete last block is left out.
 */
export function parseWire(text: string): WireEvent[] {
  const blocks: WireEvent[] = [];
  let block: WireEvent = { comments: [] };
  let data: string[] = [];
  let empty = true;
  for (const line of new WireParser().push(text).lines) {
    if (line.kind === 'blank') {
      if (data.length > 0) block.data = data.join('\n');
      if (!empty) blocks.push(block);
      block = { comments: [] };
      data = [];
      empty = true;
      continue;
    }
    empty = false;
    if (line.kind === 'comment') block.comments.push(line.text.trim());
    else if (line.name === 'data') data.push(line.value);
    else if (line.name === 'id' || line.name === 'event' || line.name === 'retry') block[line.name] = line.value;
  }
  return blocks;
}
