import { batch, signal, type ReadonlySignal } from '@preact/signals';
import { utf8Length } from '../../protocol/utf8-length.ts';
import { frameHeaderBytes } from '../../protocol/websocket-frame.ts';
import type { Clock } from '../shared/clock.ts';

/** Frames kept in {@link FrameLog.frames}. */
export const MAX_FRAMES = 100;

/** Payload text kept per frame in the log. */
const LOG_TEXT_MAX = 300;

/** One frame in the log. */
export interface FrameRecord {
  seq: number;
  at: number;
  /** `up`: this client sent it; `down`: it arrived. */
  direction: 'up' | 'down';
  /** The message's `type`, `close`, or `lost` (no frame: the connection died). */
  type: string;
  /** Payload bytes (UTF-8 length of the JSON; for `close`, the 2-byte code plus the reason). */
  bytes: number;
  /** The frame header on the wire, estimated per RFC 6455 §5.2 ({@link frameHeaderBytes}); 0 for `lost`. */
  headerBytes: number;
  /** The payload as text (shortened), for the log. */
  text: string;
}

export interface TrafficTotals {
  framesUp: number;
  framesDown: number;
  /** Payload bytes only; see {@link FrameRecord.headerBytes}. */
  bytesUp: number;
  bytesDown: number;
  headerBytesUp: number;
  headerBytesDown: number;
}

const noTraffic: TrafficTotals = { framesUp: 0, framesDown: 0, bytesUp: 0, bytesDown: 0, headerBytesUp: 0, headerBytesDown: 0 };

/** The frames a socket sent and received: the last few for the log, and totals since creation. */
export class FrameLog {
  readonly #frames = signal<readonly FrameRecord[]>([]);
  readonly #totals = signal<TrafficTotals>(noTraffic);
  /** The last `maxFrames` frames, oldest first. */
  readonly frames: ReadonlySignal<readonly FrameRecord[]> = this.#frames;
  /** Everything sent and received since creation. */
  readonly totals: ReadonlySignal<TrafficTotals> = this.#totals;
  readonly #clock: Clock;
  readonly #maxFrames: number;
  #seq = 0;

  constructor(clock: Clock, maxFrames = MAX_FRAMES) {
    this.#clock = clock;
    this.#maxFrames = maxFrames;
  }

  /** Logs one frame; `payloadBytes` defaults to the UTF-8 length of `text`. */
  add(direction: 'up' | 'down', type: string, text: string, payloadBytes?: number): void {
    const bytes = payloadBytes ?? utf8Length(text);
    const headerBytes = type === 'lost' ? 0 : frameHeaderBytes(bytes, direction === 'up');
    const record: FrameRecord = {
      seq: ++this.#seq,
      at: this.#clock.now(),
      direction,
      type,
      bytes,
      headerBytes,
      text: text.length > LOG_TEXT_MAX ? `${text.slice(0, LOG_TEXT_MAX)}…` : text,
    };
    const frames = this.#frames.peek();
    const kept = frames.length >= this.#maxFrames ? frames.slice(frames.length - this.#maxFrames + 1) : frames;
    const totals = this.#totals.peek();
    const counted = type !== 'lost';
    batch(() => {
      this.#frames.value = [...kept, record];
      this.#totals.value =
        direction === 'up'
          ? { ...totals, framesUp: totals.framesUp + 1, bytesUp: totals.bytesUp + bytes, headerBytesUp: totals.headerBytesUp + headerBytes }
          : {
              ...totals,
              framesDown: totals.framesDown + (counted ? 1 : 0),
              bytesDown: totals.bytesDown + bytes,
              headerBytesDown: totals.headerBytesDown + headerBytes,
            };
    });
  }
}
