import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { isTerminal, type Job } from '../../../src/protocol/jobs.ts';
import type { StartJobRequest } from '../../../src/protocol/request-bodies.ts';
import { ApiError, type PollResult, type ShortPollingClient } from '../../../src/widgets/short-polling/client.ts';
import { describeNumbers } from '../../../src/widgets/short-polling/describe.ts';
import {
  createShortPollingModel,
  type ShortPollingModel,
  type ShortPollingModelOptions,
} from '../../../src/widgets/short-polling/model.ts';
import { EXERCISE, INTERVAL, REQUEST_TIMEOUT_MS } from '../../../src/widgets/short-polling/settings.ts';
import { advance } from '../support/fake-time.ts';

/**
 * A fake companion server behind a fake client, on node:test's mocked
 * setTimeout and Date. The job follows the real simulation's script: queued
 * for 1 s, then running with +10 % every durationMs / 10, then terminal.
 * Every change bumps the version; a note changes an unfinished job.
 */
class FakeJobServer implements ShortPollingClient {
  /** Round trip of every request, split evenly there and back. */
  roundTripMs = 20;
  /** Server clock − client clock. */
  serverAheadMs = 0;
  /** Answers the next polls with these failures instead (consumed one by one). */
  failures: Error[] = [];
  /** When set, polls never answer (until aborted). */
  hang = false;
  readonly polls: { sentAt: number; ifNoneMatch: string | null; status: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  outcome: 'succeeded' | 'failed' = 'succeeded';
  /** Changes as [client time, change]; the job is their sum up to "now". */
  #changes: { at: number; change: Partial<Job> }[] = [];
  #base: Job | null = null;
  startFailure: Error | null = null;

  serverNow(): number {
    return Date.now() + this.serverAheadMs;
  }

  jobAt(clientTime: number): Job {
    let job = { ...this.#base! };
    for (const { at, change } of this.#changes) {
      if (at > clientTime) break;
      job = { ...job, ...change, version: job.version + 1, updatedAt: at + this.serverAheadMs };
    }
    return job;
  }

  /** Client times at which the job changed (version 1 = creation). */
  changeTimes(): number[] {
    return [this.#base!.createdAt - this.serverAheadMs, ...this.#changes.map((c) => c.at)];
  }

  finishedAt(): number {
    return this.#changes.at(-1)!.at;
  }

  async startJob(request: StartJobRequest) {
    await sleep(this.roundTripMs / 2);
    if (this.startFailure) throw this.startFailure;
    const now = Date.now();
    const durationMs = request.durationMs ?? 12_000;
    this.#base = {
      id: 'job1',
      channel: request.channel ?? 'sp-server01',
      state: 'queued',
      progress: 0,
      note: null,
      version: 1,
      createdAt: now + this.serverAheadMs,
      updatedAt: now + this.serverAheadMs,
    };
    const step = durationMs / 10;
    this.#changes = [{ at: now + 1000, change: { state: 'running', progress: 0 } }];
    for (let i = 1; i < 10; i++) this.#changes.push({ at: now + 1000 + i * step, change: { progress: i * 10 } });
    this.#changes.push({
      at: now + 1000 + 10 * step,
      change: this.outcome === 'succeeded' ? { state: 'succeeded', progress: 100 } : { state: 'failed' },
    });
    await sleep(this.roundTripMs / 2);
    return { id: 'job1', channel: this.#base.channel };
  }

  async pollJob(id: string, etag?: string | null, signal?: AbortSignal): Promise<PollResult> {
    assert.equal(id, 'job1');
    const sentAt = Date.now();
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.hang) {
        await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
      }
      await sleep(this.roundTripMs / 2);
      const failure = this.failures.shift();
      const job = this.jobAt(Date.now());
      const current = `"job1.${job.version}"`;
      const serverTime = this.serverNow();
      const status = failure ? ((failure as ApiError).status ?? 0) : etag === current ? 304 : 200;
      this.polls.push({ sentAt, ifNoneMatch: etag ?? null, status });
      await sleep(this.roundTripMs / 2);
      if (failure) throw failure;
      const body = status === 200 ? JSON.stringify(job) : '';
      return {
        status: status as 200 | 304,
        job: status === 200 ? job : undefined,
        etag: current,
        serverTime,
        bytes: 300 + body.length,
        bodyBytes: body.length,
        sentAt,
        receivedAt: Date.now(),
      };
    } finally {
      this.inFlight--;
    }
  }

  async publishNote(channel: string, text: string) {
    await sleep(this.roundTripMs / 2);
    const now = Date.now();
    const job = this.jobAt(now);
    // Like the real simulation: only unfinished jobs take notes, and an equal note changes nothing.
    if (!isTerminal(job.state) && job.note !== text) {
      this.#changes.push({ at: now, change: { note: text } });
      this.#changes.sort((a, b) => a.at - b.at);
    }
    await sleep(this.roundTripMs / 2);
    return { id: 1, ts: now + this.serverAheadMs };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const T0 = 1_800_000_000_000;
let server: FakeJobServer;
let model: ShortPollingModel;

function makeModel(options: ShortPollingModelOptions = {}): ShortPollingModel {
  model = createShortPollingModel(server, undefined, { durationMs: 10_000, random: () => 0.5, ...options });
  model.channel.value = 'sp-test0001';
  return model;
}

/** Starts a job and lets the first poll land. */
async function startJob(): Promise<void> {
  const started = model.start();
  await advance(server.roundTripMs * 2 + 5);
  await started;
}

beforeEach(() => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
  server = new FakeJobServer();
});

