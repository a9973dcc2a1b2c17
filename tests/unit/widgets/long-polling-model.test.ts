import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelEvent } from '../../../src/protocol/events.ts';
import type { FaultRequest } from '../../../src/protocol/faults.ts';
import { LONG_POLL_LIMITS, type LongPollResponse } from '../../../src/protocol/long-polling.ts';
import { backoffCeiling, fullJitterBackoff } from '../../../src/protocol/backoff.ts';
import { ApiError, NO_ANSWER_MESSAGE, type LongPollingClient, type LongPollResult } from '../../../src/widgets/long-polling/client.ts';
import { describeNow, describeRetry } from '../../../src/widgets/long-polling/describe.ts';
import { notificationText } from '../../../src/widgets/long-polling/feed-items.ts';
import { createLongPollingModel, type LongPollingModel, type LongPollingModelOptions } from '../../../src/widgets/long-polling/model.ts';
import { ANSWER_GRACE_MS, BACKOFF, HOLD, SLOW, SPIN_GUARD_MS } from '../../../src/widgets/long-polling/settings.ts';
import { EMPTY_STATS } from '../../../src/widgets/long-polling/state.ts';
import { advance, settle } from '../support/fake-time.ts';

/**
 * A fake companion server behind a fake client, on node:test's mocked
 * setTimeout and Date, behaving like server/techniques/long-polling.ts: a poll
 * is answered at once when the log has events after its cursor, else held
 * until a publish wakes it (answering with what the log has at that moment)
 * or its timeout passes (204). Faults work as on the real server:
 * `drop-next-response` reads the events, then the answer never arrives.
 */
class FakeLongPollServer implements LongPollingClient {
  /** Round trip of every request, split evenly there and back. */
  roundTripMs = 20;
  /** Extra time before a publish's 201 reaches the client (after the event is stored). */
  ackDelayMs = 0;
  log: ChannelEvent[] = [];
  /** The last id handed out; a "restart" empties the log and starts again from 0. */
  lastId = 0;
  dropNext = false;
  serverErrors = 0;
  slowMs = 0;
  /** Polls fail with a network error (the server is down). */
  down = false;
  /** Polls are never answered (a proxy ate them) until aborted. */
  hang = false;
  /** Holds end at once with 204 (a misbehaving proxy). */
  instant204 = false;
  /** The next answer with events repeats the whole log, ignoring the cursor (a buggy server). */
  replayOnce = false;
  /** Answer the next polls with these failures instead. */
  failures: Error[] = [];
  readonly polls: { cursor: number; timeoutMs: number; sentAt: number; outcome?: string }[] = [];
  readonly faultRequests: FaultRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  #waiters = new Set<() => void>();

