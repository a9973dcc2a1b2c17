import { batch, computed, effect, type ReadonlySignal, type Signal } from '@preact/signals';
import { systemClock, type Clock } from '../shared/clock.ts';
import { createExerciseCompletion } from '../shared/exercise-completion.ts';
import { formatInterval } from '../shared/format.ts';
import { snapToRange } from '../shared/slider-range.ts';
import type { LongPollingClient } from './client.ts';
import { describeNow } from './describe.ts';
import { createFaultControls } from './fault-controls.ts';
import { gradeExercise, verifyDelivery } from './grading.ts';
import { ListeningSession } from './listening-session.ts';
import { type PublishContext, sendBurst, sendNotification } from './publishing.ts';
import type {
  ExerciseCheck,
  FaultState,
  FeedItem,
  LongPollStats,
  Phase,
  PublishRecord,
  RequestRecord,
  Verification,
  Waiting,
} from './records.ts';
import { ANSWER_GRACE_MS, BURST_SIZE, HOLD, SPIN_GUARD_MS } from './settings.ts';
import { createLongPollState, EMPTY_STATS } from './state.ts';

/**
 * The long-polling widget's state, with no DOM and no JSX, so node:test can
 * drive it with a fake client and fake timers. The poll loop is
 * listening-session.ts; publishing, the faults, the grading and the sentences
 * live beside it. The cursor it sends is the highest event id the feed has
 * shown; an id at or below it is a duplicate and is dropped, never shown twice.
 */

export interface LongPollingModelOptions {
  /** Randomness of the backoff's jitter; default Math.random. */
  random?: () => number;
  answerGraceMs?: number;
  spinGuardMs?: number;
  /** Called once, the first time the exercise passes. */
  onExerciseComplete?: () => void;
}

export interface LongPollingModel {
  // Settings the reader changes.
  /** The hold the next request asks for, {@link HOLD}.min–max. Use {@link setHold} to clamp. */
  readonly holdMs: Signal<number>;
  /** The widget's channel; null until the view sets it (after mount, from sessionStorage). */
  readonly channel: Signal<string | null>;

  // State, for rendering.
  readonly phase: ReadonlySignal<Phase>;
  /** The highest event id the feed has shown: the cursor the next request sends. */
  readonly cursor: ReadonlySignal<number>;
  /** When listening last started (timeline origin), client clock. */
  readonly startedAt: ReadonlySignal<number | null>;
  readonly requests: ReadonlySignal<readonly RequestRecord[]>;
  /** Newest first. */
  readonly feed: ReadonlySignal<readonly FeedItem[]>;
  readonly publishes: ReadonlySignal<readonly PublishRecord[]>;
  readonly inFlight: ReadonlySignal<boolean>;
  readonly waiting: ReadonlySignal<Waiting | null>;
  /** Publishes awaiting their 201. */
  readonly publishing: ReadonlySignal<number>;
  readonly faults: ReadonlySignal<FaultState>;
  readonly stats: ReadonlySignal<LongPollStats>;
  readonly verification: ReadonlySignal<Verification>;
  readonly exercise: ReadonlySignal<ExerciseCheck>;
  /** True once the exercise has passed (in this model's life). */
  readonly exerciseDone: ReadonlySignal<boolean>;
  /** The latest change, in a sentence (for an aria-live region). */
  readonly status: ReadonlySignal<string>;
  /** The latest error's explanation (the server's problem `detail` when it sent one), or null. */
  readonly error: ReadonlySignal<string | null>;
  /** What is happening right now, in a sentence or two. */
  readonly summary: ReadonlySignal<string>;

  // Actions.
  setHold(ms: number): void;
  /** Before the first `start()`: continue after this event id (the cursor saved before a reload). */
  resumeFrom(cursor: number): void;
  /** Starts listening: counters restart, the cursor carries on. */
  start(): void;
  /** Stops listening: aborts the held request, cancels a pending retry. */
  stop(): void;
  /** Publishes one notification to the channel (while listening). */
  send(text?: string): Promise<void>;
  /** Publishes {@link BURST_SIZE} notifications at once. */
  sendBurst(count?: number): Promise<void>;
  /** Arms `drop-next-response` on the server. */
  loseNextResponse(): Promise<void>;
  /** Arms `server-errors` ({@link SERVER_ERROR_COUNT}) on the server. */
  causeServerErrors(count?: number): Promise<void>;
  /** Turns the server's `slow` fault on ({@link SLOW}) or off. */
  setSlow(on: boolean): Promise<void>;
  /** Stops everything and releases timers and effects; the model is unusable afterwards. */
  dispose(): void;
}