afterEach(() => {
  model?.dispose();
  mock.timers.reset();
});

describe('the poll loop', () => {
  it('polls at the interval the reader set, waiting for each answer before the next request', async () => {
    makeModel();
    model.setInterval(500);
    server.roundTripMs = 300; // slower than the interval: a setInterval would overlap requests
    await startJob();
    await advance(5_000);
    assert.equal(server.maxInFlight, 1, 'never two requests at once');
    const polls = model.polls.value;
    assert.ok(polls.length >= 5);
    for (let i = 1; i < polls.length; i++) {
      assert.equal(polls[i]!.sentAt - polls[i - 1]!.receivedAt, 500, 'the interval starts when the answer arrives');
    }
  });

  it('stops at the terminal state and says so', async () => {
    makeModel();
    await startJob();
    await advance(12_000);
    assert.equal(model.phase.value, 'finished');
    assert.equal(model.job.value?.state, 'succeeded');
    assert.match(model.status.value, /^Polling stopped: the job succeeded/);
    const requests = server.polls.length;
    await advance(5_000);
    assert.equal(server.polls.length, requests, 'no request after the job finished');
    assert.equal(model.nextPollAt.value, null);
  });

  it('stops at "failed" too', async () => {
    server.outcome = 'failed';
    makeModel();
    await startJob();
    await advance(12_000);
    assert.equal(model.job.value?.state, 'failed');
    assert.match(model.status.value, /^Polling stopped: the job failed/);
  });

  it('reschedules the waiting poll when the reader moves the slider', async () => {
    makeModel();
    model.setInterval(10_000);
    await startJob();
    const first = model.polls.value[0]!;
    await advance(1_000);
    assert.equal(server.polls.length, 1);
    model.setInterval(2_000);
    await advance(1_100);
    assert.equal(server.polls.length, 2, 'the next poll came 2 s after the answer, not 10 s');
    assert.equal(model.polls.value[1]!.sentAt - first.receivedAt, 2_000);
  });

  it('clamps the interval to 250 ms – 10 s in 250 ms steps', () => {
    makeModel();
    model.setInterval(10);
    assert.equal(model.intervalMs.value, INTERVAL.min);
    model.setInterval(60_000);
    assert.equal(model.intervalMs.value, INTERVAL.max);
    model.setInterval(1_130);
    assert.equal(model.intervalMs.value, 1_250);
  });

  it('stop() ends polling and leaves no timer behind', async () => {
    makeModel();
    await startJob();
    await advance(2_500);
    model.stop();
    assert.equal(model.phase.value, 'stopped');
    assert.match(model.status.value, /keeps running on the server/);
    const requests = server.polls.length;
    await advance(10_000);
    assert.equal(server.polls.length, requests);
  });

  it('reset() clears the counters and the timeline', async () => {
    makeModel();
    await startJob();
    await advance(3_000);
    model.reset();
    assert.equal(model.phase.value, 'idle');
    assert.equal(model.polls.value.length, 0);
    assert.equal(model.stats.value.requests, 0);
    assert.equal(model.job.value, null);
  });

  it('a new job replaces the current run, and answers for the old one are dropped', async () => {
    makeModel();
    server.roundTripMs = 200;
    await startJob();
    await advance(1_050); // a poll is in flight now
    const restarted = model.start();
    await advance(500);
    await restarted;
    assert.equal(model.polls.value[0]!.seq, 1);
    assert.equal(
      model.polls.value.every((poll) => poll.sentAt >= T0 + 1_250),
      true,
    );
  });

  it('dispose() clears the pending timer', async () => {
    makeModel();
    await startJob();
    model.dispose();
    const requests = server.polls.length;
    await advance(5_000);
    assert.equal(server.polls.length, requests);
  });

  it('pauses while the tab is hidden and polls at once when it is back', async () => {
    makeModel();
    await startJob();
    model.setPageVisible(false);
    assert.equal(model.paused.value, true);
    const requests = server.polls.length;
    await advance(5_000);
    assert.equal(server.polls.length, requests, 'no poll while hidden');
    model.setPageVisible(true);
    await advance(50);
    assert.equal(server.polls.length, requests + 1, 'catches up at once');
  });
});

