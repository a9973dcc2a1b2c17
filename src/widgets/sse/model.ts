import { batch, type ReadonlySignal, type Signal } from '@preact/signals';
import type { FaultRequest } from '../../protocol/faults.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { ApiError } from '../shared/http.ts';
import type { BuildTrack } from './build-tracker.ts';
import { startBuild } from './build-run.ts';
import type { SseClient } from './client.ts';
import { openSource, rejectWaiters } from './event-source-link.ts';
import type { ExerciseCheck } from './sse-exercise.ts';
import { createSseState } from './sse-state.ts';
import { cutStreams, setHeartbeats, setRetry, syncHeartbeats } from './stream-faults.ts';
import { addWire, openWire, type WireEntry } from './wire-log.ts';

/**
 * The SSE widget's state, with no DOM and no JSX, so node:test can drive it
 * with a fake client (a fake EventSource and a fake fetch) and mock timers.
 *
 * Two readers follow the widget's channel:
 * - the browser's own `EventSource`, which the lesson is about
 *   (event-source-link.ts): it delivers the build's events, reconnects by
 *   itself after `retry:` ms and sends `Last-Event-ID` (WHATWG HTML §9.2.3);
 * - the wire view's fetch reader (wire-log.ts), which shows the bytes.
 * Both count against the browser's 6 connections per host on HTTP/1.1.
 * A build (build-run.ts) and the faults (stream-faults.ts) act on both.
 */

/** The choices of "Reconnect delay (retry)". */
export const RETRY_CHOICES = [1_000, 2_000, 5_000, 10_000] as const;

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

export interface SseModelOptions {
  /** Build duration; default 20 s (sse-state.ts). */
  buildDurationMs?: number;
  /** Heartbeat interval asked of the streams; default 5 s (sse-state.ts). */
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
  /** Workshop broadcasts received, oldest first, at most `MAX_BROADCASTS` (event-source-link.ts). */
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
  const state = createSseState(client, clock, options);

  function connect(): void {
    if (state.disposed || !state.channel.peek()) return;
    const current = state.connection.peek();
    if (current === 'paused') return; // The experiment holds the slots; resume() reopens.
    if (current === 'idle' || current === 'closed') openSource(state);
    if (!state.wireReader?.running) openWire(state);
    syncHeartbeats(state);
  }

  function pause(): void {
    if (state.disposed || state.connection.peek() === 'paused') return;
    const hadWire = state.wireReader?.running ?? false;
    state.pausedFrom = { source: state.source !== null, wire: hadWire };
    state.source?.close();
    state.source = null;
    state.wireReader?.stop();
    state.lostAt = null;
    rejectWaiters(state, new ApiError('The streams were paused.'));
    batch(() => {
      state.wireOpen.value = false;
      state.connection.value = 'paused';
      const note = 'paused by the widget for the 6-connection experiment';
      if (hadWire) addWire(state, [{ kind: 'note', connection: state.stats.peek().wireConnections, text: note }]);
    });
  }

  function resume(): void {
    if (state.disposed || state.connection.peek() !== 'paused') return;
    const was = state.pausedFrom ?? { source: false, wire: false };
    state.pausedFrom = null;
    state.connection.value = 'idle';
    // A new EventSource cannot send a Last-Event-ID header; the query does it.
    if (was.source) openSource(state, state.lastDelivered);
    if (was.wire) openWire(state);
  }

  function dispose(): void {
    state.disposed = true;
    state.source?.close();
    state.source = null;
    state.wireReader?.stop();
    state.wireReader = null;
    if (state.lostTimer !== null) clock.clearTimeout(state.lostTimer);
    state.lostTimer = null;
    rejectWaiters(state, new ApiError('The widget was closed.'));
  }

  const { channel, heartbeatMs, connection, wireOpen, wire, broadcasts, stats, phase, build, verification } = state;
  const { lastReconnect, wireResume, lastHeartbeatAt, heartbeats, retryMs, sending, status, error, exercise, exerciseDone } = state;
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
    startBuild: () => startBuild(state, connect),
    connect,
    kill: () => cutStreams(state, 'kill'),
    restart: () => cutStreams(state, 'restart'),
    setHeartbeats: (enabled) => setHeartbeats(state, enabled),
    setRetry: (ms) => setRetry(state, ms),
    pause,
    resume,
    dispose,
  };
}
