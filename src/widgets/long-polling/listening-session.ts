import { batch } from '@preact/signals';
import { fullJitterBackoff } from '../../protocol/backoff.ts';
import type { Clock } from '../shared/clock.ts';
import { failureStatus, retryAfterMsOf, retryCannotHelp } from '../shared/failed-request.ts';
import { formatMs } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { readAnswer } from './answer.ts';
import type { LongPollingClient, LongPollResult } from './client.ts';
import { describeAnswer, describeRetry } from './describe.ts';
import { keyOf, toFeedItem } from './feed-items.ts';
import type { WaitReason } from './records.ts';
import { BACKOFF, MAX_FEED_ITEMS } from './settings.ts';
import { addRequest, count, type LongPollState, updateRequest } from './state.ts';

/** What a listening session works with. */
export interface SessionContext {
  readonly state: LongPollState;
  readonly client: LongPollingClient;
  readonly clock: Clock;
  /** Randomness of the backoff's jitter. */
  readonly random: () => number;
  readonly answerGraceMs: number;
  readonly spinGuardMs: number;
  /** A request failed: a fault the reader armed may have struck (a lost answer, a 503). */
  faultStruck(lost: boolean, httpStatus: number | null): void;
}

/** Where and when the feed received an event. */
export interface Delivery {
  receivedAt: number;
  requestSeq: number;
}

/** A request on its way: what it asked for. */
interface Ask {
  seq: number;
  cursorSent: number;
  timeoutMs: number;
}

/**
 * One stretch of listening, from `start()` to `stop()`: the poll loop. It
 * keeps exactly one request open: the next one is sent when the previous one
 * has ended — at once after a 200 (events) or a 204 (the hold timed out),
 * after a backoff with full jitter after a lost answer or a 5xx. The cursor
 * only moves when an answer actually arrives; so a lost answer is asked for
 * again with the same cursor, and the server sends its events again.
 */
export class ListeningSession {
  /** False once stopped: its late answers and timers are ignored. */
  active = true;
  /** `epoch:id` of every event the feed received in this session. */
  readonly delivered = new Map<string, Delivery>();
  readonly #context: SessionContext;
  /** The open request's controller; null when none is open. Never two. */
  #controller: AbortController | null = null;
  /** The pending timer of the next request (backoff, spin guard). */
  #timer: unknown = null;
  #seq = 0;
  #publishSeq = 0;
  /** Failed requests in a row: the backoff's exponent. */
  #failures = 0;
  /** The cursor of a lost request, until the next answer arrives: that answer recovers it. */
  #lostCursor: number | null = null;

  constructor(context: SessionContext) {
    this.#context = context;
  }

  /** Numbers the notifications sent in this session: 1, 2, 3… */
  nextPublishSeq(): number {
    return ++this.#publishSeq;
  }

  /** Sends the first request. */
  begin(): void {
    void this.#pollOnce(0, null);
  }