describe('counting answers', () => {
  it('without ETag, an unchanged job comes back as "200 nothing changed" with its whole body', async () => {
    makeModel();
    model.setInterval(250);
    await startJob();
    await advance(3_000);
    const stats = model.stats.value;
    assert.ok(stats.unchanged > 0);
    assert.equal(stats.notModified, 0);
    assert.equal(
      server.polls.every((poll) => poll.ifNoneMatch === null),
      true,
    );
    assert.ok(stats.repeatedBodyBytes > 0);
    assert.equal(stats.requests, stats.changed + stats.unchanged + stats.notModified + stats.errors);
  });

  it('with ETag, it sends If-None-Match with the last ETag and counts 304s', async () => {
    makeModel();
    model.useEtag.value = true;
    model.setInterval(250);
    await startJob();
    await advance(3_000);
    const stats = model.stats.value;
    assert.equal(stats.unchanged, 0);
    assert.ok(stats.notModified > 0);
    assert.equal(server.polls[0]!.ifNoneMatch, null, 'nothing to validate on the first poll');
    assert.match(server.polls.at(-1)!.ifNoneMatch ?? '', /^"job1\.\d+"$/);
    assert.equal(stats.repeatedBodyBytes, 0);
    assert.ok(stats.bytes < stats.requests * 450);
  });

  it('turning ETag on mid-run turns the next "nothing changed" into a 304', async () => {
    makeModel();
    model.setInterval(250);
    await startJob();
    await advance(1_500);
    assert.equal(model.stats.value.notModified, 0);
    model.useEtag.value = true;
    await advance(1_000);
    assert.ok(model.stats.value.notModified >= 1);
  });

  it('counts versions that came and went between two polls', async () => {
    makeModel();
    model.setInterval(3_000); // progress steps every 1 s
    await startJob();
    await advance(7_000);
    assert.ok(model.stats.value.missedVersions >= 2);
  });

  it('adds up bytes and bodies of every answer', async () => {
    makeModel();
    await startJob();
    await advance(2_000);
    const answers = model.polls.value.filter((poll) => poll.outcome !== 'error');
    assert.equal(
      model.stats.value.bytes,
      answers.reduce((sum, poll) => sum + poll.bytes, 0),
    );
    assert.equal(
      model.stats.value.bodyBytes,
      answers.reduce((sum, poll) => sum + poll.bodyBytes, 0),
    );
  });
});

describe('staleness', () => {
  it('measures how long after the server changed the job the reader saw it, despite a skewed server clock', async () => {
    server.serverAheadMs = 3_600_000; // the server's clock is an hour ahead
    server.roundTripMs = 40;
    makeModel();
    model.setInterval(1_000);
    await startJob();
    await advance(12_000);
    const changes = server.changeTimes();
    for (const poll of model.polls.value.filter((p) => p.outcome === 'changed')) {
      // The truth: the change the poll revealed happened at the latest change time before the server read the job.
      const readAt = poll.sentAt + server.roundTripMs / 2;
      const truth = changes.filter((at) => at <= readAt).at(-1)!;
      const expected = poll.receivedAt - truth;
      assert.ok(Math.abs(poll.stalenessMs! - expected) <= server.roundTripMs / 2, `${poll.stalenessMs} vs ${expected}`);
      assert.ok(poll.stalenessMs! <= 1_000 + 1.5 * server.roundTripMs + 1);
    }
    const steps = model.stats.value.steps!;
    assert.ok(steps.avgMs > 0 && steps.avgMs <= steps.maxMs);
  });

  it('the finish is seen at most one interval (plus the round trip) after it happened', async () => {
    makeModel();
    model.setInterval(2_000);
    await startJob();
    await advance(14_000);
    const last = model.polls.value.at(-1)!;
    assert.equal(last.state, 'succeeded');
    assert.equal(last.stalenessMs, last.receivedAt - server.finishedAt());
    assert.ok(last.stalenessMs! <= 2_000 + 30);
  });
});

