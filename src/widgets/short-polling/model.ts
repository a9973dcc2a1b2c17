import { batch, computed, effect, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { isTerminal, JOB_LIMITS, type Job, type JobState, type StartJobResponse } from '../../protocol/jobs.ts';
import type { PublishResponse } from '../../protocol/events.ts';
import { backoffCeiling } from '../../protocol/backoff.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { formatBytes, formatInterval, formatMs, formatOffset } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { ApiError, type PollResult, type ShortPollingClient } from './client.ts';

export { systemClock, type Clock } from '../shared/clock.ts';

/**
 * The short-polling widget's state and poll loop, with no DOM and no JSX, so
 * node:test can drive it with a fake client and fake timers.
 *
 * The loop is a chain of timeouts: the next poll is scheduled only once the
 * previous answer has arrived, so requests never overlap, however slow the
 * server (a `setInterval` would pile them up exactly when the server struggles).
 * One `effect` owns the pending timer and returns its cleanup, so stopping,
 * changing the interval or hiding the tab can never leave a stray timer.
 */

/** The reader's polling interval slider, in ms. */
export const INTERVAL = { min: 250, max: 10_000, step: 250, initial: 1_000 } as const;

/** How long the widget's jobs run (after 1 s queued): 10 progress steps, one every 2 s. */
export const JOB_DURATION_MS = 20_000;

/** The server's jobs make 10 progress steps: one every 2 s here. */
export const JOB_STEP_MS = JOB_DURATION_MS / 10;

/** A poll with no answer after this long is abandoned and counted as an error. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Cap of the error backoff. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * The lesson's exercise, checked on every run that polls a job to its end:
 * be *sure* to see the finish quickly, without paying for bodies the poller
 * already had.
 *
 * "Sure" is measured as the finish's worst case: it happened after the
 * previous poll was read by the server (or that poll would have shown it), so
 * it cannot have waited longer than from that read to the answer that showed
 * it — about one interval plus a round trip, whatever the luck. The observed
 * staleness alone would not do: the job starts when the poller does, so the
 * finish lands at the same place in the poll rhythm every time, and some long
 * intervals happen to catch it early on every run (measured: 1 s → ~240 ms).
 *
 * Measured against the real server (20 s job, ~152 B body):
 * - 250 ms + ETag: worst case ~255–280 ms, no repeated body → passes.
 * - 250 ms alone: ~70 repeated bodies, 10.7 kB → fails on bytes.
 * - ETag alone, 500 ms or more: worst case ≥ 500 ms → fails on time.
 * - 1.5 s without ETag (only ~3 repeated bodies): fails on time.
 */
export const EXERCISE = {
  lesson: 'short-polling',
  id: 'tune-the-poller',
  /** The finish's worst-case staleness (see above) must not exceed this. */
  maxFinishWorstCaseMs: 400,
  /** Bodies of "200 nothing changed" answers over the run must stay under this. */
  maxRepeatedBodyBytes: 1_000,
} as const;

export type Phase = 'idle' | 'starting' | 'polling' | 'stopped' | 'finished';

/** How one poll ended. */
export type PollOutcome = 'changed' | 'unchanged' | 'not-modified' | 'error';

/** One poll request, as the timeline shows it. Times are the client clock, ms since the epoch. */
export interface PollRecord {
  /** 1, 2, 3… within the run. */
  seq: number;
  outcome: PollOutcome;
  /** HTTP status, or null when no answer came (network error, timeout). */
  status: number | null;
  sentAt: number;
  receivedAt: number;
  /** True when the request carried If-None-Match. */
  conditional: boolean;
  /** Response bytes: status line, headers and body, counted from the response (see client.ts). */
  bytes: number;
  bodyBytes: number;
  /** The version the reader holds after this poll. */
  version: number | null;
  state: JobState | null;
  progress: number | null;
  /** For `changed`: when the server made the change we now see (estimated on the client clock). */
  changedAt: number | null;
  /** For `changed`: how late we saw it, `receivedAt − changedAt`. */
  stalenessMs: number | null;
  /**
   * For `changed`: the longest it could have waited, whenever it happened —
   * from the server's read of the previous answered poll to this answer.
   */
  worstCaseMs: number | null;
  /** When the server read the job for this poll, on the client clock (from `x-server-time`). */
  readAt: number | null;
  /** For `changed`: versions the server went through between two polls that we never saw. */
  missedVersions: number;
  /** For `error`: what went wrong, for the reader. */
  error: string | null;
}

export type PublishStatus = 'sending' | 'pending' | 'seen' | 'overwritten' | 'not-applied' | 'no-change' | 'failed';

/** One "Publish a change" by the reader. */
export interface PublishRecord {
  seq: number;
  text: string;
  status: PublishStatus;
  clickedAt: number;
  /** When the server's 201 arrived. */
  ackAt: number | null;
  /** The event's server timestamp (`ts`). */
  serverAt: number | null;
  /** `serverAt` on the client clock: when the job changed. */
  changedAt: number | null;
  /** When a poll first showed the note. */
  seenAt: number | null;
  /** The poll that showed it. */
  seenBy: number | null;
  stalenessMs: number | null;
  error: string | null;
}

/** How late a kind of change was seen: over the changes seen so far. */
export interface StalenessSummary {
  count: number;
  avgMs: number;
  maxMs: number;
}

export interface PollStats {
  /** Poll requests sent, including one in flight. */
  requests: number;
  changed: number;
  /** 200 with the version we already had: a full body for nothing. */
  unchanged: number;
  notModified: number;
  errors: number;
  /** Response bytes of all polls (status lines, headers, bodies). */
  bytes: number;
  /** JSON body bytes of all polls. */
  bodyBytes: number;
  /** Body bytes of "200 nothing changed" answers: what an ETag would have saved. */
  repeatedBodyBytes: number;
  /**
   * Staleness of the job's own changes (start, progress steps, finish). They
   * come on a fixed beat (every {@link JOB_STEP_MS}) that starts with the
   * poller, so each lands at much the same point between two polls: their
   * staleness depends on that phase, not on interval / 2.
   */
  steps: StalenessSummary | null;
  /**
   * Staleness of the reader's published notes. They happen at moments unrelated
   * to the polls, so on average they wait half an interval.
   */
  notes: StalenessSummary | null;
  /** Versions that came and went between two polls. */
  missedVersions: number;
  avgRoundTripMs: number | null;
}

export interface ExerciseCheck {
  /** The run polled the job to a terminal state (not stopped, not failed). */
  finished: boolean;
  /** How late the finish was seen, once it was. */
  finishStalenessMs: number | null;
  /** How late it could have been seen at worst, given the poll before (see {@link EXERCISE}). */
  finishWorstCaseMs: number | null;
  finishOk: boolean;
  repeatedBodyBytes: number;
  bytesOk: boolean;
  passed: boolean;
}

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

/** Everything that belongs to one job's polling; a new `start()` makes a new one. */
interface Run {
  jobId: string | null;
  channel: string | null;
  /** False once stopped, finished or replaced: its late answers are dropped. */
  active: boolean;
  controller: AbortController | null;
  /** The last ETag received; sent as If-None-Match when the reader has ETag on. */
  etag: string | null;
  lastVersion: number | null;
  lastNote: string | null;
  /** When the server read the job for the last answered poll (client clock). */
  lastReadAt: number | null;
  seq: number;
  /** Best clock-offset sample so far: server clock − client clock, from the poll with the shortest round trip. */
  offset: { offsetMs: number; roundTripMs: number } | null;
}

const emptyStats: PollStats = {
  requests: 0,
  changed: 0,
  unchanged: 0,
  notModified: 0,
  errors: 0,
  bytes: 0,
  bodyBytes: 0,
  repeatedBodyBytes: 0,
  steps: null,
  notes: null,
  missedVersions: 0,
  avgRoundTripMs: null,
};

/** Creates the model. Starts nothing by itself: no timer runs until `start()`. */
export function createShortPollingModel(
  client: ShortPollingClient,
  clock: Clock = systemClock,
  options: ShortPollingModelOptions = {},
): ShortPollingModel {
  const durationMs = options.durationMs ?? JOB_DURATION_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const random = options.random ?? Math.random;

  const intervalMs = signal<number>(INTERVAL.initial);
  const useEtag = signal(false);
  const channel = signal<string | null>(null);

  const phase = signal<Phase>('idle');
  const job = signal<Job | null>(null);
  const startedAt = signal<number | null>(null);
  const polls = signal<readonly PollRecord[]>([]);
  const publishes = signal<readonly PublishRecord[]>([]);
  const inFlight = signal(false);
  const publishing = signal(false);
  const sent = signal(0);
  /** When the wait before the next poll began (the previous answer's arrival). */
  const waitFrom = signal(0);
  /** Set after an error: the backoff delay replacing the interval until a poll succeeds. */
  const retryDelayMs = signal<number | null>(null);
  const pageVisible = signal(true);
  const status = signal('');
  const error = signal<string | null>(null);
  const exerciseDone = signal(false);

  let run: Run | null = null;

  const nextPollAt = computed<number | null>(() => {
    if (phase.value !== 'polling' || inFlight.value || !pageVisible.value) return null;
    return waitFrom.value + (retryDelayMs.value ?? intervalMs.value);
  });

  // The one place a poll gets scheduled. It re-runs whenever the due time
  // changes (an answer arrived, the interval moved, the tab hid or showed) and
  // its cleanup clears the previous timer first.
  const disposeScheduler = effect(() => {
    const at = nextPollAt.value;
    const current = run;
    if (at === null || !current) return;
    const handle = clock.setTimeout(() => void pollOnce(current), Math.max(0, at - clock.now()));
    return () => clock.clearTimeout(handle);
  });

  const paused = computed(() => phase.value === 'polling' && !pageVisible.value);

  const stats = computed<PollStats>(() => {
    const list = polls.value;
    if (list.length === 0) return { ...emptyStats, requests: sent.value };
    const result = { ...emptyStats, requests: sent.value };
    // A poll that showed one of the reader's notes measured the note, not a job step.
    const notePolls = new Set<number>();
    const noteStaleness: number[] = [];
    for (const entry of publishes.value) {
      if (entry.status !== 'seen' || entry.stalenessMs === null) continue;
      if (entry.seenBy !== null) notePolls.add(entry.seenBy);
      noteStaleness.push(entry.stalenessMs);
    }
    const stepStaleness: number[] = [];
    let roundTripSum = 0;
    let answered = 0;
    for (const poll of list) {
      if (poll.outcome === 'changed') result.changed++;
      else if (poll.outcome === 'unchanged') result.unchanged++;
      else if (poll.outcome === 'not-modified') result.notModified++;
      else result.errors++;
      if (poll.outcome === 'error') continue;
      answered++;
      roundTripSum += poll.receivedAt - poll.sentAt;
      result.bytes += poll.bytes;
      result.bodyBytes += poll.bodyBytes;
      if (poll.outcome === 'unchanged') result.repeatedBodyBytes += poll.bodyBytes;
      result.missedVersions += poll.missedVersions;
      if (poll.stalenessMs !== null && !notePolls.has(poll.seq)) stepStaleness.push(poll.stalenessMs);
    }
    result.steps = summarizeStaleness(stepStaleness);
    result.notes = summarizeStaleness(noteStaleness);
    result.avgRoundTripMs = answered ? roundTripSum / answered : null;
    return result;
  });

  const exercise = computed<ExerciseCheck>(() => {
    const finishPoll = phase.value === 'finished' ? polls.value.findLast((poll) => poll.outcome === 'changed') : undefined;
    const finishStalenessMs = finishPoll?.stalenessMs ?? null;
    const finishWorstCaseMs = finishPoll?.worstCaseMs ?? null;
    const repeatedBodyBytes = stats.value.repeatedBodyBytes;
    const finished = finishPoll !== undefined;
    const finishOk = finishWorstCaseMs !== null && finishWorstCaseMs <= EXERCISE.maxFinishWorstCaseMs;
    const bytesOk = repeatedBodyBytes < EXERCISE.maxRepeatedBodyBytes;
    return {
      finished,
      finishStalenessMs,
      finishWorstCaseMs,
      finishOk,
      repeatedBodyBytes,
      bytesOk,
      passed: finished && finishOk && bytesOk,
    };
  });

  const summary = computed(() => describeNumbers(phase.value, stats.value, intervalMs.value, job.value));

  function setInterval(ms: number): void {
    const stepped = Math.round(ms / INTERVAL.step) * INTERVAL.step;
    intervalMs.value = Math.min(INTERVAL.max, Math.max(INTERVAL.min, Number.isFinite(stepped) ? stepped : INTERVAL.initial));
  }

  /** Server time → client time, with the offset estimated NTP-style from a poll (RFC 5905 §8). */
  function toClientTime(current: Run, serverMs: number): number {
    return serverMs - (current.offset?.offsetMs ?? 0);
  }

  function learnOffset(current: Run, result: PollResult): void {
    if (result.serverTime === null) return;
    // The server read its clock somewhere inside the round trip; assuming the
    // middle errs by at most half of it. So the sample with the shortest round
    // trip is the most accurate one we have.
    const roundTripMs = result.receivedAt - result.sentAt;
    if (current.offset && current.offset.roundTripMs <= roundTripMs) return;
    current.offset = { offsetMs: result.serverTime - (result.sentAt + result.receivedAt) / 2, roundTripMs };
  }

  async function pollOnce(current: Run): Promise<void> {
    if (!current.active || current.jobId === null || inFlight.peek()) return;
    const controller = new AbortController();
    current.controller = controller;
    let timedOut = false;
    const timeout = clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, requestTimeoutMs);
    const conditional = useEtag.peek() && current.etag !== null;
    const seq = ++current.seq;
    const sentAt = clock.now();
    batch(() => {
      inFlight.value = true;
      sent.value++;
    });
    let result: PollResult;
    try {
      result = await client.pollJob(current.jobId, conditional ? current.etag : null, controller.signal);
    } catch (failure) {
      if (!current.active) return; // Stopped or replaced meanwhile: nobody is waiting for this answer.
      const message = timedOut ? `No answer within ${formatMs(requestTimeoutMs)}.` : errorMessage(failure);
      onPollError(current, seq, sentAt, conditional, failure, message);
      return;
    } finally {
      clock.clearTimeout(timeout);
      if (current.controller === controller) current.controller = null;
    }
    if (!current.active) return;
    onPollAnswer(current, seq, conditional, result);
  }

  function onPollAnswer(current: Run, seq: number, conditional: boolean, result: PollResult): void {
    learnOffset(current, result);
    const previousState = job.peek()?.state ?? null;
    const readAt = result.serverTime !== null ? toClientTime(current, result.serverTime) : (result.sentAt + result.receivedAt) / 2;
    let outcome: PollOutcome;
    let changedAt: number | null = null;
    let stalenessMs: number | null = null;
    let worstCaseMs: number | null = null;
    let missedVersions = 0;
    let seen = job.peek();
    if (result.status === 304 || !result.job) {
      outcome = 'not-modified';
    } else {
      seen = result.job;
      if (result.etag) current.etag = result.etag;
      if (current.lastVersion === null || seen.version > current.lastVersion) {
        outcome = 'changed';
        missedVersions = current.lastVersion === null ? 0 : seen.version - current.lastVersion - 1;
        changedAt = toClientTime(current, seen.updatedAt);
        // Clock estimates can put the change a hair after we saw it; it cannot have been.
        stalenessMs = Math.max(0, result.receivedAt - changedAt);
        worstCaseMs = current.lastReadAt === null ? stalenessMs : Math.max(stalenessMs, result.receivedAt - current.lastReadAt);
        current.lastVersion = seen.version;
        current.lastNote = seen.note;
      } else {
        outcome = 'unchanged';
      }
    }
    const record: PollRecord = {
      seq,
      outcome,
      status: result.status,
      sentAt: result.sentAt,
      receivedAt: result.receivedAt,
      conditional,
      bytes: result.bytes,
      bodyBytes: result.bodyBytes,
      version: current.lastVersion,
      state: seen?.state ?? null,
      progress: seen?.progress ?? null,
      changedAt,
      stalenessMs,
      worstCaseMs,
      readAt,
      missedVersions,
      error: null,
    };
    current.lastReadAt = readAt;
    const terminal = seen !== null && isTerminal(seen.state);

    batch(() => {
      polls.value = [...polls.value, record];
      const publishSeen = outcome === 'changed' ? matchPublishes(record, seen!, terminal) : null;
      if (outcome === 'changed') job.value = seen;
      inFlight.value = false;
      retryDelayMs.value = null;
      error.value = null;
      waitFrom.value = clock.now();
      if (terminal) {
        finish(current, seen!);
      } else if (publishSeen) {
        status.value = publishSeen;
      } else if (outcome === 'changed' && previousState !== seen!.state) {
        status.value =
          seen!.state === 'running'
            ? `The job is running. Polling every ${formatInterval(intervalMs.peek())}.`
            : `The job is ${seen!.state}. Polling every ${formatInterval(intervalMs.peek())}.`;
      }
    });
  }

  /** Pairs the reader's published notes with the poll that first shows them; returns news for the reader. */
  function matchPublishes(poll: PollRecord, seen: Job, terminal: boolean): string | null {
    let seenText: string | null = null;
    const next = publishes.peek().map((entry) => {
      if (entry.status !== 'pending' || entry.ackAt === null || entry.serverAt === null) return entry;
      // The job we see includes the note when it was read after the server stored it.
      const after = poll.sentAt >= entry.ackAt || seen.updatedAt >= entry.serverAt;
      if (seen.note === entry.text && after) {
        const stalenessMs = Math.max(0, poll.receivedAt - (entry.changedAt ?? poll.receivedAt));
        seenText = `The poller saw your change ${formatMs(stalenessMs)} after the server made it.`;
        return { ...entry, status: 'seen' as const, seenAt: poll.receivedAt, seenBy: poll.seq, stalenessMs };
      }
      if (after) return { ...entry, status: terminal ? ('not-applied' as const) : ('overwritten' as const) };
      return entry;
    });
    publishes.value = next;
    return seenText;
  }

  function finish(current: Run, seen: Job): void {
    current.active = false;
    phase.value = 'finished';
    // A note that reached the server after the job ended changed nothing.
    publishes.value = publishes.value.map((entry) =>
      entry.status === 'pending' || entry.status === 'sending' ? { ...entry, status: 'not-applied' as const } : entry,
    );
    status.value = `Polling stopped: the job ${seen.state}. A finished job never changes again, so every further poll would be wasted.`;
    const check = exercise.value;
    if (check.passed && !exerciseDone.value) {
      exerciseDone.value = true;
      options.onExerciseComplete?.();
    }
  }

  function onPollError(current: Run, seq: number, sentAt: number, conditional: boolean, failure: unknown, message: string): void {
    const httpStatus = failure instanceof ApiError ? failure.status : null;
    const record: PollRecord = {
      seq,
      outcome: 'error',
      status: httpStatus,
      sentAt,
      receivedAt: clock.now(),
      conditional,
      bytes: 0,
      bodyBytes: 0,
      version: current.lastVersion,
      state: job.peek()?.state ?? null,
      progress: job.peek()?.progress ?? null,
      changedAt: null,
      stalenessMs: null,
      worstCaseMs: null,
      readAt: null,
      missedVersions: 0,
      error: message,
    };
    // 404: the job is gone (forgotten, or the server restarted). Other 4xx: our
    // request is wrong. Retrying cannot help either; 408 and 429 are "try later".
    const hopeless = httpStatus !== null && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429;
    batch(() => {
      polls.value = [...polls.value, record];
      inFlight.value = false;
      waitFrom.value = clock.now();
      error.value = message;
      if (hopeless) {
        current.active = false;
        phase.value = 'stopped';
        status.value =
          httpStatus === 404
            ? 'Polling stopped: the server no longer knows this job (it may have restarted). Start a new job.'
            : `Polling stopped: the server refused the request (${httpStatus}).`;
        return;
      }
      const failures = countTrailingErrors(polls.value);
      // Exponential backoff with full jitter: a random wait up to a doubling
      // ceiling, so many clients failing together do not return together.
      const ceiling = backoffCeiling(failures, { baseMs: Math.max(intervalMs.peek(), 1_000), capMs: MAX_BACKOFF_MS });
      const retryAfter = failure instanceof ApiError ? (failure.retryAfterMs ?? 0) : 0;
      const delay = Math.round(Math.max(intervalMs.peek(), retryAfter, random() * ceiling));
      retryDelayMs.value = delay;
      status.value = `Request ${seq} failed. Retrying in ${formatMs(delay)} (backing off after ${failures} ${failures === 1 ? 'failure' : 'failures in a row'}).`;
    });
  }

  function stopRun(): void {
    if (!run) return;
    run.active = false;
    run.controller?.abort();
    run.controller = null;
  }

  async function start(): Promise<void> {
    stopRun();
    const current: Run = {
      jobId: null,
      channel: channel.peek(),
      active: true,
      controller: new AbortController(),
      etag: null,
      lastVersion: null,
      lastNote: null,
      lastReadAt: null,
      seq: 0,
      offset: null,
    };
    run = current;
    batch(() => {
      clearRunState();
      phase.value = 'starting';
      startedAt.value = clock.now();
      status.value = 'Starting a job…';
    });
    let started: StartJobResponse;
    try {
      const request = { durationMs, ...(current.channel ? { channel: current.channel } : {}) };
      started = await client.startJob(request, current.controller!.signal);
    } catch (failure) {
      if (run !== current || !current.active) return;
      current.active = false;
      batch(() => {
        phase.value = 'idle';
        error.value = errorMessage(failure);
        status.value = 'Could not start a job.';
      });
      return;
    }
    if (run !== current || !current.active) return;
    current.controller = null;
    current.jobId = started.id;
    current.channel = started.channel;
    batch(() => {
      if (channel.peek() === null) channel.value = started.channel;
      phase.value = 'polling';
      status.value = `Job started. Polling it every ${formatInterval(intervalMs.peek())}.`;
      // The first poll goes at once. Started inside the batch, it marks itself in
      // flight before the scheduler effect runs, so the effect schedules nothing.
      void pollOnce(current);
    });
  }

  function stop(): void {
    if (phase.peek() !== 'polling' && phase.peek() !== 'starting') return;
    stopRun();
    batch(() => {
      inFlight.value = false;
      retryDelayMs.value = null;
      phase.value = 'stopped';
      status.value = 'Polling stopped by you. The job keeps running on the server: nothing there noticed you left.';
    });
  }

  function clearRunState(): void {
    job.value = null;
    polls.value = [];
    publishes.value = [];
    sent.value = 0;
    inFlight.value = false;
    publishing.value = false;
    retryDelayMs.value = null;
    error.value = null;
  }

  function reset(): void {
    stopRun();
    run = null;
    batch(() => {
      clearRunState();
      startedAt.value = null;
      phase.value = 'idle';
      status.value = '';
    });
  }

  async function publish(text: string): Promise<void> {
    const current = run;
    const currentJob = job.peek();
    if (!current?.channel || phase.peek() !== 'polling' || !currentJob || isTerminal(currentJob.state)) {
      error.value = 'Start a job first: a note changes the unfinished jobs of your channel.';
      return;
    }
    const note = text.trim();
    if (note.length === 0 || [...note].length > JOB_LIMITS.maxNoteLength) {
      error.value = `Write a note of 1 to ${JOB_LIMITS.maxNoteLength} characters.`;
      return;
    }
    const seq = publishes.peek().length + 1;
    const entry: PublishRecord = {
      seq,
      text: note,
      status: 'sending',
      clickedAt: clock.now(),
      ackAt: null,
      serverAt: null,
      changedAt: null,
      seenAt: null,
      seenBy: null,
      stalenessMs: null,
      error: null,
    };
    const update = (change: Partial<PublishRecord>) => {
      publishes.value = publishes.value.map((item) => (item.seq === seq ? { ...item, ...change } : item));
    };
    batch(() => {
      publishes.value = [...publishes.value, entry];
      publishing.value = true;
      error.value = null;
    });
    let answer: PublishResponse;
    try {
      answer = await client.publishNote(current.channel, note);
    } catch (failure) {
      if (run !== current) return;
      batch(() => {
        publishing.value = false;
        update({ status: 'failed', error: errorMessage(failure) });
        error.value = errorMessage(failure);
      });
      return;
    }
    if (run !== current) return; // A new job (or a reset) replaced this run and its records.
    const ackAt = clock.now();
    const changedAt = toClientTime(current, answer.ts);
    batch(() => {
      publishing.value = false;
      // The job ended while the note travelled: finish() already marked it.
      if (publishes.value.find((item) => item.seq === seq)?.status !== 'sending') return;
      // The server ignores a note equal to the job's current one: no new version, nothing to see.
      if (current.lastNote === note) {
        update({ status: 'no-change', ackAt, serverAt: answer.ts, changedAt });
        status.value = 'The job already has this note, so nothing changed. Write a different one.';
        return;
      }
      update({ status: 'pending', ackAt, serverAt: answer.ts, changedAt });
      status.value = current.active
        ? `Published: the job changed on the server. The poller will see it at its next poll, up to ${formatInterval(intervalMs.peek())} from now.`
        : 'Published, but nobody is polling: nobody will see it.';
    });
  }

  function setPageVisible(visible: boolean): void {
    if (pageVisible.peek() === visible) return;
    batch(() => {
      pageVisible.value = visible;
      if (phase.peek() !== 'polling') return;
      status.value = visible
        ? 'Welcome back: polling at once to catch up.'
        : 'Paused while this tab is hidden: no point asking when nobody is looking.';
    });
  }

  function dispose(): void {
    stopRun();
    run = null;
    disposeScheduler();
  }

  return {
    intervalMs,
    useEtag,
    channel,
    phase,
    job,
    startedAt,
    polls,
    publishes,
    inFlight,
    publishing,
    nextPollAt,
    paused,
    stats,
    status,
    error,
    summary,
    exercise,
    exerciseDone,
    setInterval,
    start,
    stop,
    reset,
    publish,
    setPageVisible,
    dispose,
  };
}

