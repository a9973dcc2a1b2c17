import { SSE_HEARTBEAT } from '../../src/protocol/sse.ts';
import { HttpChunk } from '../http/http-chunk.ts';
import type { SseStream } from './sse-streams.ts';

/** Asked before each heartbeat of a stream on `channel` (a fault can silence them). */
export type HeartbeatsEnabled = (channel: string) => boolean;

/** The comment, framed once for every stream. */
const HEARTBEAT_CHUNK = new HttpChunk(SSE_HEARTBEAT);

/**
 * The `: heartbeat` comments of SSE streams, on one timer per interval rather
 * than one per stream: 10 000 streams at the default interval hold one timer,
 * not 10 000, and each tick writes the same framed comment to all of them.
 * A stream that joins mid-interval gets its first comment sooner than the
 * interval, never later. A timer lives while its interval has streams.
 */
export class SseHeartbeats {
  readonly #byInterval = new Map<number, { streams: Map<SseStream, HeartbeatsEnabled>; timer: NodeJS.Timeout }>();

  /** Starts `stream`'s heartbeats every `intervalMs`, each only while `enabled(stream.channel)`. */
  add(stream: SseStream, intervalMs: number, enabled: HeartbeatsEnabled): void {
    let group = this.#byInterval.get(intervalMs);
    if (!group) {
      const streams = new Map<SseStream, HeartbeatsEnabled>();
      const timer = setInterval(() => {
        for (const [each, isEnabled] of streams) if (isEnabled(each.channel)) each.write(HEARTBEAT_CHUNK);
      }, intervalMs);
      group = { streams, timer };
      this.#byInterval.set(intervalMs, group);
    }
    group.streams.set(stream, enabled);
  }

  /** Stops `stream`'s heartbeats; harmless if it had none. */
  delete(stream: SseStream, intervalMs: number): void {
    const group = this.#byInterval.get(intervalMs);
    if (!group?.streams.delete(stream) || group.streams.size > 0) return;
    clearInterval(group.timer);
    this.#byInterval.delete(intervalMs);
  }
}
