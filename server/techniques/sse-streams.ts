import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { chunkSocket, HttpChunk } from '../http/http-chunk.ts';

/** Why a stream ended, for metrics and tests. */
export type SseStreamEnd = 'client-left' | 'ended' | 'killed' | 'slow-consumer';

/**
 * One open `text/event-stream` response. Writes go through {@link write},
 * which watches backpressure: `response.write()` returning false means the
 * socket's buffer is full (a slow or stalled reader). The stream keeps
 * writing — events are small and the reader may catch up — but counts it,
 * and once more than `maxBufferedBytes` wait to be sent it cuts the
 * connection, so one stalled reader cannot hold unbounded memory. The client
 * reconnects and resumes from its last id.
 */
export class SseStream {
  readonly channel: string;
  readonly #response: ServerResponse;
  readonly #maxBufferedBytes: number;
  /** Where framed chunks go directly, when the response allows it (see {@link chunkSocket}). */
  readonly #socket: Socket | undefined;
  /** Writes that found the socket's buffer full. */
  congestedWrites = 0;
  /** How the stream ended; `undefined` while open. */
  endedBy: SseStreamEnd | undefined;
  /**
   * Called once when the response closes, which every way a stream ends does
   * (the client left, a fault, a drain, a slow reader): what releases what
   * the stream holds elsewhere.
   */
  onClose: (() => void) | undefined;

  /** `response`'s headers are already sent. */
  constructor(channel: string, response: ServerResponse, maxBufferedBytes: number) {
    this.channel = channel;
    this.#response = response;
    this.#maxBufferedBytes = maxBufferedBytes;
    this.#socket = chunkSocket(response);
    // One listener per stream, and `on`: 'close' comes once, and `once` would wrap it (memory per held stream).
    response.on('close', () => {
      this.endedBy ??= 'client-left';
      this.onClose?.();
    });
  }

  get open(): boolean {
    return this.endedBy === undefined && !this.#response.destroyed && !this.#response.writableEnded;
  }

  /** Bytes written but not yet handed to the network (Node's buffer and the socket's). */
  get bufferedBytes(): number {
    return this.#response.writableLength;
  }

  // #region write
  /**
   * Writes wire text, or a chunk framed once for every stream that carries it
   * (an event, a heartbeat); does nothing once the stream has ended.
   */
  write(data: string | HttpChunk): void {
    // An empty chunk would read as the end of a chunked body; there is nothing to send anyway.
    if (!this.open || data === '') return;
    // Judged on the backlog earlier writes left, not on this one: a resume's replay is one
    // large write that a healthy reader takes at once. A stalled reader is caught at the
    // next event or heartbeat, so its memory stays bounded by the limit plus one write.
    if (this.bufferedBytes > this.#maxBufferedBytes) {
      this.#finish('slow-consumer');
      return;
    }
    const chunk = typeof data === 'string' ? new HttpChunk(data) : data;
    // Straight to the socket, framed already: `response.write()` would frame it again for this stream.
    const flowing = this.#socket ? this.#socket.write(chunk.framed) : this.#response.write(chunk.payload);
    if (!flowing) this.congestedWrites += 1;
  }
  // #endregion write

  /** Ends the stream cleanly (the last chunk is sent): EventSource reconnects after its `retry` delay. */
  end(): void {
    this.#finish('ended');
  }

  /** Cuts the connection without a proper end, as a dropped network would. */
  kill(): void {
    this.#finish('killed');
  }

  #finish(how: SseStreamEnd): void {
    if (!this.open) return;
    this.endedBy = how;
    // A stalled reader would never take an orderly end: only destroying frees its buffer.
    if (how === 'ended') this.#response.end();
    else this.#response.destroy();
  }
}

/** The open SSE streams, by channel: what the stream faults and draining act on. */
export class SseStreamRegistry {
  readonly #byChannel = new Map<string, Set<SseStream>>();

  add(stream: SseStream): void {
    let streams = this.#byChannel.get(stream.channel);
    if (!streams) {
      streams = new Set();
      this.#byChannel.set(stream.channel, streams);
    }
    streams.add(stream);
  }

  delete(stream: SseStream): void {
    const streams = this.#byChannel.get(stream.channel);
    if (!streams) return;
    streams.delete(stream);
    // Drop the empty set, or every channel ever streamed would stay in memory.
    if (streams.size === 0) this.#byChannel.delete(stream.channel);
  }

  /** The open streams of `channel` (a copy: acting on one may remove it). */
  on(channel: string): SseStream[] {
    return [...(this.#byChannel.get(channel) ?? [])];
  }

  /** Every open stream (a copy). */
  all(): SseStream[] {
    return [...this.#byChannel.values()].flatMap((streams) => [...streams]);
  }

  /** Open streams on `channel`, or in all. */
  count(channel?: string): number {
    if (channel !== undefined) return this.#byChannel.get(channel)?.size ?? 0;
    let total = 0;
    for (const streams of this.#byChannel.values()) total += streams.size;
    return total;
  }
}