  async poll(channel: string, cursor: number, timeoutMs: number, signal?: AbortSignal): Promise<LongPollResult> {
    assert.match(channel, /^lp-/);
    const sentAt = Date.now();
    const entry: { cursor: number; timeoutMs: number; sentAt: number; outcome?: string } = { cursor, timeoutMs, sentAt };
    this.polls.push(entry);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await sleep(this.roundTripMs / 2, signal);
      if (this.hang) await new Promise((_, reject) => onAbort(signal, reject));
      const failure = this.failures.shift();
      if (this.down || failure) {
        entry.outcome = 'failed';
        await sleep(this.roundTripMs / 2, signal);
        throw failure ?? new ApiError(NO_ANSWER_MESSAGE, { cause: new TypeError('fetch failed') });
      }
      if (this.serverErrors > 0) {
        this.serverErrors--;
        entry.outcome = '503';
        await sleep(this.roundTripMs / 2, signal);
        throw new ApiError('A "server-errors" fault is armed; poll again with the same cursor.', { status: 503, retryAfterMs: 1_000 });
      }
      const body = await this.#hold(cursor, this.instant204 ? 0 : timeoutMs, signal);
      if (!body) {
        entry.outcome = '204';
        await sleep(this.roundTripMs / 2, signal);
        return this.#result(204, undefined, sentAt);
      }
      if (this.slowMs > 0) await sleep(this.slowMs, signal);
      if (this.dropNext) {
        // Like the real server: the events were taken, then the socket is destroyed.
        this.dropNext = false;
        entry.outcome = 'dropped';
        await sleep(this.roundTripMs / 2, signal);
        throw new ApiError(NO_ANSWER_MESSAGE, { cause: new TypeError('fetch failed') });
      }
      entry.outcome = '200';
      await sleep(this.roundTripMs / 2, signal);
      return this.#result(200, body, sentAt);
    } finally {
      this.inFlight--;
    }
  }

  /** What the server answers with: at once if it can, else when woken, else undefined after the timeout. */
  #hold(cursor: number, timeoutMs: number, signal?: AbortSignal): Promise<LongPollResponse | undefined> {
    const read = (): LongPollResponse | undefined => {
      if (cursor > this.lastId) return { events: [...this.log], cursor: this.lastId, reset: true }; // ahead: restarted
      if (this.replayOnce && this.log.length > 0 && this.log.at(-1)!.id > cursor) {
        this.replayOnce = false;
        return { events: [...this.log], cursor: this.lastId };
      }
      const events = this.log.filter((event) => event.id > cursor).slice(0, LONG_POLL_LIMITS.maxEvents);
      return events.length > 0 ? { events, cursor: events.at(-1)!.id } : undefined;
    };
    const now = read();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const answerWith = (value: LongPollResponse | undefined) => {
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(value);
      };
      // Like the bus subscription: read the log the moment a publish wakes us.
      const wake = () => {
        const answer = read();
        if (answer) answerWith(answer);
      };
      this.#waiters.add(wake);
      const timer = setTimeout(() => answerWith(undefined), timeoutMs);
      onAbort(signal, (reason) => {
        this.#waiters.delete(wake);
        clearTimeout(timer);
        reject(reason);
      });
    });
  }

  #result(status: 200 | 204, body: LongPollResponse | undefined, sentAt: number): LongPollResult {
    const bodyBytes = body ? JSON.stringify(body).length : 0;
    return { status, body, bytes: 300 + bodyBytes, bodyBytes, sentAt, receivedAt: Date.now() };
  }

  async publish(channel: string, type: string, data: unknown) {
    await sleep(this.roundTripMs / 2);
    const event: ChannelEvent = { id: ++this.lastId, type, data, ts: Date.now() };
    this.log.push(event);
    for (const wake of [...this.#waiters]) wake();
    await sleep(this.roundTripMs / 2 + this.ackDelayMs);
    return { id: event.id, ts: event.ts };
  }

  async injectFault(channel: string, fault: FaultRequest) {
    await sleep(this.roundTripMs / 2);
    this.faultRequests.push(fault);
    if (fault.type === 'drop-next-response') this.dropNext = true;
    if (fault.type === 'server-errors') this.serverErrors = fault.count;
    if (fault.type === 'slow') this.slowMs = fault.delayMs;
    await sleep(this.roundTripMs / 2);
    return { type: fault.type, affected: 0 };
  }

  /** The server restarts: its in-memory log is gone and ids begin again. */
  restart(): void {
    this.log = [];
    this.lastId = 0;
  }
}

function onAbort(signal: AbortSignal | undefined, reject: (reason: unknown) => void): void {
  if (!signal) return;
  if (signal.aborted) reject(new DOMException('aborted', 'AbortError'));
  else signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    onAbort(signal, (reason) => {
      clearTimeout(timer);
      reject(reason);
    });
  });
}

/** Runs an action that awaits the fake server, moving time until it is done. */
async function withTime<T>(promise: Promise<T>, ms = 100): Promise<T> {
  await advance(ms);
  return promise;
}