describe('publishing a change', () => {
  it('shows the note and how long it waited for the next poll', async () => {
    makeModel();
    model.setInterval(2_000);
    await startJob();
    await advance(300);
    const published = model.publish('Hello from the test');
    await advance(30);
    await published;
    assert.equal(model.publishes.value[0]!.status, 'pending');
    await advance(2_000);
    const entry = model.publishes.value[0]!;
    assert.equal(entry.status, 'seen');
    assert.equal(model.job.value?.note, 'Hello from the test');
    // Published at ≈ T0 + 340 ms, seen by the poll sent 2 s after the first answer.
    assert.ok(entry.stalenessMs! > 1_500 && entry.stalenessMs! < 2_000, String(entry.stalenessMs));
    assert.match(model.status.value, /saw your change .* after the server made it/);
  });

  it('keeps the staleness of the reader’s changes apart from the job’s own steps', async () => {
    makeModel();
    model.setInterval(2_000);
    await startJob();
    await advance(300);
    const published = model.publish('Hello from the test');
    await advance(30);
    await published;
    await advance(2_000);
    const entry = model.publishes.value[0]!;
    const stats = model.stats.value;
    assert.deepEqual(stats.notes, { count: 1, avgMs: entry.stalenessMs, maxMs: entry.stalenessMs });
    // The poll that showed the note measured the note: it is not a job step.
    const stepPolls = model.polls.value.filter((poll) => poll.stalenessMs !== null && poll.seq !== entry.seenBy);
    assert.equal(stats.steps?.count, stepPolls.length);
    assert.ok(stepPolls.length > 0);
  });

  it('a note published twice between polls: the first is overwritten before anyone saw it', async () => {
    makeModel();
    model.setInterval(3_000);
    await startJob();
    for (const text of ['one', 'two']) {
      const published = model.publish(text);
      await advance(30);
      await published;
    }
    await advance(3_000);
    assert.deepEqual(
      model.publishes.value.map((p) => p.status),
      ['overwritten', 'seen'],
    );
  });

  it('refuses to publish without a running job, and rejects an empty note, without throwing', async () => {
    makeModel();
    await model.publish('too early');
    assert.match(model.error.value ?? '', /Start a job first/);
    await startJob();
    await model.publish('   ');
    assert.match(model.error.value ?? '', /1 to 280 characters/);
  });

  it('a failed publish shows the server’s detail', async () => {
    makeModel();
    await startJob();
    server.publishNote = async () => {
      throw new ApiError('A "note" event needs data {"text": string} of at most 280 characters.', { status: 400 });
    };
    await model.publish('x');
    assert.equal(model.publishes.value[0]!.status, 'failed');
    assert.match(model.error.value ?? '', /at most 280 characters/);
  });
});

describe('errors', () => {
  it('a 503 is counted, shown with its detail, and retried with backoff; success clears it', async () => {
    makeModel();
    await startJob();
    const overloaded = new ApiError('All job slots are taken.', { status: 503, retryAfterMs: 3_000 });
    server.failures.push(overloaded, overloaded);
    await advance(1_100);
    assert.equal(model.stats.value.errors, 1);
    assert.equal(model.error.value, 'All job slots are taken.');
    assert.equal(model.phase.value, 'polling');
    assert.equal(model.nextPollAt.value! - model.polls.value.at(-1)!.receivedAt, 3_000, 'honours Retry-After');
    await advance(3_100);
    assert.equal(model.stats.value.errors, 2);
    assert.match(model.status.value, /backing off after 2 failures in a row/);
    await advance(4_100);
    assert.equal(model.error.value, null);
    assert.equal(model.polls.value.at(-1)!.outcome === 'error', false);
  });

  it('a 404 stops polling: the job is gone', async () => {
    makeModel();
    await startJob();
    server.failures.push(new ApiError('No job has the id "job1".', { status: 404 }));
    await advance(1_100);
    assert.equal(model.phase.value, 'stopped');
    assert.match(model.status.value, /no longer knows this job/);
    const requests = server.polls.length;
    await advance(5_000);
    assert.equal(server.polls.length, requests);
  });

  it('a poll that never answers is abandoned after the timeout and retried', async () => {
    makeModel({ durationMs: 60_000 });
    await startJob();
    server.hang = true;
    await advance(1_000 + REQUEST_TIMEOUT_MS + 50, { stepMs: 50 });
    assert.equal(model.stats.value.errors, 1);
    assert.match(model.error.value ?? '', /No answer within 10 s/);
    assert.equal(model.inFlight.value, false);
    server.hang = false;
    await advance(1_100);
    assert.equal(model.phase.value, 'polling');
  });

  it('a job that cannot start explains why', async () => {
    server.startFailure = new ApiError('All job slots are taken by unfinished jobs.', { status: 503 });
    makeModel();
    await startJob();
    assert.equal(model.phase.value, 'idle');
    assert.match(model.error.value ?? '', /All job slots/);
  });
});

