import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bytes framed once as one chunk of an HTTP/1.1 chunked body (RFC 9112 §7.1):
 * the size in hex, CRLF, the bytes, CRLF. `response.write()` frames what it is
 * given anew for every response (four writes, corked until the next tick); a
 * chunk framed once can be written as is to the socket of each chunked
 * response that carries it: one event, ten thousand streams, one framing.
 */
export class HttpChunk {
  /** The bytes alone, for a response that is not chunked (an HTTP/1.0 client). */
  readonly payload: Buffer;
  /** The bytes framed as a chunk. */
  readonly framed: Buffer;

  /** `data` must not be empty: an empty chunk is the end of the body. */
  constructor(data: string | Buffer) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (bytes.length === 0) throw new RangeError('An empty chunk would end the body');
    const size = `${bytes.length.toString(16)}\r\n`;
    this.framed = Buffer.allocUnsafe(size.length + bytes.length + 2);
    this.framed.write(size, 'latin1');
    bytes.copy(this.framed, size.length);
    this.framed.write('\r\n', size.length + bytes.length, 'latin1');
    this.payload = this.framed.subarray(size.length, size.length + bytes.length);
  }
}

/**
 * The socket a chunked response's framed chunks can be written to directly,
 * or undefined when they must go through `response.write()`: an HTTP/1.0
 * response is not chunked, and a response still queued behind an earlier one
 * (HTTP pipelining) has no socket of its own yet, or bytes waiting in the
 * response. Ask once the headers are flushed; the answer holds while only
 * framed chunks are written.
 */
export function chunkSocket(response: ServerResponse): Socket | undefined {
  const socket = response.socket;
  if (!response.chunkedEncoding || !response.headersSent || socket === null) return undefined;
  // What the response holds beyond its socket's buffer has not reached the socket yet.
  return response.writableLength === socket.writableLength ? socket : undefined;
}
