import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { type ResumeQuery, sseQuery } from '../../src/protocol/request-queries.ts';
import { SSE_DEFAULTS, SSE_LIMITS, SSE_RESET_EVENT, SSE_RESUMING_COMMENT, type SseResetData } from '../../src/protocol/sse.ts';
import type { EventBus } from '../events/event-bus.ts';
import { ReplayGate } from '../events/replay-gate.ts';
import type { FaultRegistry } from '../faults/fault-registry.ts';
import { HttpChunk } from '../http/http-chunk.ts';
import { readQuery } from '../http/query.ts';
import type { RouteHandler } from '../http/router.ts';
import { assertValidChannel } from '../http/validate.ts';
import { type HeartbeatsEnabled, SseHeartbeats } from './sse-heartbeats.ts';
import { SseStream, type SseStreamRegistry } from './sse-streams.ts';

/** Timings and bounds of the SSE endpoint; tests shrink them. */
export interface SseSettings {
  /** Interval of `: heartbeat` comments when the stream does not ask (`SSE_HEARTBEAT_MS`). */
  heartbeatMs: number;
  /** The `retry:` sent first, unless a `retry` fault is armed on the channel. */
  retryMs: number;
  /** A stream with more than this waiting to be sent is cut (see {@link SseStream}). */
  maxBufferedBytes: number;
}

/** What the SSE endpoint needs. */
export interface SseOptions {
  bus: EventBus;
  /** Faults armed on channels: `heartbeats` and `retry`. */
  faults: Pick<FaultRegistry, 'heartbeatsEnabled' | 'retryMs'>;
  /** Where open streams are kept, so faults and draining can reach them. */
  streams: SseStreamRegistry;
  /** Aborted when the server starts draining: every stream ends, so the shutdown is not held up. */
  draining: AbortSignal;
  settings?: Partial<SseSettings>;
}

/**
 * `GET /api/sse/{channel}` — Server-Sent Events (WHATWG HTML §9.2). One long
 * response of `text/event-stream`: `retry:` first, then (when the client
 * resumes) the events it missed, then every event published on the channel,
 * with `: heartbeat` comments while nothing happens.
 *
 * Query: `heartbeat=MS` (1 000–60 000) sets this stream's heartbeat;
 * `lastEventId=N` resumes like the `Last-Event-ID` header (which wins).
 */
export function sseRoute({ bus, faults, streams, draining, settings }: SseOptions): RouteHandler {
  const { heartbeatMs, retryMs, maxBufferedBytes } = {
    heartbeatMs: SSE_DEFAULTS.heartbeatMs,
    retryMs: SSE_DEFAULTS.retryMs,
    maxBufferedBytes: SSE_LIMITS.maxBufferedBytes,
    ...settings,
  };
  // One listener for all streams (not one per stream): a drain ends them all.
  draining.addEventListener('abort', () => streams.all().forEach((stream) => stream.end()), { once: true });
  const heartbeatsEnabled: HeartbeatsEnabled = (channel) => faults.heartbeatsEnabled(channel);

  return ({ request, response, url, params }) => {
    const channel = params.channel;
    assertValidChannel(channel, 'path');
    // Checked before the stream starts: once the 200 is sent, an error can no longer be a status.
    const query = readQuery(url.searchParams, sseQuery);
    const interval = query.heartbeat ?? heartbeatMs;
    const lastEventId = readLastEventId(request, query);

    streamEvents(
      { request, response },
      {
        bus,
        channel,
        lastEventId,
        streams,
        draining,
        heartbeatMs: interval,
        retryMs: faults.retryMs(channel) ?? retryMs,
        maxBufferedBytes,
        heartbeatsEnabled,
      },
    );
  };
}

