import { batch, computed, effect, type ReadonlySignal, type Signal } from '@preact/signals';
import type { Job, StartJobResponse } from '../../protocol/jobs.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { createExerciseCompletion } from '../shared/exercise-completion.ts';
import { formatInterval } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { snapToRange } from '../shared/slider-range.ts';
import type { ShortPollingClient } from './client.ts';
import { describeNumbers } from './describe.ts';
import { gradeExercise } from './grading.ts';
import { PollRun, type RunContext } from './poll-run.ts';
import { publishNote } from './publishing.ts';
import type { ExerciseCheck, Phase, PollRecord, PollStats, PublishRecord } from './records.ts';
import { INTERVAL, JOB_DURATION_MS, REQUEST_TIMEOUT_MS } from './settings.ts';
import { clearRunState, createShortPollState, type ShortPollState } from './state.ts';
import { computePollStats } from './statistics.ts';

/**
 * The short-polling widget's state and poll loop, with no DOM and no JSX, so
 * node:test can drive it with a fake client and fake timers.
 *
 * The loop is a chain of timeouts: the next poll is scheduled only once the
 * previous answer has arrived, so requests never overlap, however slow the
 * server (a `setInterval` would pile them up exactly when the server struggles).
 * One `effect` owns the pending timer and returns its cleanup, so stopping,
 * changing the interval or hiding the tab can never leave a stray timer.
 * A run's requests are poll-run.ts; the counters, grading and sentences live beside it.
 */

export interface ShortPollingModelOptions {
  /** The running phase of each job; default {@link JOB_DURATION_MS}. */
  durationMs?: number;
  requestTimeoutMs?: number;
  /** Randomness of the error backoff's jitter; default Math.random. */
  random?: () => number;
  /** Called once, the first time a run passes the exercise. */
  onExerciseComplete?: () => void;
}

export interface ShortPollingModel {
  // Settings the reader changes.
  /** ms between an answer and the next poll, {@link INTERVAL}.min–max. Use {@link setInterval} to clamp. */
  readonly intervalMs: Signal<number>;
  readonly useEtag: Signal<boolean>;
  /** The widget's channel; null until the view sets it (the server then picks one). */
  readonly channel: Signal<string | null>;

  // State, for rendering.
  readonly phase: ReadonlySignal<Phase>;
  readonly job: ReadonlySignal<Job | null>;
  /** When the current run began (timeline origin), client clock. */
  readonly startedAt: ReadonlySignal<number | null>;
  readonly polls: ReadonlySignal<readonly PollRecord[]>;
  readonly publishes: ReadonlySignal<readonly PublishRecord[]>;
  readonly inFlight: ReadonlySignal<boolean>;
  readonly publishing: ReadonlySignal<boolean>;
  /** When the next poll is due (client clock), or null when none is scheduled. */
  readonly nextPollAt: ReadonlySignal<number | null>;
  readonly paused: ReadonlySignal<boolean>;
  readonly stats: ReadonlySignal<PollStats>;
  /** The latest status change, in a sentence (for an aria-live region). */
  readonly status: ReadonlySignal<string>;
  /** The latest error's explanation (the server's problem `detail` when it sent one), or null. */
  readonly error: ReadonlySignal<string | null>;
  /** One sentence explaining the current numbers. */
  readonly summary: ReadonlySignal<string>;
  readonly exercise: ReadonlySignal<ExerciseCheck>;
  /** True once a run has passed the exercise (in this model's life). */
  readonly exerciseDone: ReadonlySignal<boolean>;

  // Actions.
  setInterval(ms: number): void;
  /** Starts a new job (stopping any current run) and polls it. */
  start(): Promise<void>;
  /** Stops polling; the job goes on, unseen, on the server. */
  stop(): void;
  /** Stops and clears everything back to the first screen. */
  reset(): void;
  /** Publishes a note to the channel: the unfinished job takes it as its `note`. */
  publish(text: string): Promise<void>;
  /** Tells the model whether the page is visible: polling pauses while the tab is hidden. */
  setPageVisible(visible: boolean): void;
  /** Stops everything and releases the effect; the model is unusable afterwards. */
  dispose(): void;
}