const T0 = 1_800_000_000_000;
let server: FakeLongPollServer;
let model: LongPollingModel;

function makeModel(options: LongPollingModelOptions = {}): LongPollingModel {
  model = createLongPollingModel(server, undefined, { random: () => 0.5, ...options });
  model.channel.value = 'lp-test0001';
  return model;
}

/** Starts listening and lets the first request reach the server. */
async function listen(): Promise<void> {
  model.start();
  await advance(server.roundTripMs);
}

beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
  server = new FakeLongPollServer();
});

afterEach(() => {
  model?.dispose();
  mock.timers.reset();
});

describe('the poll loop', () => {
  it('keeps one request held at a time; a 204 is followed at once by the same cursor', async () => {
    makeModel();
    model.setHold(2_000);
    await listen();
    assert.equal(model.requests.value[0]!.outcome, 'held');
    assert.equal(model.inFlight.value, true);
    await advance(2_000 * 3 + 100, { stepMs: 10 });
    assert.equal(server.maxInFlight, 1, 'never two requests at once');
    const records = model.requests.value;
    assert.ok(records.length >= 3);
    for (let i = 0; i < records.length - 1; i++) {
      assert.equal(records[i]!.outcome, 'timeout');
      assert.equal(records[i]!.status, 204);
      assert.equal(records[i + 1]!.sentAt, records[i]!.receivedAt, 'the next request goes at once');
      assert.equal(records[i + 1]!.cursor, 0);
    }
    assert.deepEqual(
      server.polls.map((poll) => poll.timeoutMs),
      server.polls.map(() => 2_000),
    );
    assert.equal(model.stats.value.timeouts, records.length - 1);
    assert.match(model.summary.value, /timed out with 204 after 2 s: nothing new\. Request \d+ is held with cursor 0/);
  });

  it('delivers a notification the moment it is published, and moves the cursor', async () => {
    makeModel();
    await listen();
    await advance(1_000);
    await withTime(model.send('Hello'));
    const [item] = model.feed.value;
    assert.equal(item?.text, 'Hello');
    assert.equal(item?.id, 1);
    assert.equal(model.cursor.value, 1);
    const first = model.requests.value[0]!;
    assert.equal(first.outcome, 'events');
    assert.equal(first.fresh, 1);
    assert.ok(first.receivedAt! - T0 < 1_100, 'answered when the event came, not at the timeout');
    assert.equal(model.requests.value[1]!.cursor, 1, 'the next request sends the new cursor');
    assert.equal(model.verification.value.text, 'Sent 1 · received 1 · lost 0 · duplicates dropped 0');
    assert.equal(model.publishes.value[0]!.status, 'received');
  });

  it('“Send 5 at once” delivers all five, several in one answer', async () => {
    makeModel();
    await listen();
    await withTime(model.sendBurst(5), 200);
    assert.equal(model.feed.value.length, 5);
    assert.deepEqual(
      model.feed.value.map((item) => item.id),
      [5, 4, 3, 2, 1],
      'newest first, each once',
    );
    const stats = model.stats.value;
    assert.equal(stats.received, 5);
    assert.ok(stats.answered < 5, `${stats.answered} answers for 5 events`);
    assert.ok(stats.largestBatch >= 2);
    assert.equal(model.verification.value.text, 'Sent 5 · received 5 · lost 0 · duplicates dropped 0');
    assert.match(model.status.value, /carried \d events in one answer/);
  });

  it('sends the hold the reader chose, from the next request on', async () => {
    makeModel();
    model.setHold(3_000);
    await listen();
    model.setHold(5_000);
    await advance(3_100, { stepMs: 10 });
    assert.deepEqual(
      server.polls.map((poll) => poll.timeoutMs),
      [3_000, 5_000],
    );
  });

  it('clamps the hold to 2–30 s in whole seconds', () => {
    makeModel();
    assert.equal(model.holdMs.value, HOLD.initial);
    model.setHold(100);
    assert.equal(model.holdMs.value, 2_000);
    model.setHold(90_000);
    assert.equal(model.holdMs.value, 30_000);
    model.setHold(7_400);
    assert.equal(model.holdMs.value, 7_000);
  });

  it('does not spin when 204s come back at once: it pauses first', async () => {
    server.instant204 = true;
    makeModel();
    await listen();
    await advance(100);
    assert.equal(server.polls.length, 1);
    assert.equal(model.waiting.value?.reason, 'spin-guard');
    await advance(SPIN_GUARD_MS);
    assert.equal(server.polls.length, 2);
    assert.equal(model.requests.value[1]!.waitReason, 'spin-guard');
  });

  it('resumes after a saved cursor: events sent meanwhile arrive at once, older ones never', async () => {
    server.log = [1, 2, 3, 4].map((id) => ({ id, type: 'notification', data: { text: `n${id}` }, ts: T0 }));
    server.lastId = 4;
    makeModel();
    model.resumeFrom(2);
    await listen();
    await advance(50);
    assert.deepEqual(
      model.feed.value.map((item) => item.id),
      [4, 3],
    );
    assert.equal(model.cursor.value, 4);
  });
});