/** What {@link streamEvents} streams, and how. */
export interface EventStreamOptions {
  bus: EventBus;
  channel: string;
  /** The id the client last saw (`Last-Event-ID`), or undefined on a first connection. */
  lastEventId: string | undefined;
  /** The stream is kept here while open, so faults and draining can reach it. */
  streams: SseStreamRegistry;
  /** Already aborted: the stream sends `retry:` and ends at once. */
  draining: AbortSignal;
  heartbeatMs: number;
  /** The `retry:` sent first. */
  retryMs: number;
  /** A stream with more than this waiting to be sent is cut (see {@link SseStream}). */
  maxBufferedBytes: number;
  /** Asked before each heartbeat comment (a fault can silence them); default always. */
  heartbeatsEnabled?: HeartbeatsEnabled;
}

/** The heartbeats of every stream of this process. */
const heartbeats = new SseHeartbeats();
const always: HeartbeatsEnabled = () => true;

/**
 * Answers with the events of `channel` on `bus` as one long
 * `text/event-stream` response: `retry:` first, then the replay from
 * `lastEventId` ({@link resumeText}), then every event published, with
 * `: heartbeat` comments while nothing happens. Everything it creates is
 * released when the response closes. The caller validates the request first:
 * once the 200 is sent, an error can no longer be a status.
 *
 * @returns the open stream, or undefined when there is none (a `HEAD`, or draining).
 */
export function streamEvents(
  { request, response }: { request: IncomingMessage; response: ServerResponse },
  options: EventStreamOptions,
): SseStream | undefined {
  // Only what the closures below need is kept while the stream is open, not `options` (memory per held stream).
  const { bus, channel, streams, draining, heartbeatMs } = options;
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    // The stream must reach the client as it is written, never from a cache.
    'Cache-Control': 'no-cache',
    // nginx buffers proxied responses by default, which would hold events back; this turns it off.
    'X-Accel-Buffering': 'no',
    Connection: draining.aborted ? 'close' : 'keep-alive',
  });
  // Headers now, not with the first event: the client's `open` fires at once.
  response.flushHeaders();
  if (request.method === 'HEAD') {
    response.end();
    return undefined;
  }

  const stream = new SseStream(channel, response, options.maxBufferedBytes);
  // How long the browser waits before reconnecting once this stream ends.
  stream.write(`retry: ${options.retryMs}\n\n`);
  if (draining.aborted) {
    // Restarting: the browser reconnects after `retry`, to another instance if balanced.
    stream.end();
    return undefined;
  }
  streams.add(stream);

  // #region subscribe-then-replay
  // Subscribe first, then read the log: an event published in between is in
  // both, and the gate lets it through once, after the replay.
  const gate = new ReplayGate((event) => stream.write(encodedEvent(event)));
  // If the shared log is lost (Redis restarted empty), end: the client resumes and gets a `reset`.
  const unsubscribe = bus.subscribe(channel, gate.push, () => stream.end());
  resume(bus, channel, options.lastEventId).then(
    ({ text, lastId }) => {
      stream.write(text);
      gate.open(lastId);
    },
    // The log cannot be read (the backplane is down): end the stream; EventSource
    // reconnects after `retry` with the same Last-Event-ID and loses nothing.
    () => stream.end(),
  );
  // #endregion subscribe-then-replay
  // A comment line: EventSource ignores it, but it keeps proxies and NATs from
  // closing an idle connection, and lets the client notice a dead one.
  heartbeats.add(stream, heartbeatMs, options.heartbeatsEnabled ?? always);

  // Every way a stream ends (client left, fault, drain, slow consumer) closes the response: release all.
  stream.onClose = () => {
    unsubscribe();
    heartbeats.delete(stream, heartbeatMs);
    streams.delete(stream);
  };
  return stream;
}

// #region format-event
/**
 * One event as `text/event-stream` text (WHATWG HTML §9.2.6):
 *
 *     id: 42
 *     event: log
 *     data: first line
 *     data: second line
 *     (blank line: dispatch)
 *
 * The payload is the event's `data` itself when it is a string, else its JSON.
 * A line break ends a field, so the payload is split on every kind the parser
 * knows (CRLF, CR, LF) and each line gets its own `data:` — the browser joins
 * them back with `\n`. A payload holding "\n\ndata: x" therefore stays inside
 * this event instead of dispatching an extra one.
 */