describe('the exercise', () => {
  async function runToTheEnd(intervalMs: number, etag: boolean, options: ShortPollingModelOptions = {}) {
    makeModel({ durationMs: 20_000, ...options });
    model.setInterval(intervalMs);
    model.useEtag.value = etag;
    await startJob();
    await advance(23_000, { stepMs: 10 });
    assert.equal(model.phase.value, 'finished');
    return model.exercise.value;
  }

  it('passes with a short interval and ETag on, once', async () => {
    const done = mock.fn();
    const check = await runToTheEnd(250, true, { onExerciseComplete: done });
    assert.equal(check.passed, true);
    assert.ok(check.finishStalenessMs! <= check.finishWorstCaseMs!);
    assert.ok(check.finishWorstCaseMs! <= EXERCISE.maxFinishWorstCaseMs);
    assert.equal(check.repeatedBodyBytes, 0);
    assert.equal(done.mock.callCount(), 1);
    assert.equal(model.exerciseDone.value, true);
  });

  it('fails on bytes with a short interval alone', async () => {
    const check = await runToTheEnd(250, false);
    assert.equal(check.finishOk, true);
    assert.equal(check.bytesOk, false);
    assert.equal(check.passed, false);
  });

  it('fails on bytes with the default interval and ETag off', async () => {
    const check = await runToTheEnd(INTERVAL.initial, false);
    assert.equal(check.bytesOk, false);
  });

  it('is too slow with ETag alone, even when this run happened to catch the finish early', async () => {
    // Polls answered at 40 ms + k × 1020 ms; the finish at 21 010 ms is caught
    // by the one read at 21 450 ms, 460 ms late, but it could have waited ~1 s.
    const check = await runToTheEnd(1_000, true);
    assert.equal(check.bytesOk, true);
    assert.ok(check.finishWorstCaseMs! >= 1_000, String(check.finishWorstCaseMs));
    assert.equal(check.finishOk, false);
  });

  it('is too slow at 500 ms, whatever the luck', async () => {
    const check = await runToTheEnd(500, true);
    assert.ok(check.finishWorstCaseMs! > EXERCISE.maxFinishWorstCaseMs);
    assert.equal(check.passed, false);
  });

  it('the worst case bounds every observed staleness', async () => {
    await runToTheEnd(750, false);
    for (const poll of model.polls.value.filter((p) => p.outcome === 'changed')) {
      assert.ok(poll.worstCaseMs! >= poll.stalenessMs!);
      assert.ok(poll.worstCaseMs! <= 750 + 1.5 * server.roundTripMs + 1, String(poll.worstCaseMs));
    }
  });

  it('does not count a run the reader stopped', async () => {
    makeModel({ durationMs: 20_000 });
    model.setInterval(250);
    model.useEtag.value = true;
    await startJob();
    await advance(5_000);
    model.stop();
    assert.equal(model.exercise.value.passed, false);
    assert.equal(model.exercise.value.finished, false);
  });
});

describe('the live sentence', () => {
  it('explains interval, staleness and empty answers', () => {
    const sentence = describeNumbers(
      'polling',
      {
        requests: 18,
        changed: 4,
        unchanged: 0,
        notModified: 14,
        errors: 0,
        bytes: 6000,
        bodyBytes: 600,
        repeatedBodyBytes: 0,
        steps: { count: 3, avgMs: 1_000, maxMs: 1_900 },
        notes: { count: 1, avgMs: 800, maxMs: 800 },
        missedVersions: 0,
        avgRoundTripMs: 3,
      },
      2_000,
      null,
    );
    assert.equal(
      sentence,
      "Polling every 2 s: you see the job's steps 1 s late on average (worst 1.9 s); your changes 800 ms late (half the interval is 1 s); 14 of 18 requests found nothing new, all as body-less 304s.",
    );
  });
});
