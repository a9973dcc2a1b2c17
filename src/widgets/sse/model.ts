import { batch, computed, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { BUILD_EVENT_TYPES, type StartBuildResponse } from '../../protocol/builds.ts';
import type { FaultRequest, FaultResponse } from '../../protocol/faults.ts';
import { SSE_DEFAULTS, SSE_RESET_EVENT, type SseResetData } from '../../protocol/sse.ts';
import { BROADCAST_EVENT_TYPE } from '../../protocol/workshops.ts';
import { broadcastLine, demoBroadcastOf } from '../shared/workshop-broadcast.ts';
import { formatMs } from '../shared/format.ts';
import {
  complete,
  newTrack,
  parseId,
  skippedEvents,
  track as trackEvent,
  verificationText,
  withBuild,
  type BuildTrack,
} from './build-tracker.ts';
import { ApiError, errorMessage } from '../shared/http.ts';
import { READY_STATE, type EventSourceLike, type SseClient } from './client.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { isHeartbeat, resumeIdOf, type WireLine } from '../../protocol/sse-wire-parser.ts';
import { WireReader, type WireReaderListener } from './wire-reader.ts';

/**
 * The SSE widget's state, with no DOM and no JSX, so node:test can drive it
 * with a fake client (a fake EventSource and a fake fetch) and mock timers.
 *
 * Two readers follow the widget's channel:
 * - the browser's own `EventSource`, which the lesson is about: it delivers
 *   the build's events, reconnects by itself after `retry:` ms and sends
 *   `Last-Event-ID` (WHATWG HTML §9.2.3);
 * - the wire view's fetch reader (wire-reader.ts), which shows the bytes.
 * Both count against the browser's 6 connections per host on HTTP/1.1.
 */

/** Heartbeat interval asked of both demo streams, so a heartbeat shows within seconds (the server's default is 15 s). */
export const DEMO_HEARTBEAT_MS = 5_000;

/** How long the widget's builds run. */
export const BUILD_DURATION_MS = 20_000;

/** "Start build" waits this long for the stream to open before giving up. */
export const OPEN_TIMEOUT_MS = 10_000;

/** A build with no `done` this long after its expected end is declared lost (the server restarted?). */
export const LOST_GRACE_MS = 30_000;

/** Lines the wire view keeps, to bound memory on a stream left open for hours. */
export const WIRE_MAX_LINES = 200;

/** Workshop broadcasts the demo keeps on show (the newest last). */
export const MAX_BROADCASTS = 5;

/** The choices of "Reconnect delay (retry)". */
export const RETRY_CHOICES = [1_000, 2_000, 5_000, 10_000] as const;

/** A fault counts as the cause of a lost connection that follows within this time. */
const CAUSE_WINDOW_MS = 5_000;

/** The lesson's exercise, checked by the widget when a build ends. */
export const EXERCISE = {
  lesson: 'server-sent-events',
  id: 'resume-without-gaps',
} as const;

export type ConnectionState =
  /** No stream yet: "Start build" opens them. */
  | 'idle'
  /** The first connection is being made. */
  | 'connecting'
  | 'open'
  /** The connection was lost; the browser waits `retry` ms and tries again. */
  | 'reconnecting'
  /** The browser gave up for good (a non-200 answer or a wrong content type). */
  | 'closed'
  /** Closed by the widget while the 6-connection experiment runs. */
  | 'paused';

export type BuildPhase = 'idle' | 'starting' | 'running' | 'passed' | 'failed' | 'lost';

/** One line of the wire view: a line of the stream, or the widget's own note between connections. */
export type WireEntry =
  | { seq: number; connection: number; kind: 'line'; line: WireLine }
  | { seq: number; connection: number; kind: 'note'; text: string };

type NewWireEntry = { connection: number; kind: 'line'; line: WireLine } | { connection: number; kind: 'note'; text: string };

/** What the last automatic reconnect of the EventSource looked like. */
export interface ReconnectRecord {
  /** 1, 2, 3… */
  n: number;
  /** What cut the connection, as far as the widget knows. */
  cause: 'kill' | 'restart' | 'network';
  lostAt: number;
  openedAt: number;
  /** From the lost connection to the new one's open. */
  afterMs: number;
  /**
   * The `lastEventId` of the last event delivered before the loss: what the browser sent as `Last-Event-ID`.
   * '' when no event had arrived: the browser then sends the id of the server's opening `id:` line, which
   * dispatches no event, so the page cannot see it (only the wire view's own connection shows one).
   */
  sentLastEventId: string;
  /** The id of the first event delivered after the reconnect, once one came. */
  nextEventId: number | null;
}

/** A workshop broadcast the EventSource delivered on the demo's channel (src/protocol/workshops.ts). */
export interface BroadcastEntry {
  /** The event's id: unique on the channel. */
  key: string;
  /** `From <workshop>: <text>`. */
  line: string;
  at: number;
}

export interface SseStats {
  /** Events the EventSource delivered. */
  events: number;
  /** Automatic reconnects of the EventSource. */
  reconnects: number;
  /** `: heartbeat` comments the wire view saw. */
  heartbeats: number;
  /** Bytes the wire view's connections received: each response's status line and headers, and the stream body. */
  bytes: number;
  /** Connections the wire view made. */
  wireConnections: number;
}

export interface ExerciseCheck {
  /** The build ran to its `done`. */
  finished: boolean;
  /** Kills of the connection by the reader during the build. */
  kills: number;
  /** Reconnects of the EventSource during the build. */
  reconnects: number;
  /** Every line exactly once: received === totalLines, no gap, no repeat, no reset. */
  exact: boolean;
  passed: boolean;
}

export interface SseModelOptions {
  /** Build duration; default {@link BUILD_DURATION_MS}. */
  buildDurationMs?: number;
  /** Heartbeat interval asked of the streams; default {@link DEMO_HEARTBEAT_MS}. */
  heartbeatMs?: number;
  openTimeoutMs?: number;
  /** Called once, the first time a build passes the exercise. */
  onExerciseComplete?: () => void;
}

export interface SseModel {
  /** The widget's channel; set by the view after mount. */
  readonly channel: Signal<string | null>;
  /** The heartbeat interval the demo's streams ask for. */
  readonly heartbeatMs: number;

  readonly connection: ReadonlySignal<ConnectionState>;
  /** True while the wire view's reader has a response open. */
  readonly wireOpen: ReadonlySignal<boolean>;
  readonly wire: ReadonlySignal<readonly WireEntry[]>;
  /** Workshop broadcasts received, oldest first, at most {@link MAX_BROADCASTS}. */
  readonly broadcasts: ReadonlySignal<readonly BroadcastEntry[]>;
  readonly stats: ReadonlySignal<SseStats>;
  readonly phase: ReadonlySignal<BuildPhase>;
  readonly build: ReadonlySignal<BuildTrack | null>;
  /** "Lines received 42 of 120 · missing 0 · repeated 0", or '' before any build. */
  readonly verification: ReadonlySignal<string>;
  readonly lastReconnect: ReadonlySignal<ReconnectRecord | null>;
  /** The last `: resuming after Last-Event-ID N` the wire view read: N, and when. */
  readonly wireResume: ReadonlySignal<{ id: number; at: number } | null>;
  readonly lastHeartbeatAt: ReadonlySignal<number | null>;
  /** Whether the reader wants heartbeats (the checkbox). */
  readonly heartbeats: ReadonlySignal<boolean>;
  /** The reconnection time: the select's value, and whatever the stream last said with `retry:`. */
  readonly retryMs: ReadonlySignal<number>;
  /** The fault being sent, if any. */
  readonly sending: ReadonlySignal<FaultRequest['type'] | null>;
  readonly status: ReadonlySignal<string>;
  readonly error: ReadonlySignal<string | null>;
  readonly exercise: ReadonlySignal<ExerciseCheck>;
  readonly exerciseDone: ReadonlySignal<boolean>;

  /** Opens both streams (if not open), then starts a build on the channel. */
  startBuild(): Promise<void>;
  /** Opens both streams, if not open yet. */
  connect(): void;
  /** Asks the server to destroy the channel's stream sockets. */
  kill(): Promise<void>;
  /** Asks the server to end the channel's streams cleanly. */
  restart(): Promise<void>;
  setHeartbeats(enabled: boolean): Promise<void>;
  setRetry(ms: number): Promise<void>;
  /** Closes both streams (they count against the connection limit); `resume()` reopens them where they left off. */
  pause(): void;
  resume(): void;
  /** Closes everything and clears every timer; the model is unusable afterwards. */
  dispose(): void;
}

/** Creates the model. Opens nothing by itself: the streams open on `connect()` or `startBuild()`. */
export function createSseModel(client: SseClient, clock: Clock = systemClock, options: SseModelOptions = {}): SseModel {
  const buildDurationMs = options.buildDurationMs ?? BUILD_DURATION_MS;
  const heartbeatMs = options.heartbeatMs ?? DEMO_HEARTBEAT_MS;
  const openTimeoutMs = options.openTimeoutMs ?? OPEN_TIMEOUT_MS;

  const channel = signal<string | null>(null);
  const connection = signal<ConnectionState>('idle');
  const wireOpen = signal(false);
  const wire = signal<readonly WireEntry[]>([]);
  const broadcasts = signal<readonly BroadcastEntry[]>([]);
  const stats = signal<SseStats>({ events: 0, reconnects: 0, heartbeats: 0, bytes: 0, wireConnections: 0 });
  const phase = signal<BuildPhase>('idle');
  const build = signal<BuildTrack | null>(null);
  const lastReconnect = signal<ReconnectRecord | null>(null);
  const wireResume = signal<{ id: number; at: number } | null>(null);
  const lastHeartbeatAt = signal<number | null>(null);
  const heartbeats = signal(true);
  const retryMs = signal<number>(SSE_DEFAULTS.retryMs);
  const sending = signal<FaultRequest['type'] | null>(null);
  const status = signal('');
  const error = signal<string | null>(null);
  const exerciseDone = signal(false);
  /** Kills and reconnects during the current build, for the exercise. */
  const buildKills = signal(0);
  const buildReconnects = signal(0);

  let source: EventSourceLike | null = null;
  let wireReader: WireReader | null = null;
  /** The `lastEventId` of the last event the EventSource delivered. */
  let lastDelivered = '';
  /** When the open connection was lost (null while open). */
  let lostAt: number | null = null;
  let lostLastEventId = '';
  /** The last kill / restart the reader sent, to name the cause of the next loss. */
  let lastFault: { type: 'kill' | 'restart'; at: number } | null = null;
  let openWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let lostTimer: unknown = null;
  let settingsSynced = false;
  /** When the server confirmed "heartbeats off" (null while on). */
  let heartbeatsOffAt: number | null = null;
  let disposed = false;
  let wireSeq = 0;

  const verification = computed(() => (build.value ? verificationText(build.value) : ''));

  const exercise = computed<ExerciseCheck>(() => {
    const current = build.value;
    const finished = current?.done != null && (phase.value === 'passed' || phase.value === 'failed');
    const exact = current !== null && complete(current);
    const kills = buildKills.value;
    const reconnects = buildReconnects.value;
    return { finished, kills, reconnects, exact, passed: finished && exact && kills > 0 && reconnects > 0 };
  });

  // ---- The EventSource ----------------------------------------------------

  function openSource(resumeFrom?: string): void {
    const ch = channel.peek();
    if (!ch || disposed) return;
    const url = client.streamUrl(ch, { heartbeatMs, lastEventId: resumeFrom || undefined });
    let es: EventSourceLike;
    try {
      es = client.openEventSource(url);
    } catch (failure) {
      batch(() => {
        connection.value = 'closed';
        error.value = errorMessage(failure);
      });
      return;
    }
    source = es;
    lostAt = null;
    connection.value = 'connecting';
    es.onopen = () => {
      if (source === es) onOpen();
    };
    es.onerror = () => {
      if (source === es) onError(es);
    };
    // A workshop's broadcast arrives on the same channel with an id of its own: it
    // goes through the build tracker too, so its id does not look like a gap.
    const types = [
      BUILD_EVENT_TYPES.log,
      BUILD_EVENT_TYPES.progress,
      BUILD_EVENT_TYPES.done,
      SSE_RESET_EVENT,
      BROADCAST_EVENT_TYPE,
      'message',
    ];
    for (const type of types) {
      es.addEventListener(type, (event) => {
        if (source === es) onEvent(type, event);
      });
    }
  }

  function onOpen(): void {
    batch(() => {
      if (lostAt !== null) {
        const openedAt = clock.now();
        const record: ReconnectRecord = {
          n: stats.peek().reconnects + 1,
          cause: lastFault && lostAt - lastFault.at <= CAUSE_WINDOW_MS && lastFault.at <= lostAt ? lastFault.type : 'network',
          lostAt,
          openedAt,
          afterMs: openedAt - lostAt,
          sentLastEventId: lostLastEventId,
          nextEventId: null,
        };
        lastReconnect.value = record;
        stats.value = { ...stats.peek(), reconnects: record.n };
        if (phase.peek() === 'running' || phase.peek() === 'starting') buildReconnects.value++;
        status.value = `The browser reconnected by itself after ${formatMs(record.afterMs)}${
          record.sentLastEventId
            ? `, sending Last-Event-ID: ${record.sentLastEventId}`
            : ', sending as Last-Event-ID the id of the server’s opening id: line (no event had arrived)'
        }.`;
        lostAt = null;
      }
      connection.value = 'open';
    });
    const waiters = openWaiters;
    openWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  function onError(es: EventSourceLike): void {
    if (es.readyState === READY_STATE.closed) {
      // A non-200 status or a wrong content type: the browser will not try again (§9.2.3 "fail the connection").
      source = null;
      batch(() => {
        connection.value = 'closed';
        error.value =
          'The browser closed the stream for good: the server answered with an error or not with text/event-stream. “Start build” opens a new one.';
      });
      rejectWaiters(new ApiError('The stream could not be opened.'));
      return;
    }
    // readyState CONNECTING: the connection broke (or could not be made); the browser retries after `retry` ms.
    const state = connection.peek();
    if (state === 'open') {
      lostAt = clock.now();
      lostLastEventId = lastDelivered;
      batch(() => {
        connection.value = 'reconnecting';
        status.value = `Connection lost. The browser will reconnect by itself in about ${formatMs(retryMs.peek())}${
          lastDelivered ? `, sending Last-Event-ID: ${lastDelivered}` : ''
        }.`;
      });
    }
  }

  function onEvent(type: string, event: MessageEvent<string>): void {
    lastDelivered = event.lastEventId;
    const id = parseId(event.lastEventId);
    batch(() => {
      stats.value = { ...stats.peek(), events: stats.peek().events + 1 };
      const record = lastReconnect.peek();
      if (record && record.nextEventId === null && id !== null) lastReconnect.value = { ...record, nextEventId: id };
      const broadcast = demoBroadcastOf(type, event.data);
      if (broadcast) {
        const entry = { key: event.lastEventId || String(clock.now()), line: broadcastLine(broadcast), at: clock.now() };
        broadcasts.value = [...broadcasts.peek().filter((item) => item.key !== entry.key), entry].slice(-MAX_BROADCASTS);
      }
      if (type === SSE_RESET_EVENT) {
        const data = safeJson<SseResetData>(event.data);
        status.value = `The server could not resume after the id the browser sent (${data?.reason ?? 'reset'}): events were skipped. It continues from id ${data?.latestId ?? event.lastEventId}.`;
      }
      const current = build.peek();
      if (!current || (phase.peek() !== 'starting' && phase.peek() !== 'running')) return;
      const next = trackEvent(current, { type, data: event.data, lastEventId: event.lastEventId });
      build.value = next;
      if (next.done && !current.done && (next.buildId === null || next.done.build === next.buildId)) finishBuild(next);
    });
  }

  function finishBuild(track: BuildTrack): void {
    if (lostTimer !== null) clock.clearTimeout(lostTimer);
    lostTimer = null;
    phase.value = track.done!.status === 'failed' ? 'failed' : 'passed';
    const exact = complete(track);
    status.value = `The build ${track.done!.status}. ${
      exact
        ? `All ${track.received} log lines arrived, each exactly once.`
        : `Lines received ${track.received} of ${track.totalLines ?? track.done!.lines}: ${
            skippedEvents(track) ? `${skippedEvents(track)} events never arrived` : 'some are missing or repeated'
          }.`
    }`;
    if (exercise.peek().passed && !exerciseDone.peek()) {
      exerciseDone.value = true;
      options.onExerciseComplete?.();
    }
  }

  function waitForOpen(): Promise<void> {
    if (connection.peek() === 'open') return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clock.clearTimeout(timer);
          resolve();
        },
        reject: (failure: Error) => {
          clock.clearTimeout(timer);
          reject(failure);
        },
      };
      const timer = clock.setTimeout(() => {
        openWaiters = openWaiters.filter((item) => item !== waiter);
        reject(new ApiError(`The stream did not open within ${formatMs(openTimeoutMs)}. Is the companion server running?`));
      }, openTimeoutMs);
      openWaiters.push(waiter);
    });
  }

  function rejectWaiters(failure: Error): void {
    const waiters = openWaiters;
    openWaiters = [];
    for (const waiter of waiters) waiter.reject(failure);
  }

  // ---- The wire view's reader ---------------------------------------------

  const wireListener: WireReaderListener = {
    connecting({ attempt, url, lastEventId }) {
      const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '');
      batch(() => {
        stats.value = { ...stats.peek(), wireConnections: attempt };
        addWire([
          {
            kind: 'note',
            connection: attempt,
            text: `connection ${attempt}: GET ${path}${lastEventId ? ` (resuming after id ${lastEventId})` : ''}`,
          },
        ]);
      });
    },
    open({ attempt, status: code, contentType, headerBytes }) {
      batch(() => {
        wireOpen.value = true;
        stats.value = { ...stats.peek(), bytes: stats.peek().bytes + headerBytes };
        addWire([{ kind: 'note', connection: attempt, text: `${code} OK, ${contentType}` }]);
      });
    },
    chunk({ attempt, bytes, lines, retryMs: retry }) {
      const now = clock.now();
      let beats = 0;
      let resume: number | null = null;
      for (const line of lines) {
        if (isHeartbeat(line)) beats++;
        resume = resumeIdOf(line) ?? resume;
      }
      batch(() => {
        const current = stats.peek();
        stats.value = { ...current, bytes: current.bytes + bytes, heartbeats: current.heartbeats + beats };
        if (beats > 0) lastHeartbeatAt.value = now;
        // Faults expire on the server (after 10 min): a heartbeat long after
        // "off" was confirmed means they are back on; let the checkbox say so.
        if (beats > 0 && !heartbeats.peek() && heartbeatsOffAt !== null && now - heartbeatsOffAt > heartbeatMs + 1_000) {
          heartbeats.value = true;
          heartbeatsOffAt = null;
          status.value = 'Heartbeats are back: the server forgot the “off” fault (faults expire after a while).';
        }
        if (resume !== null) wireResume.value = { id: resume, at: now };
        if (retry !== null && retry > 0) retryMs.value = retry;
        addWire(lines.map((line) => ({ kind: 'line' as const, connection: attempt, line })));
      });
    },
    closed({ attempt, reason, detail, bytes, retryInMs, lastEventId }) {
      const what = {
        ended: 'the server ended the stream',
        'network-error': `the connection broke (${detail})`,
        refused: `the server refused the stream (${detail}); not retrying, as EventSource would not`,
      }[reason];
      const then =
        retryInMs === null ? '' : `; reconnecting in ${formatMs(retryInMs)}${lastEventId ? ` with ?lastEventId=${lastEventId}` : ''}`;
      batch(() => {
        wireOpen.value = false;
        addWire([{ kind: 'note', connection: attempt, text: `connection ${attempt} closed after ${bytes} B: ${what}${then}` }]);
      });
    },
  };

  function addWire(entries: NewWireEntry[]): void {
    if (entries.length === 0) return;
    const added = entries.map((entry) => ({ ...entry, seq: ++wireSeq }) as WireEntry);
    const next = [...wire.peek(), ...added];
    wire.value = next.length > WIRE_MAX_LINES ? next.slice(next.length - WIRE_MAX_LINES) : next;
  }

  function openWire(resumeFrom?: string): void {
    const ch = channel.peek();
    if (!ch || disposed) return;
    wireReader ??= new WireReader({ client, channel: ch, listener: wireListener, heartbeatMs, clock });
    wireReader.start(resumeFrom);
  }

  // ---- Actions ------------------------------------------------------------

  function connect(): void {
    if (disposed || !channel.peek()) return;
    const state = connection.peek();
    if (state === 'paused') return; // The experiment holds the slots; resume() reopens.
    if (state === 'idle' || state === 'closed') openSource();
    if (!wireReader?.running) openWire();
    if (!settingsSynced) {
      settingsSynced = true;
      // The channel (kept across reloads) may still have heartbeats off from an
      // earlier visit: make the server match the checkbox. Retry needs no sync:
      // the stream's first line says it, and the select follows.
      void client.sendFault(channel.peek()!, { type: 'heartbeats', enabled: heartbeats.peek() }).catch(() => {});
    }
  }

  async function startBuild(): Promise<void> {
    const ch = channel.peek();
    if (disposed || !ch || phase.peek() === 'starting' || phase.peek() === 'running') return;
    if (connection.peek() === 'paused') {
      error.value = 'Stop the experiment first: it closed this demo’s streams.';
      return;
    }
    batch(() => {
      phase.value = 'starting';
      build.value = newTrack(parseId(lastDelivered));
      buildKills.value = 0;
      buildReconnects.value = 0;
      error.value = null;
      status.value = connection.peek() === 'open' ? 'Starting a build…' : 'Opening the stream first, so that no event is missed…';
    });
    const notStarted = (failure: unknown, message: string) => {
      if (disposed) return;
      batch(() => {
        phase.value = 'idle';
        build.value = null;
        error.value = errorMessage(failure);
        status.value = message;
      });
    };
    connect();
    try {
      // The build's events go only to streams open when they are published:
      // open first, then start it, so the first line is not missed.
      await waitForOpen();
    } catch (failure) {
      notStarted(failure, '');
      return;
    }
    let started: StartBuildResponse;
    try {
      started = await client.startBuild({ channel: ch, durationMs: buildDurationMs });
    } catch (failure) {
      notStarted(failure, 'Could not start a build.');
      return;
    }
    if (disposed || phase.peek() !== 'starting') return;
    batch(() => {
      build.value = withBuild(build.peek() ?? newTrack(), started.id, started.totalLines);
      phase.value = 'running';
      status.value = `Build ${started.id} started: ${started.totalLines} log lines to come over about ${formatMs(buildDurationMs)}. Try “Kill the connection” while it runs.`;
    });
    lostTimer = clock.setTimeout(() => {
      lostTimer = null;
      if (phase.peek() !== 'running') return;
      batch(() => {
        phase.value = 'lost';
        status.value = 'The build never said it was done: the server may have restarted and forgotten it. Start another one.';
      });
    }, buildDurationMs + LOST_GRACE_MS);
  }

  async function fault(request: FaultRequest): Promise<FaultResponse | null> {
    const ch = channel.peek();
    if (!ch || disposed) return null;
    batch(() => {
      sending.value = request.type;
      error.value = null;
    });
    try {
      return await client.sendFault(ch, request);
    } catch (failure) {
      if (!disposed) error.value = errorMessage(failure);
      return null;
    } finally {
      if (!disposed && sending.peek() === request.type) sending.value = null;
    }
  }

  async function cut(type: 'kill' | 'restart'): Promise<void> {
    const during = phase.peek() === 'running' || phase.peek() === 'starting';
    lastFault = { type, at: clock.now() };
    const answer = await fault({ type: type === 'kill' ? 'kill-streams' : 'restart-streams' });
    if (!answer || disposed) return;
    if (answer.affected === 0) {
      status.value = 'No stream of this channel was open on the server, so nothing was cut.';
      return;
    }
    if (type === 'kill' && during) buildKills.value++;
    const streams = answer.affected === 1 ? '1 stream' : `${answer.affected} streams`;
    status.value =
      type === 'kill'
        ? `The server destroyed ${streams} (the EventSource and the wire view), as a dropped network would. Watch them reconnect by themselves after ${formatMs(retryMs.peek())}.`
        : `The server ended ${streams} cleanly, as a restarting server would. An ended stream is not the end for EventSource: it reconnects after ${formatMs(retryMs.peek())}.`;
  }

  async function setHeartbeats(enabled: boolean): Promise<void> {
    const before = heartbeats.peek();
    heartbeats.value = enabled;
    const answer = await fault({ type: 'heartbeats', enabled });
    if (disposed) return;
    if (!answer) {
      heartbeats.value = before;
      return;
    }
    heartbeatsOffAt = enabled ? null : clock.now();
    status.value = enabled
      ? 'Heartbeats back on: a comment every few seconds keeps the connection busy.'
      : 'Heartbeats off. Between events the connection now carries nothing; a proxy with an idle timeout would cut it, and the browser would reconnect.';
  }

  async function setRetry(ms: number): Promise<void> {
    const before = retryMs.peek();
    retryMs.value = ms;
    const answer = await fault({ type: 'retry', retryMs: ms });
    if (disposed) return;
    if (!answer) {
      retryMs.value = before;
      return;
    }
    status.value = `The server wrote “retry: ${ms}” to the open streams (see the wire view): after a loss the browser now waits ${formatMs(ms)} before reconnecting.`;
  }

  let pausedFrom: { source: boolean; wire: boolean } | null = null;

  function pause(): void {
    if (disposed || connection.peek() === 'paused') return;
    const hadSource = source !== null;
    const hadWire = wireReader?.running ?? false;
    pausedFrom = { source: hadSource, wire: hadWire };
    source?.close();
    source = null;
    wireReader?.stop();
    lostAt = null;
    rejectWaiters(new ApiError('The streams were paused.'));
    batch(() => {
      wireOpen.value = false;
      connection.value = 'paused';
      if (hadWire)
        addWire([{ kind: 'note', connection: stats.peek().wireConnections, text: 'paused by the widget for the 6-connection experiment' }]);
    });
  }

  function resume(): void {
    if (disposed || connection.peek() !== 'paused') return;
    const was = pausedFrom ?? { source: false, wire: false };
    pausedFrom = null;
    connection.value = 'idle';
    // A new EventSource cannot send a Last-Event-ID header; the query does it.
    if (was.source) openSource(lastDelivered);
    if (was.wire) openWire();
  }

  function dispose(): void {
    disposed = true;
    source?.close();
    source = null;
    wireReader?.stop();
    wireReader = null;
    if (lostTimer !== null) clock.clearTimeout(lostTimer);
    lostTimer = null;
    rejectWaiters(new ApiError('The widget was closed.'));
  }

  return {
    channel,
    heartbeatMs,
    connection,
    wireOpen,
    wire,
    broadcasts,
    stats,
    phase,
    build,
    verification,
    lastReconnect,
    wireResume,
    lastHeartbeatAt,
    heartbeats,
    retryMs,
    sending,
    status,
    error,
    exercise,
    exerciseDone,
    startBuild,
    connect,
    kill: () => cut('kill'),
    restart: () => cut('restart'),
    setHeartbeats,
    setRetry,
    pause,
    resume,
    dispose,
  };
}

function safeJson<T>(text: string): T | null {
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
