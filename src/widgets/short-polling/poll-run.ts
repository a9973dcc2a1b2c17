import { batch } from '@preact/signals';
import { backoffCeiling } from '../../protocol/backoff.ts';
import { isTerminal, type Job } from '../../protocol/jobs.ts';
import type { Clock } from '../shared/clock.ts';
import { ClockOffsetEstimator } from '../shared/clock-offset.ts';
import { failureStatus, retryAfterMsOf, retryCannotHelp } from '../shared/failed-request.ts';
import { formatInterval, formatMs } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import type { PollResult, ShortPollingClient } from './client.ts';
import type { PollOutcome, PollRecord } from './records.ts';
import { MAX_BACKOFF_MS } from './settings.ts';
import type { ShortPollState } from './state.ts';
import { countTrailingErrors } from './statistics.ts';

/** What a run works with. */
export interface RunContext {
  readonly state: ShortPollState;
  readonly client: ShortPollingClient;
  readonly clock: Clock;
  /** Randomness of the error backoff's jitter. */
  readonly random: () => number;
  readonly requestTimeoutMs: number;
}

/** What a 200 showed of the job, against what the run had. */
interface Change {
  outcome: PollOutcome;
  seen: Job | null;
  changedAt: number | null;
  stalenessMs: number | null;
  worstCaseMs: number | null;
  missedVersions: number;
}

/**
 * One job's polling, from `start()` until it finishes, is stopped or is
 * replaced: the requests and what they learned (ETag, version, the server's
 * clock). The model schedules each poll; a run never sends two at once.
 */
export class PollRun {
  jobId: string | null = null;
  channel: string | null;
  /** False once stopped, finished or replaced: its late answers are dropped. */
  active = true;
  controller: AbortController | null = null;
  /** The job's note as last seen: a note equal to it changes nothing. */
  lastNote: string | null = null;
  readonly #context: RunContext;
  /** The last ETag received; sent as If-None-Match when the reader has ETag on. */
  #etag: string | null = null;
  #lastVersion: number | null = null;
  /** When the server read the job for the last answered poll (client clock). */
  #lastReadAt: number | null = null;
  #seq = 0;
  /** Server clock − client clock, from the poll with the shortest round trip. */
  readonly #offset = new ClockOffsetEstimator();

  constructor(context: RunContext, channel: string | null) {
    this.#context = context;
    this.channel = channel;
  }

  /** Server time → client time, with the offset estimated NTP-style from the polls (RFC 5905 §8). */
  toClientTime(serverMs: number): number {
    return serverMs - (this.#offset.current?.offsetMs ?? 0);
  }

  stop(): void {
    this.active = false;
    this.controller?.abort();
    this.controller = null;
  }

  async pollOnce(): Promise<void> {
    const { state, client, clock, requestTimeoutMs } = this.#context;
    if (!this.active || this.jobId === null || state.inFlight.peek()) return;
    const controller = new AbortController();
    this.controller = controller;
    let timedOut = false;
    const timeout = clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, requestTimeoutMs);
    const conditional = state.useEtag.peek() && this.#etag !== null;
    const seq = ++this.#seq;
    const sentAt = clock.now();
    batch(() => {
      state.inFlight.value = true;
      state.sent.value++;
    });
    let result: PollResult;
    try {
      result = await client.pollJob(this.jobId, conditional ? this.#etag : null, controller.signal);
    } catch (failure) {
      if (!this.active) return; // Stopped or replaced meanwhile: nobody is waiting for this answer.
      const message = timedOut ? `No answer within ${formatMs(requestTimeoutMs)}.` : errorMessage(failure);
      this.#onError(seq, sentAt, conditional, failure, message);
      return;
    } finally {
      clock.clearTimeout(timeout);
      if (this.controller === controller) this.controller = null;
    }
    if (!this.active) return;
    this.#onAnswer(seq, conditional, result);
  }

  /** Compares the job in a 200 (or the 304) with the version the run had. */
  #readChange(result: PollResult): Change {
    const change: Change = {
      outcome: 'not-modified',
      seen: this.#context.state.job.peek(),
      changedAt: null,
      stalenessMs: null,
      worstCaseMs: null,
      missedVersions: 0,
    };
    if (result.status === 304 || !result.job) return change;
    const seen = result.job;
    change.seen = seen;
    if (result.etag) this.#etag = result.etag;
    if (this.#lastVersion !== null && seen.version <= this.#lastVersion) return { ...change, outcome: 'unchanged' };
    change.outcome = 'changed';
    change.missedVersions = this.#lastVersion === null ? 0 : seen.version - this.#lastVersion - 1;
    const changedAt = this.toClientTime(seen.updatedAt);
    change.changedAt = changedAt;
    // Clock estimates can put the change a hair after we saw it; it cannot have been.
    const stalenessMs = Math.max(0, result.receivedAt - changedAt);
    change.stalenessMs = stalenessMs;
    change.worstCaseMs = this.#lastReadAt === null ? stalenessMs : Math.max(stalenessMs, result.receivedAt - this.#lastReadAt);
    this.#lastVersion = seen.version;
    this.lastNote = seen.note;
    return change;
  }

  #onAnswer(seq: number, conditional: boolean, result: PollResult): void {
    const { state, clock } = this.#context;
    if (result.serverTime !== null) this.#offset.add(result.sentAt, result.receivedAt, result.serverTime);
    const previousState = state.job.peek()?.state ?? null;
    const readAt = result.serverTime !== null ? this.toClientTime(result.serverTime) : (result.sentAt + result.receivedAt) / 2;
    const { outcome, seen, ...change } = this.#readChange(result);
    const record: PollRecord = {
      seq,
      outcome,
      status: result.status,
      sentAt: result.sentAt,
      receivedAt: result.receivedAt,
      conditional,
      bytes: result.bytes,
      bodyBytes: result.bodyBytes,
      version: this.#lastVersion,
      state: seen?.state ?? null,
      progress: seen?.progress ?? null,
      ...change,
      readAt,
      error: null,
    };
    this.#lastReadAt = readAt;
    const terminal = seen !== null && isTerminal(seen.state);

    batch(() => {
      state.polls.value = [...state.polls.value, record];
      const publishSeen = outcome === 'changed' ? this.#matchPublishes(record, seen!, terminal) : null;
      if (outcome === 'changed') state.job.value = seen;
      state.inFlight.value = false;
      state.retryDelayMs.value = null;
      state.error.value = null;
      state.waitFrom.value = clock.now();
      if (terminal) {
        this.#finish(seen!);
      } else if (publishSeen) {
        state.status.value = publishSeen;
      } else if (outcome === 'changed' && previousState !== seen!.state) {
        const every = formatInterval(state.intervalMs.peek());
        state.status.value =
          seen!.state === 'running' ? `The job is running. Polling every ${every}.` : `The job is ${seen!.state}. Polling every ${every}.`;
      }
    });
  }