  /** Aborts the open request and calls off a pending one. */
  end(): void {
    this.active = false;
    this.#controller?.abort();
    this.#controller = null;
    if (this.#timer !== null) this.#context.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Sends the next request at once (`delayMs` 0) or after a wait; only ever one pending. */
  #schedule(delayMs: number, reason: WaitReason | null): void {
    if (!this.active) return;
    if (delayMs <= 0 || reason === null) {
      void this.#pollOnce(0, null);
      return;
    }
    const { clock, state } = this.#context;
    state.waiting.value = { reason, delayMs, until: clock.now() + delayMs };
    this.#timer = clock.setTimeout(() => {
      this.#timer = null;
      void this.#pollOnce(delayMs, reason);
    }, delayMs);
  }

  async #pollOnce(waitedMs: number, waitReason: WaitReason | null): Promise<void> {
    const { state, client, clock, answerGraceMs } = this.#context;
    const name = state.channel.peek();
    if (!this.active || this.#controller || name === null) return;
    const controller = new AbortController();
    this.#controller = controller;
    const ask: Ask = { seq: ++this.#seq, cursorSent: state.cursor.peek(), timeoutMs: state.holdMs.peek() };
    let abandoned = false;
    const watchdog = clock.setTimeout(() => {
      abandoned = true;
      controller.abort();
    }, ask.timeoutMs + answerGraceMs);
    batch(() => {
      addRequest(state, {
        seq: ask.seq,
        cursor: ask.cursorSent,
        timeoutMs: ask.timeoutMs,
        sentAt: clock.now(),
        receivedAt: null,
        outcome: 'held',
        status: null,
        events: 0,
        fresh: 0,
        duplicates: 0,
        nextCursor: null,
        bytes: 0,
        recovered: false,
        reset: false,
        gap: 0,
        waitedMs,
        waitReason,
        retry: null,
        error: null,
      });
      count(state, (draft) => draft.requests++);
      state.inFlight.value = true;
      state.waiting.value = null;
    });

    let result: LongPollResult | undefined;
    let failure: unknown;
    try {
      result = await client.poll(name, ask.cursorSent, ask.timeoutMs, controller.signal);
    } catch (caught) {
      failure = caught ?? new Error('The request failed.');
    }
    clock.clearTimeout(watchdog);
    if (this.#controller === controller) this.#controller = null;
    if (!this.active) return; // Stopped meanwhile: stop() already closed the record.

    if (!result) {
      const message = abandoned
        ? `No answer within ${formatMs(ask.timeoutMs + answerGraceMs)}: the client gave up on request ${ask.seq}.`
        : errorMessage(failure);
      this.#onFailure(ask, failure, message, abandoned);
    } else if (result.status === 204) {
      this.#onTimeout(ask, result);
    } else {
      this.#onEvents(ask, result);
    }
  }

  /** 204: the hold ran out with nothing after the cursor. Ask again, same cursor. */
  #onTimeout({ seq, cursorSent, timeoutMs }: Ask, result: LongPollResult): void {
    const { state, spinGuardMs } = this.#context;
    const heldMs = result.receivedAt - result.sentAt;
    const tooSoon = heldMs < timeoutMs / 2;
    const afterLoss = this.#lostCursor !== null;
    this.#failures = 0;
    this.#lostCursor = null;
    batch(() => {
      updateRequest(state, seq, {
        outcome: 'timeout',
        status: 204,
        receivedAt: result.receivedAt,
        nextCursor: cursorSent,
        bytes: result.bytes,
      });
      count(state, (draft) => {
        draft.timeouts++;
        draft.bytes += result.bytes;
        draft.bodyBytes += result.bodyBytes;
      });
      state.inFlight.value = false;
      state.error.value = null;
      if (afterLoss) state.status.value = 'The retry timed out with 204: the lost answer carried nothing the feed is missing.';
      if (tooSoon) {
        state.status.value = `The server answered 204 after ${formatMs(heldMs)} instead of holding for ${formatMs(timeoutMs)}: waiting ${formatMs(spinGuardMs)} before asking again, so the client cannot spin.`;
      }
      this.#schedule(tooSoon ? spinGuardMs : 0, tooSoon ? 'spin-guard' : null);
    });
  }

  /** 200: deliver what is new, drop what the feed has, move the cursor, ask again at once. */
  #onEvents({ seq, cursorSent, timeoutMs }: Ask, result: LongPollResult): void {
    const { state, spinGuardMs } = this.#context;
    const body = result.body!;
    const reading = readAnswer(body, cursorSent, state.cursor.peek());
    const { fresh, duplicates, restarted } = reading;
    const epoch = state.epoch.peek() + (restarted ? 1 : 0);
    const recovered = this.#lostCursor === cursorSent && fresh.length > 0;
    const receivedAt = result.receivedAt;
    for (const event of fresh) this.delivered.set(keyOf(epoch, event.id), { receivedAt, requestSeq: seq });
    this.#failures = 0;
    this.#lostCursor = null;

    batch(() => {
      updateRequest(state, seq, {
        outcome: 'events',
        status: 200,
        receivedAt,
        events: body.events.length,
        fresh: fresh.length,
        duplicates,
        nextCursor: reading.highest,
        bytes: result.bytes,
        recovered,
        reset: body.reset === true,
        gap: reading.gap,
      });
      count(state, (draft) => {
        draft.answered++;
        draft.received += fresh.length;
        draft.duplicates += duplicates;
        draft.largestBatch = Math.max(draft.largestBatch, fresh.length);
        if (recovered) {
          draft.recoveries++;
          draft.recoveredEvents += fresh.length;
        }
        draft.bytes += result.bytes;
        draft.bodyBytes += result.bodyBytes;
      });
      if (fresh.length > 0) {
        const items = fresh.map((event) => toFeedItem(event, epoch, receivedAt, seq, recovered)).reverse();
        state.feed.value = [...items, ...state.feed.peek()].slice(0, MAX_FEED_ITEMS);
      }
      this.#markReceived();
      state.epoch.value = epoch;
      state.cursor.value = reading.highest;
      state.inFlight.value = false;
      state.error.value = null;

      const heldMs = receivedAt - result.sentAt;
      const news = describeAnswer({ seq, cursor: cursorSent, reading, recovered, heldMs, epoch, receivedAt });
      if (news) state.status.value = news;
      // Nothing new and far too soon: a server that keeps doing this must not make us spin.
      const idle = fresh.length === 0 && !restarted && heldMs < timeoutMs / 2;
      this.#schedule(idle ? spinGuardMs : 0, idle ? 'spin-guard' : null);
    });
  }

  /** Notifications sent and acknowledged that the feed has now received. */
  #markReceived(): void {
    const { publishes } = this.#context.state;
    publishes.value = publishes.peek().map((entry) => {
      if (entry.status !== 'waiting') return entry;
      const seen = this.delivered.get(keyOf(entry.epoch!, entry.id!));
      return seen ? { ...entry, status: 'received' as const, receivedAt: seen.receivedAt, requestSeq: seen.requestSeq } : entry;
    });
  }

  /** No answer, or an HTTP error: back off with full jitter, then ask again with the same cursor. */
  #onFailure({ seq, cursorSent }: Ask, failure: unknown, message: string, abandoned: boolean): void {
    const { state, clock, random } = this.#context;
    const httpStatus = failureStatus(failure);
    const lost = httpStatus === null;
    const receivedAt = clock.now();
    if (retryCannotHelp(httpStatus)) {
      this.active = false;
      batch(() => {
        updateRequest(state, seq, { outcome: 'error', status: httpStatus, receivedAt, error: message });
        count(state, (draft) => draft.errors++);
        state.inFlight.value = false;
        state.phase.value = 'stopped';
        state.error.value = message;
        state.status.value = `Stopped listening: the server refused request ${seq} (${httpStatus}), and asking again would not help.`;
      });
      return;
    }

    this.#failures++;
    if (lost) this.#lostCursor = cursorSent;
    const retry = fullJitterBackoff(this.#failures, BACKOFF, random, retryAfterMsOf(failure));
    batch(() => {
      updateRequest(state, seq, { outcome: lost ? 'lost' : 'error', status: httpStatus, receivedAt, retry, error: message });
      count(state, (draft) => (lost ? draft.lost++ : draft.errors++));
      this.#context.faultStruck(lost, httpStatus);
      state.inFlight.value = false;
      state.error.value = message;
      state.status.value = describeRetry({ seq, status: httpStatus, abandoned, cursor: cursorSent, retry, failures: this.#failures });
      this.#schedule(retry.delayMs, 'backoff');
    });
  }
}