describe('the lost response', () => {
  it('is recovered through the same cursor: every event once, no duplicate', async () => {
    const done = mock.fn();
    makeModel({ onExerciseComplete: done });
    await listen();
    await withTime(model.send('before'));
    assert.equal(model.cursor.value, 1);

    await withTime(model.loseNextResponse());
    assert.equal(model.faults.value.lossArmed, true);
    assert.match(model.status.value, /^Armed: the server will take the next events/);
    await withTime(model.send('lost once'), 40);

    const lost = model.requests.value.find((record) => record.outcome === 'lost')!;
    assert.ok(lost, 'the answer was lost');
    assert.equal(lost.cursor, 1);
    assert.equal(model.faults.value.lossArmed, false);
    assert.equal(model.cursor.value, 1, 'the cursor did not move: nothing arrived');
    assert.equal(model.stats.value.failed, 1);
    assert.match(
      model.status.value,
      /^Response lost: .* Retrying in 500 ms \(full jitter: random 0–1 s; 1st failure in a row\) with the same cursor 1/,
    );
    assert.equal(model.verification.value.text, 'Sent 2 · received 1 · lost 0 · duplicates dropped 0');
    assert.equal(model.exercise.value.passed, false);

    await advance(600);
    const retry = model.requests.value.find((record) => record.seq === lost.seq + 1)!;
    assert.equal(retry.cursor, 1, 'the retry sends the same cursor');
    assert.equal(retry.sentAt - lost.receivedAt!, 500, 'after the backoff');
    assert.equal(retry.outcome, 'events');
    assert.equal(retry.recovered, true);
    assert.match(model.status.value, /^Recovered 1 event through cursor 1/);
    assert.deepEqual(
      model.feed.value.map((item) => item.text),
      ['lost once', 'before'],
    );
    assert.equal(model.feed.value[0]!.recovered, true);
    assert.equal(model.stats.value.duplicates, 0);
    assert.equal(model.verification.value.text, 'Sent 2 · received 2 · lost 0 · duplicates dropped 0');
    assert.deepEqual(server.polls.map((poll) => [poll.cursor, poll.outcome]).slice(0, 4), [
      [0, '200'],
      [1, 'dropped'],
      [1, '200'],
      [2, undefined],
    ]);

    assert.equal(model.exercise.value.passed, true);
    assert.equal(model.exerciseDone.value, true);
    assert.equal(done.mock.callCount(), 1);
    await withTime(model.send('after'));
    assert.equal(done.mock.callCount(), 1, 'reported once');
  });

  it('a burst through a lost response: all five arrive, none twice', async () => {
    makeModel();
    await listen();
    await withTime(model.loseNextResponse());
    await withTime(model.sendBurst(5), 1_000);
    assert.equal(model.stats.value.lost, 1);
    assert.equal(model.verification.value.text, 'Sent 5 · received 5 · lost 0 · duplicates dropped 0');
    assert.deepEqual(
      model.feed.value.map((item) => item.id).sort((a, b) => a - b),
      [1, 2, 3, 4, 5],
    );
    assert.equal(model.exercise.value.passed, true);
  });

  it('the exercise needs a lost response…', async () => {
    makeModel();
    await listen();
    await withTime(model.sendBurst(3));
    assert.equal(model.exercise.value.allReceived, true);
    assert.equal(model.exercise.value.recovered, false);
    assert.equal(model.exercise.value.passed, false);
  });

  it('…and every notification received: one still on its way does not pass', async () => {
    makeModel();
    await listen();
    await withTime(model.loseNextResponse());
    await withTime(model.send('one'), 1_000);
    assert.equal(model.exercise.value.passed, true);
    // A fresh session: counted again from scratch.
    model.stop();
    await listen();
    server.slowMs = 2_000;
    await withTime(model.send('two'), 40);
    assert.equal(model.verification.value.pending, 1);
    assert.equal(model.exercise.value.passed, false, 'no loss in this session, one on its way');
  });

  it('an event that arrives before its 201 still counts as received', async () => {
    server.ackDelayMs = 200;
    makeModel();
    await listen();
    const sending = model.send('racing');
    await advance(50);
    assert.equal(model.feed.value.length, 1, 'the held request brought it first');
    assert.equal(model.verification.value.sent, 0, 'not acknowledged yet');
    assert.equal(model.verification.value.lost, 0);
    await withTime(sending, 250);
    assert.equal(model.publishes.value[0]!.status, 'received');
    assert.equal(model.verification.value.text, 'Sent 1 · received 1 · lost 0 · duplicates dropped 0');
  });
});