  /** Pairs the reader's published notes with the poll that first shows them; returns news for the reader. */
  #matchPublishes(poll: PollRecord, seen: Job, terminal: boolean): string | null {
    const { publishes } = this.#context.state;
    let seenText: string | null = null;
    publishes.value = publishes.peek().map((entry) => {
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
    return seenText;
  }

  #finish(seen: Job): void {
    const { state } = this.#context;
    this.active = false;
    state.phase.value = 'finished';
    // A note that reached the server after the job ended changed nothing.
    state.publishes.value = state.publishes.value.map((entry) =>
      entry.status === 'pending' || entry.status === 'sending' ? { ...entry, status: 'not-applied' as const } : entry,
    );
    state.status.value = `Polling stopped: the job ${seen.state}. A finished job never changes again, so every further poll would be wasted.`;
  }

  #onError(seq: number, sentAt: number, conditional: boolean, failure: unknown, message: string): void {
    const { state, clock, random } = this.#context;
    const httpStatus = failureStatus(failure);
    const current = state.job.peek();
    const record: PollRecord = {
      seq,
      outcome: 'error',
      status: httpStatus,
      sentAt,
      receivedAt: clock.now(),
      conditional,
      bytes: 0,
      bodyBytes: 0,
      version: this.#lastVersion,
      state: current?.state ?? null,
      progress: current?.progress ?? null,
      changedAt: null,
      stalenessMs: null,
      worstCaseMs: null,
      readAt: null,
      missedVersions: 0,
      error: message,
    };
    batch(() => {
      state.polls.value = [...state.polls.value, record];
      state.inFlight.value = false;
      state.waitFrom.value = clock.now();
      state.error.value = message;
      // 404: the job is gone (forgotten, or the server restarted). Other 4xx: our request is wrong.
      if (retryCannotHelp(httpStatus)) {
        this.active = false;
        state.phase.value = 'stopped';
        state.status.value =
          httpStatus === 404
            ? 'Polling stopped: the server no longer knows this job (it may have restarted). Start a new job.'
            : `Polling stopped: the server refused the request (${httpStatus}).`;
        return;
      }
      const failures = countTrailingErrors(state.polls.value);
      const interval = state.intervalMs.peek();
      // Exponential backoff with full jitter: a random wait up to a doubling
      // ceiling, so many clients failing together do not return together.
      const ceiling = backoffCeiling(failures, { baseMs: Math.max(interval, 1_000), capMs: MAX_BACKOFF_MS });
      const delay = Math.round(Math.max(interval, retryAfterMsOf(failure), random() * ceiling));
      state.retryDelayMs.value = delay;
      state.status.value = `Request ${seq} failed. Retrying in ${formatMs(delay)} (backing off after ${failures} ${failures === 1 ? 'failure' : 'failures in a row'}).`;
    });
  }
}