/** Creates the model. Starts nothing by itself: no request and no timer until `start()`. */
export function createLongPollingModel(
  client: LongPollingClient,
  clock: Clock = systemClock,
  options: LongPollingModelOptions = {},
): LongPollingModel {
  const state = createLongPollState();
  const { phase, cursor, holdMs, status, error } = state;
  let session: ListeningSession | null = null;
  const faultControls = createFaultControls(state, client, clock);
  const sessionContext = {
    state,
    client,
    clock,
    random: options.random ?? Math.random,
    answerGraceMs: options.answerGraceMs ?? ANSWER_GRACE_MS,
    spinGuardMs: options.spinGuardMs ?? SPIN_GUARD_MS,
    faultStruck: faultControls.struck,
  };
  const publishContext: PublishContext = { state, client, clock, session: () => session };

  const stats = computed<LongPollStats>(() => {
    const counted = state.counters.value;
    return { ...counted, failed: counted.lost + counted.errors };
  });
  const verification = computed(() =>
    verifyDelivery(state.publishes.value, state.epoch.value, cursor.value, state.counters.value.duplicates),
  );
  const exercise = computed(() => gradeExercise(verification.value, state.counters.value));
  const completion = createExerciseCompletion(options.onExerciseComplete);
  // The exercise is checked on every change; completing it is reported once.
  const disposeExerciseWatch = effect(() => {
    if (exercise.value.passed) completion.pass();
  });
  const summary = computed(() =>
    describeNow({
      phase: phase.value,
      requests: state.requests.value,
      waiting: state.waiting.value,
      holdMs: holdMs.value,
      cursor: cursor.value,
      stats: stats.value,
    }),
  );

  function start(): void {
    if (phase.peek() === 'listening') return;
    if (state.channel.peek() === null) {
      error.value = 'The demo is not ready yet: it has no channel.';
      return;
    }
    session?.end();
    const current = new ListeningSession(sessionContext);
    session = current;
    batch(() => {
      state.requests.value = [];
      state.publishes.value = [];
      state.counters.value = EMPTY_STATS;
      state.startedAt.value = clock.now();
      phase.value = 'listening';
      error.value = null;
      state.waiting.value = null;
      status.value = `Listening. Request 1 asks for the events after cursor ${cursor.peek()}; the server holds it until one arrives, or for ${formatInterval(holdMs.peek())}.`;
      current.begin();
    });
  }

  function stop(): void {
    if (phase.peek() !== 'listening') return;
    const wasHeld = state.inFlight.peek();
    session?.end();
    const now = clock.now();
    batch(() => {
      state.requests.value = state.requests
        .peek()
        .map((record) => (record.outcome === 'held' ? { ...record, outcome: 'cancelled' as const, receivedAt: now } : record));
      state.inFlight.value = false;
      state.waiting.value = null;
      phase.value = 'stopped';
      // The last failure belonged to the session that just ended: no retry is coming to resolve it.
      error.value = null;
      status.value =
        (wasHeld
          ? 'Stopped listening: the held request was aborted, and the server let it go when the connection closed.'
          : 'Stopped listening: the pending retry was called off.') +
        ` The cursor stays at ${cursor.peek()}: listen again and the server sends everything after it at once.`;
    });
  }

  return {
    ...readOnlyView(state),
    faults: faultControls.faults,
    stats,
    verification,
    exercise,
    exerciseDone: completion.done,
    summary,
    setHold: (ms) => {
      holdMs.value = snapToRange(ms, HOLD);
    },
    resumeFrom(value) {
      if (phase.peek() !== 'idle' || !Number.isSafeInteger(value) || value < 0) return;
      cursor.value = value;
    },
    start,
    stop,
    send: (text) => sendNotification(publishContext, text),
    sendBurst: (count = BURST_SIZE) => sendBurst(publishContext, count),
    loseNextResponse: faultControls.loseNextResponse,
    causeServerErrors: faultControls.causeServerErrors,
    setSlow: faultControls.setSlow,
    dispose() {
      session?.end();
      session = null;
      faultControls.dispose();
      disposeExerciseWatch();
    },
  };
}

/** The state the view reads (the settings stay writable). */
function readOnlyView(state: ReturnType<typeof createLongPollState>) {
  const { holdMs, channel, phase, cursor, startedAt, requests, feed, publishes, inFlight, waiting, publishing, status, error } = state;
  return { holdMs, channel, phase, cursor, startedAt, requests, feed, publishes, inFlight, waiting, publishing, status, error };
}