describe('duplicates and resets', () => {
  it('drops ids at or below the cursor and shows each event once', async () => {
    makeModel();
    await listen();
    await withTime(model.send('a'));
    await withTime(model.send('b'));
    server.replayOnce = true;
    await withTime(model.send('c'));
    assert.deepEqual(
      model.feed.value.map((item) => item.text),
      ['c', 'b', 'a'],
    );
    const replayed = model.requests.value.find((record) => record.duplicates > 0)!;
    assert.equal(replayed.events, 3);
    assert.equal(replayed.fresh, 1);
    assert.equal(replayed.duplicates, 2);
    assert.equal(model.stats.value.duplicates, 2);
    assert.equal(model.verification.value.text, 'Sent 3 · received 3 · lost 0 · duplicates dropped 2');
    assert.match(model.status.value, /Dropped 2 duplicates/);
  });

  it('after a server restart (ids begin again) new events are not mistaken for duplicates', async () => {
    makeModel();
    await listen();
    await withTime(model.send('old 1'));
    await withTime(model.send('old 2'));
    // The server restarts (its log is gone, ids begin again) while the reader is away.
    model.stop();
    server.restart();
    await listen();
    await advance(50);
    assert.equal(model.requests.value[0]!.reset, true);
    assert.match(model.status.value, /no longer knows cursor 2/);
    assert.equal(model.cursor.value, 0);
    await withTime(model.send('new 1'));
    assert.deepEqual(
      model.feed.value.map((item) => item.text),
      ['new 1', 'old 2', 'old 1'],
    );
    assert.equal(model.stats.value.duplicates, 0);
    assert.equal(model.verification.value.text, 'Sent 1 · received 1 · lost 0 · duplicates dropped 0');
  });
});