/** Creates the model. Starts nothing by itself: no timer runs until `start()`. */
export function createShortPollingModel(
  client: ShortPollingClient,
  clock: Clock = systemClock,
  options: ShortPollingModelOptions = {},
): ShortPollingModel {
  const state = createShortPollState();
  const { phase, intervalMs, status } = state;
  const runContext: RunContext = {
    state,
    client,
    clock,
    random: options.random ?? Math.random,
    requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
  };
  let run: PollRun | null = null;

  const nextPollAt = computed<number | null>(() => {
    if (phase.value !== 'polling' || state.inFlight.value || !state.pageVisible.value) return null;
    return state.waitFrom.value + (state.retryDelayMs.value ?? intervalMs.value);
  });
  // The one place a poll gets scheduled. It re-runs whenever the due time
  // changes (an answer arrived, the interval moved, the tab hid or showed) and
  // its cleanup clears the previous timer first.
  const disposeScheduler = effect(() => {
    const at = nextPollAt.value;
    const current = run;
    if (at === null || !current) return;
    const handle = clock.setTimeout(() => void current.pollOnce(), Math.max(0, at - clock.now()));
    return () => clock.clearTimeout(handle);
  });

  const stats = computed(() => computePollStats(state.polls.value, state.publishes.value, state.sent.value));
  const exercise = computed(() => gradeExercise(phase.value, state.polls.value, stats.value.repeatedBodyBytes));
  const completion = createExerciseCompletion(options.onExerciseComplete);
  // Only a run polled to its end can pass; completing it is reported once.
  const disposeExerciseWatch = effect(() => {
    if (exercise.value.passed) completion.pass();
  });

  function stopRun(): void {
    run?.stop();
  }

  async function start(): Promise<void> {
    stopRun();
    const current = new PollRun(runContext, state.channel.peek());
    current.controller = new AbortController();
    run = current;
    batch(() => {
      clearRunState(state);
      phase.value = 'starting';
      state.startedAt.value = clock.now();
      status.value = 'Starting a job…';
    });
    const started = await startJob(runContext, current, options.durationMs ?? JOB_DURATION_MS, () => run === current);
    if (!started || run !== current || !current.active) return;
    current.controller = null;
    current.jobId = started.id;
    current.channel = started.channel;
    batch(() => {
      if (state.channel.peek() === null) state.channel.value = started.channel;
      phase.value = 'polling';
      status.value = `Job started. Polling it every ${formatInterval(intervalMs.peek())}.`;
      // The first poll goes at once. Started inside the batch, it marks itself in
      // flight before the scheduler effect runs, so the effect schedules nothing.
      void current.pollOnce();
    });
  }

  return {
    ...readOnlyView(state),
    nextPollAt,
    paused: computed(() => phase.value === 'polling' && !state.pageVisible.value),
    stats,
    summary: computed(() => describeNumbers(phase.value, stats.value, intervalMs.value, state.job.value)),
    exercise,
    exerciseDone: completion.done,
    setInterval: (ms) => {
      intervalMs.value = snapToRange(ms, INTERVAL);
    },
    start,
    stop() {
      if (phase.peek() !== 'polling' && phase.peek() !== 'starting') return;
      stopRun();
      batch(() => {
        state.inFlight.value = false;
        state.retryDelayMs.value = null;
        phase.value = 'stopped';
        status.value = 'Polling stopped by you. The job keeps running on the server: nothing there noticed you left.';
      });
    },
    reset() {
      stopRun();
      run = null;
      batch(() => {
        clearRunState(state);
        state.startedAt.value = null;
        phase.value = 'idle';
        status.value = '';
      });
    },
    publish: (text) => publishNote({ state, client, clock, run: () => run }, text),
    setPageVisible: (visible) => setPageVisible(state, visible),
    dispose() {
      stopRun();
      run = null;
      disposeScheduler();
      disposeExerciseWatch();
    },
  };
}

/** The state the view reads (the settings stay writable). */
function readOnlyView(state: ShortPollState) {
  const { intervalMs, useEtag, channel, phase, job, startedAt, polls, publishes, inFlight, publishing, status, error } = state;
  return { intervalMs, useEtag, channel, phase, job, startedAt, polls, publishes, inFlight, publishing, status, error };
}

/** `POST /api/jobs` for `current`; null when it failed (the reader is told why) or the run was replaced meanwhile. */
async function startJob(
  context: RunContext,
  current: PollRun,
  durationMs: number,
  stillCurrent: () => boolean,
): Promise<StartJobResponse | null> {
  const { state, client } = context;
  try {
    const request = { durationMs, ...(current.channel ? { channel: current.channel } : {}) };
    return await client.startJob(request, current.controller!.signal);
  } catch (failure) {
    if (!stillCurrent() || !current.active) return null;
    current.active = false;
    batch(() => {
      state.phase.value = 'idle';
      state.error.value = errorMessage(failure);
      state.status.value = 'Could not start a job.';
    });
    return null;
  }
}

/** Polling pauses while the tab is hidden, and catches up at once when it shows again. */
function setPageVisible(state: ShortPollState, visible: boolean): void {
  if (state.pageVisible.peek() === visible) return;
  batch(() => {
    state.pageVisible.value = visible;
    if (state.phase.peek() !== 'polling') return;
    state.status.value = visible
      ? 'Welcome back: polling at once to catch up.'
      : 'Paused while this tab is hidden: no point asking when nobody is looking.';
  });
}
