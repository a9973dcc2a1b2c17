import type { ChannelEvent } from '../../src/protocol/events.ts';
import {
  FIREHOSE_EVENT_TYPE,
  PRODUCTION_EVENTS,
  type SlowConsumerCut,
  type SlowConsumerDone,
  type SlowConsumerResumed,
  type SlowConsumerSample,
  type SlowConsumerTransport,
} from '../../src/protocol/production.ts';
import { frameHeaderBytes } from '../../src/protocol/websocket-frame.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Logger } from '../logger.ts';
import { formatEvent } from '../techniques/sse.ts';
import type { SseStream, SseStreamRegistry } from '../techniques/sse-streams.ts';
import type { WebSocketEndpoint } from '../techniques/websocket.ts';
import { publishRunEvent, type ExperimentRun, type RunStart } from './experiment-runs.ts';
import type { LoopbackTarget } from './loopback-target.ts';
import { SlowSseReader, SlowWsReader, type SlowReader } from './slow-readers.ts';
import { RunTimers } from './run-timers.ts';

/** What a slow-consumer run needs from the server: shared by every run. */
export interface SlowConsumerContext {
  bus: EventBus;
  logger: Logger;
  sseStreams: Pick<SseStreamRegistry, 'on'>;
  webSocket: Pick<WebSocketEndpoint, 'bufferedAmounts'>;
  limits: { sampleMs: number; maxRunMs: number; publishPerSecond: number; eventBytes: number };
}

/** How often the publisher publishes its batch. */
const PUBLISH_TICK_MS = 50;
/** After the cut, how long the consumer may take to read what was already on its way, and to resume. */
const AFTERMATH_TIMEOUT_MS = 10_000;

/** The channel a slow-consumer run floods: the widget's channel and a suffix, within the 64-character limit. */
export function firehoseChannel(channel: string): string {
  return `${channel.slice(0, 55)}-firehose`;
}

/**
 * One run: publishes on the firehose, samples the server's buffer for the
 * consumer until the technique cuts it, then lets the consumer resume by its
 * cursor, publishing samples, the cut, the resume and `slow-done` on the
 * reader's channel.
 */
export class SlowConsumerRun implements ExperimentRun {
  readonly id: string;
  readonly #context: SlowConsumerContext;
  readonly #channel: string;
  readonly #firehose: string;
  readonly #transport: SlowConsumerTransport;
  readonly #target: LoopbackTarget;
  readonly #release: () => void;
  readonly #reader: SlowReader;
  readonly #startedAt = performance.now();
  readonly #timers = new RunTimers();
  readonly #padding: string;
  /** The consumer's stream on the server, once it is open (SSE). */
  #stream: SseStream | undefined;
  /** The consumer's subscription is live on the server. */
  #connected = false;
  #sentBytes = 0;
  /** The newest id published on the firehose. */
  #publishedId = 0;
  #seq = 0;
  #maxBuffered = 0;
  #cut = false;
  #resume: SlowReader | undefined;
  #done = false;