describe('errors and backoff', () => {
  it('server errors: backs off with full jitter on top of Retry-After, says so, then recovers', async () => {
    makeModel();
    await listen();
    await withTime(model.causeServerErrors(3));
    assert.equal(model.faults.value.serverErrors, 3);
    assert.match(model.status.value, /The request held now is not affected/);
    await withTime(model.send('wake'), 60);
    assert.equal(model.stats.value.errors, 1);
    assert.equal(
      model.status.value,
      'Server error (503): retrying in 1.5 s (full jitter: Retry-After 1 s + random 0–1 s; 1st failure in a row).',
    );
    assert.equal(model.error.value, 'A "server-errors" fault is armed; poll again with the same cursor.');
    await advance(10_000, { stepMs: 10 });
    const failed = model.requests.value.filter((record) => record.outcome === 'error');
    assert.equal(failed.length, 3);
    // random() = 0.5: Retry-After (1 s) + half of the ceiling (1 s, 2 s, 4 s).
    assert.deepEqual(
      failed.map((record) => record.retry?.delayMs),
      [1_500, 2_000, 3_000],
    );
    for (const record of failed) {
      const next = model.requests.value.find((candidate) => candidate.seq === record.seq + 1)!;
      assert.equal(next.sentAt - record.receivedAt!, record.retry!.delayMs);
      assert.equal(next.cursor, 1, 'the retry keeps the cursor');
      assert.equal(next.waitReason, 'backoff');
    }
    assert.equal(model.faults.value.serverErrors, 0);
    assert.equal(model.requests.value.at(-1)!.outcome, 'held', 'listening again');
    assert.equal(model.verification.value.text, 'Sent 1 · received 1 · lost 0 · duplicates dropped 0');
    await withTime(model.send('after'));
    assert.equal(model.error.value, null, 'an answer clears the error');
    assert.equal(model.verification.value.text, 'Sent 2 · received 2 · lost 0 · duplicates dropped 0');
  });

  it('never retries before Retry-After, even when the jitter draws 0', async () => {
    makeModel({ random: () => 0 });
    server.failures.push(new ApiError('Draining.', { status: 503, retryAfterMs: 1_000 }));
    await listen();
    await advance(100);
    assert.equal(model.requests.value[0]!.retry?.delayMs, 1_000);
    await advance(900);
    assert.equal(server.polls.length, 2);
    assert.equal(server.polls[1]!.sentAt - model.requests.value[0]!.receivedAt!, 1_000);
  });

  it('network errors: the ceiling doubles up to 10 s, and a success resets it', async () => {
    makeModel({ random: () => 0.999 });
    server.down = true;
    await listen();
    await advance(60_000, { stepMs: 50 });
    const retries = model.requests.value.filter((record) => record.outcome === 'lost').map((record) => record.retry!);
    assert.ok(retries.length >= 7);
    assert.deepEqual(
      retries.slice(0, 7).map((retry) => retry.ceilingMs),
      [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000],
    );
    assert.ok(retries.every((retry) => retry.delayMs <= BACKOFF.capMs));
    assert.match(model.status.value, /failure in a row\) with the same cursor 0/);
    server.down = false;
    await advance(10_100, { stepMs: 50 });
    assert.equal(model.requests.value.at(-1)!.outcome, 'held');
    await withTime(model.send('back'));
    assert.equal(model.error.value, null);
    server.failures.push(new ApiError(NO_ANSWER_MESSAGE));
    await withTime(model.send('wake'), 60);
    assert.match(model.status.value, /random 0–1 s; 1st failure in a row/, 'back to the first ceiling');
  });

  it('a request the server never answers is abandoned after hold + grace, then retried', async () => {
    makeModel();
    model.setHold(2_000);
    server.hang = true;
    await listen();
    await advance(2_000 + ANSWER_GRACE_MS + 50, { stepMs: 50 });
    const first = model.requests.value[0]!;
    assert.equal(first.outcome, 'lost');
    assert.match(first.error ?? '', /No answer within 17 s: the client gave up on request 1/);
    assert.match(model.status.value, /^No answer to request 1: the client gave up waiting\. Retrying in/);
    assert.equal(server.inFlight, 0, 'the abandoned request was aborted');
    server.hang = false;
    await advance(600);
    assert.equal(model.requests.value[1]!.outcome, 'held');
  });

  it('a 400 stops listening with the server’s detail', async () => {
    makeModel();
    server.failures.push(new ApiError('cursor is -1; it must be a whole number.', { status: 400 }));
    await listen();
    await advance(50);
    assert.equal(model.phase.value, 'stopped');
    assert.equal(model.error.value, 'cursor is -1; it must be a whole number.');
    const requests = server.polls.length;
    await advance(5_000, { stepMs: 50 });
    assert.equal(server.polls.length, requests);
  });

  it('a fault the server refuses shows its detail and arms nothing', async () => {
    makeModel();
    server.injectFault = async () => {
      throw new ApiError('count is 99; it must be a whole number from 1 to 10.', { status: 400 });
    };
    await model.causeServerErrors(99);
    assert.equal(model.faults.value.serverErrors, 0);
    assert.match(model.error.value ?? '', /count is 99/);
  });
});

