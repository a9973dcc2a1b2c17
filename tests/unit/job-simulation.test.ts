import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { JOB_LIMITS, type Job } from '../../src/protocol/jobs.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';
import { JobSimulation, TooManyJobsError, type JobPlan } from '../../server/jobs/job-simulation.ts';
import { advance, type Steps } from './support/fake-time.ts';

const START = 1_700_000_000_000;
/** Every delay of a job is a multiple of 10 ms, and its timers await nothing: time moves in 10 ms steps, with nothing to settle. */
const JOB_STEPS: Steps = { stepMs: 10, settleTurns: 0 };
const plan = (overrides: Partial<JobPlan> = {}): JobPlan => ({
  channel: 'room',
  durationMs: 10_000,
  outcome: 'succeeded',
  ...overrides,
});

describe('JobSimulation', () => {
  let bus: InMemoryEventBus;
  let jobs: JobSimulation;
  /** Every `job` event published on `room`, in order. */
  let published: Job[];

  beforeEach(() => {
    // Fake setTimeout and Date: the whole life of a job runs in microseconds.
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: START });
    bus = new InMemoryEventBus();
    jobs = new JobSimulation({ bus });
    published = [];
    bus.subscribe('room', (event: ChannelEvent) => {
      if (event.type === 'job') published.push(event.data as Job);
    });
  });

  afterEach(() => {
    jobs.close();
    mock.timers.reset();
  });

  it('starts queued at version 1 and publishes that state on its channel', () => {
    const job = jobs.start(plan());

    assert.match(job.id, /^[A-Za-z0-9_-]{12}$/);
    assert.deepEqual(job, {
      id: job.id,
      channel: 'room',
      state: 'queued',
      progress: 0,
      note: null,
      version: 1,
      createdAt: START,
      updatedAt: START,
    });
    assert.deepEqual(published, [job]);
  });

  it('runs after queuedMs, rises by 10 % every tenth of its duration, then succeeds at 100 %', async () => {
    const { id } = jobs.start(plan({ durationMs: 10_000 }));

    await advance(JOB_LIMITS.queuedMs, JOB_STEPS);
    assert.equal(jobs.get(id)?.state, 'running');
    assert.equal(jobs.get(id)?.progress, 0);

    await advance(1_000, JOB_STEPS);
    assert.equal(jobs.get(id)?.progress, 10);
    assert.equal(jobs.get(id)?.updatedAt, START + JOB_LIMITS.queuedMs + 1_000);

    await advance(8_000, JOB_STEPS);
    assert.equal(jobs.get(id)?.progress, 90);
    assert.equal(jobs.get(id)?.state, 'running');

    await advance(1_000, JOB_STEPS);
    assert.equal(jobs.get(id)?.state, 'succeeded');
    assert.equal(jobs.get(id)?.progress, 100);

    // queued, running 0, 10…90, succeeded: each change one version, each one published.
    assert.deepEqual(
      published.map((job) => job.version),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    );
    assert.deepEqual(
      published.map((job) => job.progress),
      [0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
    );
  });

  it('fails at the end when asked to, without reaching 100 %', async () => {
    const { id } = jobs.start(plan({ outcome: 'failed' }));

    await advance(JOB_LIMITS.queuedMs + 10_000, JOB_STEPS);

    assert.equal(jobs.get(id)?.state, 'failed');
    assert.equal(jobs.get(id)?.progress, 90);
  });

  it('takes a note published on its channel while unfinished', async () => {
    const { id } = jobs.start(plan());
    const other = jobs.start(plan({ channel: 'elsewhere' }));

    await bus.publish('room', 'note', { text: 'hello' });

    const job = jobs.get(id);
    assert.equal(job?.note, 'hello');
    assert.equal(job?.version, 2);
    assert.equal(published.at(-1)?.note, 'hello');
    assert.equal(jobs.get(other.id)?.note, null);
  });

  it('ignores the same note twice, malformed notes and other event types', async () => {
    const { id } = jobs.start(plan());
    await bus.publish('room', 'note', { text: 'same' });

    await bus.publish('room', 'note', { text: 'same' });
    await bus.publish('room', 'note', { words: 'no text member' });
    await bus.publish('room', 'note', { text: 'x'.repeat(JOB_LIMITS.maxNoteLength + 1) });
    await bus.publish('room', 'chat', { text: 'not a note' });

    assert.equal(jobs.get(id)?.note, 'same');
    assert.equal(jobs.get(id)?.version, 2);
  });

  it('stops listening to its channel once finished', async () => {
    const { id } = jobs.start(plan());
    assert.equal(bus.listenerCount('room'), 2); // the test's and the simulation's

    await advance(JOB_LIMITS.queuedMs + 10_000, JOB_STEPS);
    await bus.publish('room', 'note', { text: 'too late' });

    assert.equal(jobs.get(id)?.note, null);
    assert.equal(bus.listenerCount('room'), 1);
  });

  it('forgets a finished job after retainMs', async () => {
    const { id } = jobs.start(plan());
    await advance(JOB_LIMITS.queuedMs + 10_000, JOB_STEPS);

    await advance(JOB_LIMITS.retainMs - 1, JOB_STEPS);
    assert.ok(jobs.get(id));
    await advance(1, JOB_STEPS);
    assert.equal(jobs.get(id), undefined);
    assert.equal(jobs.size, 0);
  });

  it('makes room by dropping the oldest finished job', async () => {
    jobs = new JobSimulation({ bus, limits: { maxJobs: 2 } });
    const first = jobs.start(plan({ durationMs: 1_000 }));
    const second = jobs.start(plan({ durationMs: 60_000 }));
    await advance(JOB_LIMITS.queuedMs + 1_000, JOB_STEPS);

    const third = jobs.start(plan());

    assert.equal(jobs.get(first.id), undefined);
    assert.ok(jobs.get(second.id));
    assert.ok(jobs.get(third.id));
  });

  it('refuses a job when every slot is unfinished, saying when one should finish', async () => {
    jobs = new JobSimulation({ bus, limits: { maxJobs: 2 } });
    jobs.start(plan({ durationMs: 20_000 }));
    jobs.start(plan({ durationMs: 5_000 }));
    await advance(1_500, JOB_STEPS);

    assert.throws(
      () => jobs.start(plan()),
      (error) => error instanceof TooManyJobsError && error.retryAfterSeconds === 5, // 1 s queued + 5 s − 1.5 s = 4.5 s → 5
    );
  });

  it('stops every timer and subscription on close', async () => {
    const { id } = jobs.start(plan());
    const before = published.length;

    jobs.close();
    await advance(JOB_LIMITS.queuedMs + JOB_LIMITS.maxDurationMs + JOB_LIMITS.retainMs, JOB_STEPS);

    assert.equal(published.length, before);
    assert.equal(jobs.get(id), undefined);
    assert.equal(bus.listenerCount('room'), 1); // only the test's own listener is left
    assert.throws(() => jobs.start(plan()));
  });

  it('hands out snapshots that later changes do not alter', async () => {
    const job = jobs.start(plan());
    await advance(JOB_LIMITS.queuedMs, JOB_STEPS);

    assert.equal(job.state, 'queued');
    assert.equal(jobs.get(job.id)?.state, 'running');
  });
});