  /** @param cursor the firehose's newest id when the run starts: the consumer reads from there. */
  constructor(
    context: SlowConsumerContext,
    { id, channel, target, release }: RunStart,
    transport: SlowConsumerTransport,
    bytesPerSecond: number,
    cursor: number,
  ) {
    const { limits } = context;
    this.id = id;
    this.#context = context;
    this.#channel = channel;
    this.#firehose = firehoseChannel(channel);
    this.#transport = transport;
    this.#target = target;
    this.#release = release;
    // JSON `{"seq":1,"pad":"…"}` of about `eventBytes`.
    this.#padding = 'x'.repeat(Math.max(0, limits.eventBytes - 30));
    this.#publishedId = cursor;
    const Reader = transport === 'sse' ? SlowSseReader : SlowWsReader;
    this.#reader = new Reader({ target, channel: this.#firehose, bytesPerSecond, cursor });
    this.#timers.every(limits.sampleMs, () => this.#sample());
    this.#timers.every(PUBLISH_TICK_MS, () => this.#publishBatch());
    // A cut run is ended by its aftermath instead (at most two AFTERMATH_TIMEOUT_MS waits), with the
    // resume it reports: on a busy machine the cut can come late, and ending at maxRunMs lost the resume.
    this.#timers.after(limits.maxRunMs, () => {
      if (!this.#cut) this.finish();
    });
    void this.#reader.ended.then(() => {
      // Ended before any cut (e.g. the server began draining): nothing more to watch.
      if (!this.#cut) this.finish(this.#connected ? 'the connection ended before the server cut it' : 'the consumer could not connect');
    });
  }

  /** ms since the consumer connected. */
  #t(): number {
    return Math.round(performance.now() - this.#startedAt);
  }

  /** The server's buffer for the consumer, or undefined when it has no connection (any more). */
  #serverBuffered(): number | undefined {
    if (this.#transport === 'sse') {
      this.#stream ??= this.#context.sseStreams.on(this.#firehose).at(-1);
      return this.#stream?.open ? this.#stream.bufferedBytes : undefined;
    }
    return this.#context.webSocket.bufferedAmounts(this.#firehose)[0];
  }

  #publishBatch(): void {
    if (!this.#connected || this.#cut) return;
    const { bus, logger, limits } = this.#context;
    const batch = Math.max(1, Math.round((limits.publishPerSecond * PUBLISH_TICK_MS) / 1000));
    for (let index = 0; index < batch; index += 1) {
      this.#seq += 1;
      bus
        .publish(this.#firehose, FIREHOSE_EVENT_TYPE, { seq: this.#seq, pad: this.#padding })
        .then((event) => {
          this.#sentBytes += wireBytes(this.#transport, this.#firehose, event);
          this.#publishedId = Math.max(this.#publishedId, event.id);
        })
        .catch((error: unknown) => logger.error('Could not publish to the firehose:', error));
    }
  }

  // #region sample
  #sample(): void {
    const buffered = this.#serverBuffered();
    if (!this.#connected) {
      this.#connected = buffered !== undefined;
      return;
    }
    if (buffered === undefined) {
      // SSE says why its stream ended; a WebSocket subscription only ends at the cap here (or on a drain).
      const endedBy = this.#stream?.endedBy;
      if (endedBy !== undefined && endedBy !== 'slow-consumer') return this.finish(`the stream ended (${endedBy})`);
      return this.#onCut();
    }
    this.#maxBuffered = Math.max(this.#maxBuffered, buffered);
    const sample: SlowConsumerSample = {
      run: this.id,
      t: this.#t(),
      serverBufferedBytes: buffered,
      sentBytes: this.#sentBytes,
      readBytes: this.#reader.readBytes,
      publishedId: this.#publishedId,
      readId: this.#reader.lastId,
    };
    this.#publish(PRODUCTION_EVENTS.slowSample, sample);
  }
  // #endregion sample

  /** The server dropped the consumer: report it, let the consumer read what was on its way, then resume. */
  #onCut(): void {
    if (this.#cut) return;
    this.#cut = true;
    const cut: SlowConsumerCut = {
      run: this.id,
      t: this.#t(),
      transport: this.#transport,
      action: this.#transport === 'sse' ? 'sse-stream-cut' : 'websocket-1013',
      serverBufferedBytes: this.#maxBuffered,
      unreadBytes: Math.max(0, this.#sentBytes - this.#reader.readBytes),
    };
    this.#publish(PRODUCTION_EVENTS.slowCut, cut);
    // Waiting for the consumer to crawl through megabytes at its speed would take minutes: speed it up.
    this.#reader.fullSpeed();
    const gaveUp = this.#timers.delay(AFTERMATH_TIMEOUT_MS);
    void Promise.race([this.#reader.ended, gaveUp]).then(() => this.#resumeByCursor());
  }

  async #resumeByCursor(): Promise<void> {
    if (this.#done) return;
    this.#reader.stop();
    const cursor = this.#reader.lastId;
    const latestId = await this.#context.bus.latestId(this.#firehose).catch(() => this.#publishedId);
    const Reader = this.#transport === 'sse' ? SlowSseReader : SlowWsReader;
    const resume = new Reader({ target: this.#target, channel: this.#firehose, bytesPerSecond: 0, cursor });
    this.#resume = resume;
    resume.fullSpeed();
    const answer = await Promise.race([resume.resumed, this.#timers.delay(AFTERMATH_TIMEOUT_MS)]);
    if (this.#done) return;
    // No sign within the wait: nothing was published after the cursor, so nothing was missing.
    const outcome = answer?.outcome ?? 'replay';
    const resumed: SlowConsumerResumed = {
      run: this.id,
      t: this.#t(),
      cursor,
      latestId,
      outcome,
      replayed: outcome === 'replay' ? latestId - cursor : 0,
    };
    this.#publish(PRODUCTION_EVENTS.slowResumed, resumed);
    this.finish();
  }

  finish(aborted?: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#timers.clear();
    this.#reader.stop();
    this.#resume?.stop();
    const done: SlowConsumerDone = {
      run: this.id,
      t: this.#t(),
      cut: this.#cut,
      maxServerBufferedBytes: this.#maxBuffered,
      ...(aborted === undefined ? {} : { aborted }),
    };
    this.#publish(PRODUCTION_EVENTS.slowDone, done);
    this.#release();
  }

  #publish(type: string, data: unknown): void {
    publishRunEvent(this.#context.bus, this.#context.logger, this.#channel, type, data);
  }
}

/** Bytes `event` takes on the consumer's connection: SSE text in one HTTP/1.1 chunk, or a WebSocket frame. */
function wireBytes(transport: SlowConsumerTransport, channel: string, event: ChannelEvent): number {
  if (transport === 'sse') {
    const text = Buffer.byteLength(formatEvent(event));
    // Chunked transfer coding (RFC 9112 §7.1): the size in hex, CRLF, the data, CRLF.
    return text + text.toString(16).length + 4;
  }
  const payload = Buffer.byteLength(JSON.stringify({ type: 'event', channel, event }));
  return payload + frameHeaderBytes(payload, false);
}