function summarizeStaleness(values: readonly number[]): StalenessSummary | null {
  if (values.length === 0) return null;
  return {
    count: values.length,
    avgMs: values.reduce((sum, value) => sum + value, 0) / values.length,
    maxMs: Math.max(...values),
  };
}

function countTrailingErrors(list: readonly PollRecord[]): number {
  let count = 0;
  for (let index = list.length - 1; index >= 0 && list[index]!.outcome === 'error'; index--) count++;
  return count;
}

/**
 * The live sentence under the numbers, e.g. "Polling every 2 s: you see the
 * job's steps 1 s late on average (worst 1.9 s); 14 of 18 requests found nothing new."
 */
export function describeNumbers(phase: Phase, stats: PollStats, intervalMs: number, job: Job | null): string {
  const every = formatInterval(intervalMs);
  if (phase === 'idle' || phase === 'starting' || (stats.requests === 0 && !job)) {
    return `Press “Start job” and the poller will ask the server for the job every ${every}.`;
  }
  const answered = stats.changed + stats.unchanged + stats.notModified;
  if (answered === 0) return 'Waiting for the first answer…';
  const live = phase === 'polling';
  const parts: string[] = [];
  const lead = live ? `Polling every ${every}` : `Polled until ${phase === 'finished' ? 'the job ended' : 'you stopped'}`;
  if (stats.steps !== null) {
    parts.push(
      `you ${live ? 'see' : 'saw'} the job's steps ${formatMs(stats.steps.avgMs)} late on average (worst ${formatMs(stats.steps.maxMs)})`,
    );
  }
  if (stats.notes !== null) {
    parts.push(`your changes ${formatMs(stats.notes.avgMs)} late (half the interval is ${formatMs(intervalMs / 2)})`);
  }
  const nothing = stats.unchanged + stats.notModified;
  let requests = `${nothing} of ${stats.requests} ${stats.requests === 1 ? 'request' : 'requests'} found nothing new`;
  if (stats.unchanged > 0 && stats.notModified > 0) {
    requests += ` (${stats.notModified} cheap 304s, ${stats.unchanged} repeated ${stats.unchanged === 1 ? 'body' : 'bodies'}: ${formatBytes(stats.repeatedBodyBytes)} for nothing)`;
  } else if (stats.unchanged > 0) {
    requests += `, each re-sending the whole body (${formatBytes(stats.repeatedBodyBytes)} for nothing)`;
  } else if (stats.notModified > 0) {
    requests += ', all as body-less 304s';
  }
  parts.push(requests);
  let sentence = `${lead}: ${parts.join('; ')}.`;
  if (stats.missedVersions > 0) {
    sentence += ` ${stats.missedVersions} ${stats.missedVersions === 1 ? 'version' : 'versions'} of the job came and went between two polls, never seen.`;
  }
  return sentence;
}

