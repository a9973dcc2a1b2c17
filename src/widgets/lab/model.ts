import type { ReadonlySignal, Signal } from '@preact/signals';
import type { LabRun, LabTechnique } from '../../protocol/lab.ts';
import type { Clock } from '../shared/clock.ts';
import type { ClockOffset } from '../shared/clock-offset.ts';
import type { LabApi } from './lab-api.ts';
import { bytesSeries, latencySeries } from './lab-charts.ts';
import type { ExerciseCheck } from './lab-exercise.ts';
import type { LaneFigures } from './lab-figures.ts';
import { release } from './lab-session.ts';
import { createLabState } from './lab-state.ts';
import { startRun, stopRun } from './lab-run.ts';
import type { LaneFactory } from './lane.ts';
import { DEFAULT_DURATION_MS, DEFAULT_INTERVAL_MS, DURATION_STEPS, INTERVAL_STEPS, RATE_STEPS } from './settings.ts';
import type { LaneRow, RunDescription } from './summary.ts';

export type Phase = 'idle' | 'starting' | 'running' | 'finishing' | 'done';

/** The charts' data, rebuilt on demand (it can be large): x, and a column per technique (LabChart.tsx draws them). */
export interface LabChartData {
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
  latencySeries(): LabChartData;
  /** Cumulative bytes (up + down) of each technique, sampled with each stats poll. */
  bytesSeries(): LabChartData;
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

/**
 * The lab's state and its runs (lab-run.ts), with no DOM: the settings, the
 * figures of the current run, the charts' data and the exercise.
 */
export function createLabModel(options: LabModelOptions): LabModel {
  const state = createLabState(options);
  const { rateIndex, intervalMs, durationMs, phase, status, error, elapsedMs, run, published, offset, lanes, rows } = state;
  const { description, conclusionList, chartVersion, exercise, exerciseDone, dropped } = state;

  async function dropConnections(): Promise<void> {
    const current = state.session;
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
    latencySeries: () => latencySeries(state.session, offset.peek()?.offsetMs ?? 0),
    bytesSeries: () => bytesSeries(state.session),
    setRateIndex(index) {
      rateIndex.value = clampIndex(index, RATE_STEPS.length);
    },
    setIntervalMs(ms) {
      intervalMs.value = INTERVAL_STEPS.includes(ms) ? ms : DEFAULT_INTERVAL_MS;
    },
    setDurationMs(ms) {
      durationMs.value = DURATION_STEPS.includes(ms) ? ms : DEFAULT_DURATION_MS;
    },
    start: () => startRun(state),
    stop: () => stopRun(state),
    dropConnections,
    dispose() {
      if (state.session && !state.session.closed) release(state.clock, state.session);
    },
  };
}
