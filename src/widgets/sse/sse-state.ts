import { computed, signal } from '@preact/signals';
import type { FaultRequest } from '../../protocol/faults.ts';
import { SSE_DEFAULTS } from '../../protocol/sse.ts';
import type { Clock } from '../shared/clock.ts';
import { verificationText, type BuildTrack } from './build-tracker.ts';
import type { EventSourceLike, SseClient } from './client.ts';
import type { BroadcastEntry, BuildPhase, ConnectionState, ReconnectRecord, SseModelOptions, SseStats } from './model.ts';
import { checkExercise, type ExerciseCheck } from './sse-exercise.ts';
import type { WireEntry } from './wire-log.ts';
import type { WireReader } from './wire-reader.ts';

/** Heartbeat interval asked of both demo streams, so a heartbeat shows within seconds (the server's default is 15 s). */
export const DEMO_HEARTBEAT_MS = 5_000;

/** How long the widget's builds run. */
export const BUILD_DURATION_MS = 20_000;

/** "Start build" waits this long for the stream to open before giving up. */
export const OPEN_TIMEOUT_MS = 10_000;

/**
 * Everything the SSE model knows, shared by the modules that each handle one
 * part of it (the EventSource, the wire view, the build, the faults): the
 * signals the view reads (described on `SseModel`), and the plain fields
 * behind them.
 */
export type SseState = ReturnType<typeof createSseState>;

export function createSseState(client: SseClient, clock: Clock, options: SseModelOptions) {
  const build = signal<BuildTrack | null>(null);
  const phase = signal<BuildPhase>('idle');
  const buildKills = signal(0);
  const buildReconnects = signal(0);
  return {
    client,
    clock,
    options,
    buildDurationMs: options.buildDurationMs ?? BUILD_DURATION_MS,
    heartbeatMs: options.heartbeatMs ?? DEMO_HEARTBEAT_MS,
    openTimeoutMs: options.openTimeoutMs ?? OPEN_TIMEOUT_MS,
    channel: signal<string | null>(null),
    connection: signal<ConnectionState>('idle'),
    wireOpen: signal(false),
    wire: signal<readonly WireEntry[]>([]),
    broadcasts: signal<readonly BroadcastEntry[]>([]),
    stats: signal<SseStats>({ events: 0, reconnects: 0, heartbeats: 0, bytes: 0, wireConnections: 0 }),
    phase,
    build,
    lastReconnect: signal<ReconnectRecord | null>(null),
    wireResume: signal<{ id: number; at: number } | null>(null),
    lastHeartbeatAt: signal<number | null>(null),
    heartbeats: signal(true),
    retryMs: signal<number>(SSE_DEFAULTS.retryMs),
    sending: signal<FaultRequest['type'] | null>(null),
    status: signal(''),
    error: signal<string | null>(null),
    exerciseDone: signal(false),
    /** Kills and reconnects during the current build, for the exercise. */
    buildKills,
    buildReconnects,
    verification: computed(() => (build.value ? verificationText(build.value) : '')),
    exercise: computed<ExerciseCheck>(() =>
      checkExercise(build.value, phase.value === 'passed' || phase.value === 'failed', buildKills.value, buildReconnects.value),
    ),
    source: null as EventSourceLike | null,
    wireReader: null as WireReader | null,
    /** The `lastEventId` of the last event the EventSource delivered. */
    lastDelivered: '',
    /** When the open connection was lost (null while open). */
    lostAt: null as number | null,
    lostLastEventId: '',
    /** The last kill / restart the reader sent, to name the cause of the next loss. */
    lastFault: null as { type: 'kill' | 'restart'; at: number } | null,
    openWaiters: [] as { resolve: () => void; reject: (error: Error) => void }[],
    /** Declares a running build lost when its `done` is long overdue. */
    lostTimer: null as unknown,
    settingsSynced: false,
    /** When the server confirmed "heartbeats off" (null while on). */
    heartbeatsOffAt: null as number | null,
    disposed: false,
    wireSeq: 0,
    /** Which streams `pause()` closed, for `resume()`. */
    pausedFrom: null as { source: boolean; wire: boolean } | null,
  };
}

/** A build is under way (started, or waiting for its stream to open). */
export function buildActive(state: SseState): boolean {
  const phase = state.phase.peek();
  return phase === 'starting' || phase === 'running';
}