/** A poll in words, for its timeline mark's label and the details panel. `origin` is the run's start. */
export function describePoll(poll: PollRecord, origin: number): string {
  const when = `Request ${poll.seq} at ${formatOffset(poll.sentAt - origin)}`;
  const cost = `${formatBytes(poll.bytes)}, round trip ${formatMs(poll.receivedAt - poll.sentAt)}`;
  const where = poll.state ? `${poll.state}${poll.state === 'running' ? ` ${poll.progress} %` : ''}` : '';
  switch (poll.outcome) {
    case 'changed': {
      const missed =
        poll.missedVersions > 0
          ? ` ${poll.missedVersions} earlier ${poll.missedVersions === 1 ? 'version was' : 'versions were'} never seen.`
          : '';
      return `${when}: 200, changed to version ${poll.version} (${where}), seen ${formatMs(poll.stalenessMs ?? 0)} after the server made the change.${missed} ${cost}.`;
    }
    case 'unchanged':
      return `${when}: 200, nothing changed (version ${poll.version} again), yet the whole body came again. ${cost}.`;
    case 'not-modified':
      return `${when}: 304 Not Modified, nothing changed; If-None-Match matched, so no body. ${cost}.`;
    case 'error':
      return `${when}: failed. ${poll.error ?? ''}`.trim();
  }
}