describe('slow network', () => {
  it('turns the server’s slow fault on for its longest duration, unticks itself when it ends', async () => {
    makeModel();
    await withTime(model.setSlow(true));
    assert.deepEqual(server.faultRequests.at(-1), { type: 'slow', delayMs: SLOW.delayMs, durationMs: SLOW.durationMs });
    assert.equal(model.faults.value.slow, true);
    await listen();
    await withTime(model.send('slow one'), 40);
    assert.equal(model.feed.value.length, 0, 'the answer is on its way, late');
    await advance(2_100);
    assert.equal(model.feed.value.length, 1);
    assert.ok(model.requests.value[0]!.receivedAt! - model.requests.value[0]!.sentAt >= 2_000);
    await advance(SLOW.durationMs, { stepMs: 1_000 });
    assert.equal(model.faults.value.slow, false);
    assert.match(model.status.value, /^Slow network ended/);
  });

  it('turning it off sends delayMs 0', async () => {
    makeModel();
    await withTime(model.setSlow(true));
    await withTime(model.setSlow(false));
    assert.deepEqual(server.faultRequests.at(-1), { type: 'slow', delayMs: 0, durationMs: 1_000 });
    assert.equal(model.faults.value.slow, false);
  });
});

describe('stopping and cleaning up', () => {
  it('stop() aborts the held request and sends nothing more', async () => {
    makeModel();
    await listen();
    await advance(500);
    model.stop();
    await settle();
    assert.equal(server.inFlight, 0, 'the held request was aborted');
    assert.equal(model.requests.value[0]!.outcome, 'cancelled');
    assert.equal(model.phase.value, 'stopped');
    assert.match(model.status.value, /^Stopped listening: the held request was aborted/);
    await advance(30_000, { stepMs: 100 });
    assert.equal(server.polls.length, 1);
  });

  it('stop() during a backoff calls the retry off', async () => {
    makeModel();
    server.down = true;
    await listen();
    await advance(50);
    assert.equal(model.waiting.value?.reason, 'backoff');
    model.stop();
    assert.equal(model.waiting.value, null);
    assert.match(model.status.value, /pending retry was called off/);
    await advance(20_000, { stepMs: 100 });
    assert.equal(server.polls.length, 1);
  });

  it('stop() during a backoff clears the failure it was retrying, while the fault stays armed', async () => {
    makeModel();
    await listen();
    await withTime(model.causeServerErrors(3));
    await withTime(model.send('wake'), 60);
    assert.equal(model.error.value, 'A "server-errors" fault is armed; poll again with the same cursor.');
    model.stop();
    assert.equal(model.error.value, null, 'no retry is coming: the red error box must not stay');
    assert.equal(model.faults.value.serverErrors, 2, 'the rest of the fault still waits on the server');
  });

  it('start() after stop() keeps the cursor and restarts the counters', async () => {
    makeModel();
    await listen();
    await withTime(model.send('x'));
    model.stop();
    await withTime(model.send('ignored'));
    assert.match(model.error.value ?? '', /Start listening first/);
    await listen();
    assert.equal(model.stats.value.requests, 1);
    assert.equal(model.requests.value[0]!.cursor, 1);
    assert.equal(model.verification.value.sent, 0);
    assert.equal(model.feed.value.length, 1, 'the feed stays');
  });

  it('dispose() aborts the request and clears every timer', async () => {
    makeModel();
    await withTime(model.setSlow(true));
    server.down = true;
    await listen();
    await advance(50);
    model.dispose();
    await settle();
    assert.equal(server.inFlight, 0);
    const polls = server.polls.length;
    const status = model.status.value;
    await advance(SLOW.durationMs + 1_000, { stepMs: 1_000 });
    assert.equal(server.polls.length, polls, 'no retry');
    assert.equal(model.status.value, status, 'no slow-network expiry either');
  });
});

