import { batch, computed, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { LAB_TECHNIQUES, type LabRun, type LabTechnique, type LabTraffic } from '../../protocol/lab.ts';
import { formatInterval, plural } from '../shared/format.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { ClockOffsetEstimator, type ClockOffset } from '../shared/clock-offset.ts';
import type { LabApi, TimedStats } from './lab-api.ts';
import type { LaneClient, LaneFactory } from './lane.ts';
import { LaneRecorder } from './lane-recorder.ts';
import { NO_LATENCY, summarizeLatency, type LatencySummary } from './latency-stats.ts';
import {
  DEFAULT_DURATION_MS,
  DEFAULT_INTERVAL_MS,
  DEFAULT_RATE_INDEX,
  DURATION_STEPS,
  INTERVAL_STEPS,
  RATE_STEPS,
  formatDuration,
  maxDurationFor,
} from './settings.ts';
import { conclusions, type LaneRow, type RunDescription } from './summary.ts';

/** The lesson's exercise, checked by the widget. */
export const EXERCISE = { lesson: 'side-by-side', id: 'find-the-crossover' } as const;
/** A run counts for the exercise when it published at least this long. */
export const EXERCISE_MIN_RUN_MS = 20_000;

/** How often the figures refresh, and how often the server's counters are fetched. */
export const REFRESH_MS = 500;
export const STATS_EVERY_MS = 1_000;
/** Clock-offset samples taken before a run. */
const SYNC_SAMPLES = 4;
/** How long the lanes get to connect before the publisher starts. */
const CONNECT_TIMEOUT_MS = 5_000;
/** After the lanes close, the wait before the last stats, so the server has seen the closes. */
const SETTLE_MS = 400;
/** Longest wait for the pollers' last answer once the run has ended. */
const MAX_GRACE_MS = 31_000;
/** Events drawn on the latency chart: the most recent ones. */
export const MAX_CHART_EVENTS = 3_000;
/** Ids past this are not charted (a run publishes 30 000 at most; this only guards the arrays). */
const MAX_EVENT_ID = 100_000;

export type Phase = 'idle' | 'starting' | 'running' | 'finishing' | 'done';

/** Everything a lane card shows. */
export interface LaneFigures {
  technique: LabTechnique;
  received: number;
  latency: LatencySummary;
  /** HTTP answers the page got, and those with nothing new (short and long polling only). */
  answers: number;
  empty: number;
  /** What the server counted; zeros until the first stats arrive. */
  traffic: LabTraffic;
  interruptions: number;
  lastInterruption: string | null;
}

/** A finished run, as the exercise remembers it. */
export interface RunRecord {
  rateLabel: string;
  intervalMs: number;
  ranMs: number;
  longPollRequests: number;
  shortPollRequests: number;
}

export interface ExerciseCheck {
  /** A run of at least 20 s where long polling sent fewer requests than short polling (with ETag). */
  fewer: RunRecord | null;
  /** …and one where it sent more. */
  more: RunRecord | null;
}

/** Series for the charts, rebuilt on demand (they can be large). */
export interface ChartSeries {
  /** Seconds since the run started, one per point. */
  x: number[];
  /** One array per technique (in {@link LAB_TECHNIQUES} order), aligned with `x`; null where there is no value. */
  y: (number | null)[][];
}

export interface LabModel {
  readonly rateIndex: Signal<number>;
  readonly intervalMs: Signal<number>;
  readonly durationMs: Signal<number>;
  readonly phase: ReadonlySignal<Phase>;
  readonly status: ReadonlySignal<string>;
  readonly error: ReadonlySignal<string | null>;
  /** Time since the run started publishing, ms (page clock). */
  readonly elapsedMs: ReadonlySignal<number>;
  /** The server's view of the run (events published so far…), or null. */
  readonly run: ReadonlySignal<LabRun | null>;
  /**
   * Events published so far: the server's count, or the newest id a lane
   * received when that is ahead (the count comes once a second; ids are the
   * run's sequence numbers, since every lab has a channel of its own).
   */
  readonly published: ReadonlySignal<number>;
  readonly offset: ReadonlySignal<ClockOffset | null>;
  readonly lanes: ReadonlySignal<readonly LaneFigures[]>;
  /** The summary table's rows (live while running, final when done). */
  readonly rows: ReadonlySignal<readonly LaneRow[]>;
  readonly description: ReadonlySignal<RunDescription | null>;
  readonly conclusions: ReadonlySignal<readonly string[]>;
  /** Bumped whenever the chart data changed. */
  readonly chartVersion: ReadonlySignal<number>;
  readonly exercise: ReadonlySignal<ExerciseCheck>;
  readonly exerciseDone: ReadonlySignal<boolean>;
  /** Connections the last "Drop every connection" cut, or null. */
  readonly dropped: ReadonlySignal<number | null>;
  /** Latency of each event (ms, clock-corrected) by publish time. */
  latencySeries(): ChartSeries;
  /** Cumulative bytes (up + down) of each technique, sampled with each stats poll. */
  bytesSeries(): ChartSeries;
  setRateIndex(index: number): void;
  setIntervalMs(ms: number): void;
  setDurationMs(ms: number): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  dropConnections(): Promise<void>;
  dispose(): void;
}

export interface LabModelOptions {
  api: LabApi;
  lanes: Record<LabTechnique, LaneFactory>;
  /** Origin of the companion server, resolved when a run starts (the page's in a browser). */
  baseUrl: () => string;
  clock?: Clock;
  onExerciseComplete?: () => void;
}

const ZERO_TRAFFIC: LabTraffic = { requests: 0, bytesUp: 0, bytesDown: 0, connectionsHeld: 0, connectionsUsed: 0 };
const PUSH: ReadonlySet<LabTechnique> = new Set(['sse', 'websocket']);

/**
 * The lab's state and its loop, with no DOM: start a lab on the server, open
 * the five lanes (each a real client of its technique), start the publisher,
 * then every half second refresh the figures and every second fetch what the
 * server counted; at the end, wait for the pollers' last answer, close
 * everything and keep the final table.
 */
export function createLabModel(options: LabModelOptions): LabModel {
  const clock = options.clock ?? systemClock;
  const rateIndex = signal(DEFAULT_RATE_INDEX);
  const intervalMs = signal(DEFAULT_INTERVAL_MS);
  const durationMs = signal(DEFAULT_DURATION_MS);
  const phase = signal<Phase>('idle');
  const status = signal('Set the event rate and the polling interval, then press Start.');
  const error = signal<string | null>(null);
  const elapsedMs = signal(0);
  const run = signal<LabRun | null>(null);
  const offset = signal<ClockOffset | null>(null);
  const traffic = signal<Record<LabTechnique, LabTraffic> | null>(null);
  const version = signal(0);
  const chartVersion = signal(0);
  const runs = signal<readonly RunRecord[]>([]);
  const exerciseDone = signal(false);
  const dropped = signal<number | null>(null);
  const finalDescription = signal<RunDescription | null>(null);

  /** Everything of the current (or last) run. */
  let session: Session | null = null;

  interface Session {
    labId: string;
    channel: string;
    recorders: Record<LabTechnique, LaneRecorder>;
    clients: LaneClient[];
    estimator: ClockOffsetEstimator;
    /** Settings of this run (the sliders may move meanwhile). */
    rate: (typeof RATE_STEPS)[number];
    intervalMs: number;
    durationMs: number;
    /** Server time the publisher started, and page time. */
    serverStartedAt: number | null;
    startedAt: number | null;
    /** Page time publishing stopped (end or Stop). */
    endedAt: number | null;
    stoppedEarly: boolean;
    bytes: { x: number[]; y: number[][] };
    /** The server's publish time of each event, by id − 1. */
    publishedAt: number[];
    timers: Set<unknown>;
    controller: AbortController;
    closed: boolean;
    /** Set once the run is being wound up, so that it happens once. */
    finishing: Promise<void> | null;
  }

  const later = (current: Session, callback: () => void, ms: number) => {
    const handle = clock.setTimeout(() => {
      current.timers.delete(handle);
      if (!current.closed) callback();
    }, ms);
    current.timers.add(handle);
  };
  const sleep = (current: Session, ms: number) =>
    new Promise<void>((resolve) => {
      const handle = clock.setTimeout(() => {
        current.timers.delete(handle);
        resolve();
      }, ms);
      current.timers.add(handle);
    });

  const lanes = computed<readonly LaneFigures[]>(() => {
    version.value;
    const counted = traffic.value;
    const shift = offset.value?.offsetMs ?? 0;
    return LAB_TECHNIQUES.map((technique) => {
      const recorder = session?.recorders[technique];
      return {
        technique,
        received: recorder?.received ?? 0,
        latency: recorder ? summarizeLatency(recorder.rawLatencies, shift) : NO_LATENCY,
        answers: recorder?.answers ?? 0,
        empty: recorder?.empty ?? 0,
        traffic: counted?.[technique] ?? ZERO_TRAFFIC,
        interruptions: recorder?.interruptions ?? 0,
        lastInterruption: recorder?.lastInterruption ?? null,
      };
    });
  });

  const rows = computed<readonly LaneRow[]>(() =>
    lanes.value.map((lane) => ({
      technique: lane.technique,
      received: lane.received,
      latency: lane.latency,
      requests: lane.traffic.requests,
      empty: PUSH.has(lane.technique) ? null : lane.empty,
      bytesUp: lane.traffic.bytesUp,
      bytesDown: lane.traffic.bytesDown,
      connections: lane.traffic.connectionsUsed,
    })),
  );

  const published = computed(() => {
    version.value;
    const newest = session ? Math.max(...LAB_TECHNIQUES.map((technique) => session!.recorders[technique].lastId)) : 0;
    return Math.max(run.value?.published ?? 0, newest);
  });

  const description = computed<RunDescription | null>(() => {
    const final = finalDescription.value;
    if (final) return final;
    version.value;
    if (!session || session.startedAt === null) return null;
    return {
      rate: session.rate,
      intervalMs: session.intervalMs,
      ranMs: elapsedMs.value,
      published: published.value,
      stoppedEarly: false,
    };
  });

  const conclusionList = computed(() => {
    const described = description.value;
    return described && phase.value === 'done' ? conclusions(described, rows.value) : [];
  });

  const exercise = computed<ExerciseCheck>(() => {
    const long = runs.value.filter((record) => record.ranMs >= EXERCISE_MIN_RUN_MS);
    return {
      fewer: long.find((record) => record.longPollRequests < record.shortPollRequests) ?? null,
      more: long.find((record) => record.longPollRequests > record.shortPollRequests) ?? null,
    };
  });

  function refresh(): void {
    if (!session) return;
    batch(() => {
      if (session!.startedAt !== null) {
        elapsedMs.value = Math.max(
          0,
          Math.min(session!.endedAt ?? clock.now(), session!.startedAt! + session!.durationMs) - session!.startedAt!,
        );
      }
      version.value += 1;
      chartVersion.value += 1;
    });
  }

  function applyStats(current: Session, timed: TimedStats): void {
    current.estimator.add(timed.sentAt, timed.receivedAt, timed.serverTime);
    batch(() => {
      offset.value = current.estimator.current;
      traffic.value = timed.stats.traffic;
      if (timed.stats.run) run.value = timed.stats.run;
    });
    if (current.serverStartedAt !== null) {
      const seconds = Math.max(0, (timed.stats.serverTime - current.serverStartedAt) / 1000);
      current.bytes.x.push(seconds);
      LAB_TECHNIQUES.forEach((technique, index) => {
        const counted = timed.stats.traffic[technique];
        current.bytes.y[index]!.push(counted.bytesUp + counted.bytesDown);
      });
    }
  }

  async function fetchStats(current: Session): Promise<void> {
    try {
      applyStats(current, await options.api.stats(current.labId, current.controller.signal));
    } catch {
      // A missed stats poll is harmless (a dropped connection can take one with it): the next one catches up.
    }
  }

  function statsLoop(current: Session): void {
    later(
      current,
      () =>
        void fetchStats(current).then(() => {
          if (!current.closed) statsLoop(current);
        }),
      STATS_EVERY_MS,
    );
  }

  function refreshLoop(current: Session): void {
    later(
      current,
      () => {
        refresh();
        refreshLoop(current);
      },
      REFRESH_MS,
    );
  }

  function newSession(labId: string, channel: string): Session {
    return {
      labId,
      channel,
      recorders: Object.fromEntries(LAB_TECHNIQUES.map((technique) => [technique, new LaneRecorder()])) as Record<
        LabTechnique,
        LaneRecorder
      >,
      clients: [],
      estimator: new ClockOffsetEstimator(),
      rate: RATE_STEPS[rateIndex.peek()]!,
      intervalMs: intervalMs.peek(),
      durationMs: Math.min(durationMs.peek(), maxDurationFor(RATE_STEPS[rateIndex.peek()]!.perMinute)),
      serverStartedAt: null,
      startedAt: null,
      endedAt: null,
      stoppedEarly: false,
      bytes: { x: [], y: LAB_TECHNIQUES.map(() => []) },
      publishedAt: [],
      timers: new Set(),
      controller: new AbortController(),
      closed: false,
      finishing: null,
    };
  }

  function closeLanes(current: Session): void {
    for (const client of current.clients.splice(0)) client.stop();
  }

  function release(current: Session): void {
    current.closed = true;
    closeLanes(current);
    for (const handle of current.timers) clock.clearTimeout(handle);
    current.timers.clear();
    current.controller.abort();
  }

  /** Closes the lanes, takes the last stats, keeps the final table. Once per run. */
  function finish(current: Session): Promise<void> {
    current.finishing ??= wrapUp(current);
    return current.finishing;
  }

  async function wrapUp(current: Session): Promise<void> {
    closeLanes(current);
    await sleep(current, SETTLE_MS);
    await fetchStats(current);
    const publishedInAll = published.peek();
    const ranMs =
      current.startedAt === null ? 0 : Math.min(current.endedAt ?? clock.now(), current.startedAt + current.durationMs) - current.startedAt;
    release(current);
    const described: RunDescription = {
      rate: current.rate,
      intervalMs: current.intervalMs,
      ranMs,
      published: publishedInAll,
      stoppedEarly: current.stoppedEarly,
    };
    batch(() => {
      finalDescription.value = described;
      elapsedMs.value = ranMs;
      version.value += 1;
      chartVersion.value += 1;
      phase.value = 'done';
      status.value = `Done: ${plural(publishedInAll, 'event')} in ${formatDuration(Math.round(ranMs / 1000) * 1000)}. The table below can be copied; press Start for another run.`;
    });
    recordRun(described);
  }

  function recordRun(described: RunDescription): void {
    const counted = traffic.peek();
    if (!counted) return;
    runs.value = [
      ...runs.peek(),
      {
        rateLabel: described.rate.label,
        intervalMs: described.intervalMs,
        ranMs: described.ranMs,
        longPollRequests: counted['long-polling'].requests,
        shortPollRequests: counted['short-polling-etag'].requests,
      },
    ];
    const check = exercise.peek();
    if (check.fewer && check.more && !exerciseDone.peek()) {
      exerciseDone.value = true;
      options.onExerciseComplete?.();
    }
  }

  /** The run ended on time: wait until every lane has every event, or one polling interval (+1 s), then finish. */
  function endOfRun(current: Session): void {
    current.endedAt = clock.now();
    phase.value = 'finishing';
    status.value = `The run has ended. Waiting up to ${formatInterval(Math.min(current.intervalMs + 1_000, MAX_GRACE_MS))} for the pollers' last answers…`;
    const deadline = clock.now() + Math.min(current.intervalMs + 1_000, MAX_GRACE_MS);
    const check = () => {
      const last = run.peek()?.lastEventId ?? 0;
      const complete = run.peek()?.state !== 'running' && LAB_TECHNIQUES.every((technique) => current.recorders[technique].lastId >= last);
      if (complete || clock.now() >= deadline) void finish(current);
      else later(current, check, 250);
    };
    // First make sure the server's count of published events is final.
    void fetchStats(current).then(() => {
      if (!current.closed) check();
    });
  }

  async function start(): Promise<void> {
    if (phase.peek() === 'starting' || phase.peek() === 'running' || phase.peek() === 'finishing') return;
    if (session && !session.closed) release(session);
    batch(() => {
      phase.value = 'starting';
      error.value = null;
      run.value = null;
      traffic.value = null;
      offset.value = null;
      elapsedMs.value = 0;
      dropped.value = null;
      finalDescription.value = null;
      status.value = 'Creating a lab on the server…';
    });
    let current: Session | null = null;
    try {
      const created = await options.api.create();
      current = newSession(created.id, created.channel);
      session = current;
      version.value += 1;
      chartVersion.value += 1;

      status.value = "Measuring the offset between your clock and the server's…";
      for (let sample = 0; sample < SYNC_SAMPLES && !current.closed; sample++) await fetchStats(current);
      if (current.closed) return;

      status.value = 'Connecting the five clients…';
      const baseUrl = options.baseUrl();
      const running = current;
      const listening: Promise<void>[] = [];
      for (const technique of LAB_TECHNIQUES) {
        const recorder = current.recorders[technique];
        const client = options.lanes[technique]({
          technique,
          baseUrl,
          labId: current.labId,
          channel: current.channel,
          intervalMs: current.intervalMs,
          clock,
          deliver: (events) => {
            const receivedAt = clock.now();
            for (const event of events) {
              if (event.id >= 1 && event.id <= MAX_EVENT_ID && Number.isFinite(event.publishedAt)) {
                running.publishedAt[event.id - 1] ??= event.publishedAt;
              }
            }
            return recorder.deliver(events, receivedAt);
          },
          answered: (empty) => recorder.answered(empty),
          interrupted: (message) => recorder.interrupted(message),
        });
        current.clients.push(client);
        listening.push(client.start());
      }
      await Promise.race([Promise.all(listening), sleep(current, CONNECT_TIMEOUT_MS)]);
      if (current.closed) return;

      const started = await options.api.run(
        current.labId,
        { ratePerMinute: current.rate.perMinute, durationMs: current.durationMs },
        current.controller.signal,
      );
      if (current.closed) return;
      current.serverStartedAt = started.startedAt;
      current.startedAt = clock.now();
      batch(() => {
        run.value = started;
        phase.value = 'running';
        status.value = `Running: ${current!.rate.label} on average for ${formatDuration(current!.durationMs)}, polling every ${formatInterval(current!.intervalMs)}.`;
      });
      refreshLoop(current);
      statsLoop(current);
      later(running, () => endOfRun(running), current.durationMs);
    } catch (failure) {
      if (current?.closed) return;
      if (current) release(current);
      batch(() => {
        phase.value = 'idle';
        error.value = failure instanceof Error ? failure.message : String(failure);
        status.value = 'The lab could not start.';
      });
    }
  }

  async function stop(): Promise<void> {
    const current = session;
    if (!current || current.closed) return;
    const was = phase.peek();
    if (was === 'starting') {
      release(current);
      batch(() => {
        phase.value = 'idle';
        status.value = 'Stopped before the run began.';
      });
      return;
    }
    if (was !== 'running' && was !== 'finishing') return;
    if (current.finishing) return current.finishing;
    if (was === 'running') {
      current.endedAt = clock.now();
      current.stoppedEarly = true;
    }
    phase.value = 'finishing';
    status.value = 'Stopping…';
    // Cancel the scheduled end, the loops and the grace check; finish() takes it from here.
    for (const handle of current.timers) clock.clearTimeout(handle);
    current.timers.clear();
    try {
      await options.api.stop(current.labId, current.controller.signal);
    } catch {
      // The publisher also stops by itself at the end of the duration.
    }
    await finish(current);
  }

  async function dropConnections(): Promise<void> {
    const current = session;
    if (!current || current.closed || phase.peek() !== 'running') return;
    try {
      const answer = await options.api.dropConnections(current.labId, current.controller.signal);
      dropped.value = answer.dropped;
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    }
  }

  const clampIndex = (index: number, length: number) => Math.min(length - 1, Math.max(0, Math.round(Number.isFinite(index) ? index : 0)));

  return {
    rateIndex,
    intervalMs,
    durationMs,
    phase,
    status,
    error,
    elapsedMs,
    run,
    published,
    offset,
    lanes,
    rows,
    description,
    conclusions: conclusionList,
    chartVersion,
    exercise,
    exerciseDone,
    dropped,
    latencySeries() {
      const current = session;
      if (!current || current.serverStartedAt === null) return { x: [], y: LAB_TECHNIQUES.map(() => []) };
      const shift = offset.peek()?.offsetMs ?? 0;
      const columns = LAB_TECHNIQUES.map((technique) => current.recorders[technique].byId);
      const newest = Math.max(...columns.map((column) => column.length));
      const x: number[] = [];
      const y: (number | null)[][] = LAB_TECHNIQUES.map(() => []);
      for (let index = Math.max(0, newest - MAX_CHART_EVENTS); index < newest; index++) {
        const publishedAt = current.publishedAt[index];
        if (publishedAt === undefined) continue;
        x.push(Math.max(0, (publishedAt - current.serverStartedAt) / 1000));
        columns.forEach((column, at) => {
          const value = column[index];
          y[at]!.push(value === undefined ? null : Math.max(0, value + shift));
        });
      }
      return { x, y };
    },
    bytesSeries() {
      const current = session;
      if (!current) return { x: [], y: LAB_TECHNIQUES.map(() => []) };
      return { x: current.bytes.x.slice(), y: current.bytes.y.map((column) => column.slice()) };
    },
    setRateIndex(index) {
      rateIndex.value = clampIndex(index, RATE_STEPS.length);
    },
    setIntervalMs(ms) {
      intervalMs.value = INTERVAL_STEPS.includes(ms) ? ms : DEFAULT_INTERVAL_MS;
    },
    setDurationMs(ms) {
      durationMs.value = DURATION_STEPS.includes(ms) ? ms : DEFAULT_DURATION_MS;
    },
    start,
    stop,
    dropConnections,
    dispose() {
      if (session && !session.closed) release(session);
    },
  };
}