export function formatEvent(event: ChannelEvent): string {
  const payload = typeof event.data === 'string' ? event.data : (JSON.stringify(event.data) ?? 'null');
  const data = payload
    .split(/\r\n|\r|\n/)
    .map((line) => `data: ${line}\n`)
    .join('');
  // `type` matches [A-Za-z0-9._-]{1,64} (checked when published), so it cannot break a line either.
  return `id: ${event.id}\nevent: ${event.type}\n${data}\n`;
}
// #endregion format-event

const encodedEvents = new WeakMap<ChannelEvent, HttpChunk>();

/**
 * {@link formatEvent} as an HTTP chunk, made once per event however many
 * streams carry it: the bus hands every listener the same event object (with
 * Redis too, on each instance), so the 10 000th stream of a channel writes
 * the bytes the first one framed.
 */
export function encodedEvent(event: ChannelEvent): HttpChunk {
  let chunk = encodedEvents.get(event);
  if (chunk === undefined) {
    chunk = new HttpChunk(formatEvent(event));
    encodedEvents.set(event, chunk);
  }
  return chunk;
}

/**
 * The id the client last saw: the `Last-Event-ID` header (sent by EventSource
 * on reconnect), else `?lastEventId=` of the stream's query (`resumeQuery`).
 */
export function readLastEventId(request: IncomingMessage, query: ResumeQuery): string | undefined {
  // An empty id means "none": EventSource does not even send the header then.
  const header = request.headers['last-event-id'];
  if (typeof header === 'string' && header !== '') return header;
  return query.lastEventId || undefined;
}

// #region resume
/** What a (re)connecting stream starts with, and the id it covers up to. */
export interface Resume {
  text: string;
  /** Live events after this id follow the text. */
  lastId: number;
}

/**
 * What a (re)connecting client gets before live events, from the last id it
 * saw — EventSource sends it as `Last-Event-ID` when it reconnects:
 * - no id (a first connection): an `id:` line with the newest id and no data.
 *   It dispatches no event, yet it sets the browser's last event ID (WHATWG
 *   HTML §9.2.6: the id is taken before an empty event is dropped), so a
 *   reconnect before the first real event still resumes from here, not from
 *   "now" — events published while reconnecting are not lost;
 * - an id the log can continue from: a comment, then every event after it
 *   (no gap, no duplicate);
 * - an id it cannot continue from (evicted, ahead of the log after a restart,
 *   or not an id at all): a `reset` event whose `id:` is the newest id, so the
 *   next reconnect resumes from there; the client refetches its state.
 * The log is shared by every instance (lesson 8), so this works whichever
 * instance the reconnect lands on.
 */
export async function resume(bus: EventBus, channel: string, lastEventId: string | undefined): Promise<Resume> {
  if (lastEventId === undefined) {
    const latestId = await bus.latestId(channel);
    return { text: `id: ${latestId}\n\n`, lastId: latestId };
  }
  // Only plain digits: this value comes from the client, and a CR/LF or NUL in it must never reach the wire.
  const cursor = /^\d{1,16}$/.test(lastEventId) ? Number(lastEventId) : NaN;
  const read = Number.isSafeInteger(cursor) ? await bus.since(channel, cursor) : undefined;
  if (read && !read.reset) {
    const text = `${SSE_RESUMING_COMMENT}${cursor}\n\n${read.events.map(formatEvent).join('')}`;
    return { text, lastId: read.latestId };
  }
  const latestId = read?.latestId ?? (await bus.latestId(channel));
  const reason: SseResetData['reason'] = !read ? 'invalid-last-event-id' : cursor > latestId ? 'cursor-ahead' : 'cursor-evicted';
  const data: SseResetData = { reason, latestId };
  const text = formatEvent({ id: latestId, type: SSE_RESET_EVENT, data, ts: Date.now() });
  return { text, lastId: latestId };
}
// #endregion resume