describe('full jitter', () => {
  it('draws below a doubling ceiling, capped, on top of Retry-After', () => {
    const policy = { baseMs: 1_000, capMs: 10_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 50].map((failures) => backoffCeiling(failures, policy)),
      [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000],
    );
    assert.deepEqual(
      fullJitterBackoff(3, policy, () => 0.25),
      { delayMs: 1_000, ceilingMs: 4_000, retryAfterMs: 0 },
    );
    assert.deepEqual(
      fullJitterBackoff(1, policy, () => 0, 1_000),
      { delayMs: 1_000, ceilingMs: 1_000, retryAfterMs: 1_000 },
    );
    assert.equal(fullJitterBackoff(2, policy, () => 0.5, 3_000).delayMs, 4_000);
    const draws = Array.from({ length: 200 }, () => fullJitterBackoff(4, policy).delayMs);
    assert.ok(draws.every((delay) => delay >= 0 && delay <= 8_000));
    assert.ok(new Set(draws).size > 50, 'spread out');
  });
});

describe('the sentences', () => {
  it('describes a retry after a server error and after a lost answer', () => {
    const retry = { delayMs: 1_300, ceilingMs: 2_000, retryAfterMs: 0 };
    assert.equal(
      describeRetry({ seq: 4, status: 503, abandoned: false, cursor: 7, retry, failures: 2 }),
      'Server error (503): retrying in 1.3 s (full jitter: random 0–2 s; 2nd failure in a row).',
    );
    assert.equal(
      describeRetry({
        seq: 4,
        status: null,
        abandoned: false,
        cursor: 7,
        retry: { delayMs: 420, ceilingMs: 1_000, retryAfterMs: 0 },
        failures: 1,
      }),
      'Response lost: the connection closed before the answer arrived. Retrying in 420 ms (full jitter: random 0–1 s; 1st failure in a row) with the same cursor 7, so nothing is skipped.',
    );
  });

  it('explains the idle and stopped states', () => {
    const stats = { ...EMPTY_STATS, requests: 5, answered: 2, timeouts: 2, lost: 1, failed: 1, received: 4 };
    assert.equal(
      describeNow({ phase: 'idle', requests: [], waiting: null, holdMs: 10_000, cursor: 3, stats }),
      'Press “Start listening”: the client asks for the events after cursor 3, and the server holds the request until one arrives, or for 10 s.',
    );
    assert.equal(
      describeNow({ phase: 'stopped', requests: [], waiting: null, holdMs: 10_000, cursor: 3, stats }),
      'Stopped after 5 requests: 2 answered with events, 2 timed out (204), 1 lost or failed; 4 events received, 0 duplicates dropped.',
    );
  });

  it('numbers the notifications', () => {
    assert.equal(notificationText(1), '#1 Ada commented on your draft');
    assert.match(notificationText(9), /^#9 Ada/);
  });
});
