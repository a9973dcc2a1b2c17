import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { Job } from '../../src/protocol/jobs.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';
import { JobSimulation, type JobSnapshot, type JobStore } from '../../server/jobs/job-simulation.ts';
import { settle } from './support/fake-time.ts';

const START = 1_700_000_000_000;

/** A store that keeps every snapshot it is given, and refuses once told another instance took the job. */
function recordingStore(): JobStore & { saved: JobSnapshot[]; released: string[]; refuse: boolean } {
  const store = {
    saved: [] as JobSnapshot[],
    released: [] as string[],
    refuse: false,
    save: async (snapshot: JobSnapshot) => {
      if (store.refuse) return false;
      store.saved.push(snapshot);
      return true;
    },
    release: (ids: string[]) => store.released.push(...ids),
  };
  return store;
}

describe('JobSimulation with a store (several instances)', () => {
  let bus: InMemoryEventBus;
  let store: ReturnType<typeof recordingStore>;
  let jobs: JobSimulation;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: START });
    bus = new InMemoryEventBus();
    store = recordingStore();
    jobs = new JobSimulation({ bus, store, limits: { queuedMs: 1_000 } });
  });

  afterEach(() => {
    jobs.close();
    mock.timers.reset();
  });

  it('saves each change with the time its next change is due, before publishing it', async () => {
    const published: Job[] = [];
    bus.subscribe('room', (event) => published.push(event.data as Job));
    const job = jobs.start({ channel: 'room', durationMs: 10_000, outcome: 'succeeded' });
    assert.deepEqual(published, [], 'not published before it is saved');
    await jobs.settled(job.id);

    assert.deepEqual(store.saved, [
      { job, plan: { channel: 'room', durationMs: 10_000, outcome: 'succeeded' }, nextChangeAt: START + 1_000 },
    ]);
    assert.deepEqual(published, [job]);
  });

  it('takes over an abandoned job where it stopped, keeping its versions', async () => {
    const plan = { channel: 'room', durationMs: 10_000, outcome: 'succeeded' } as const;
    const job: Job = {
      id: 'AAAAAAAAAAAA',
      channel: 'room',
      state: 'running',
      progress: 80,
      note: null,
      version: 10,
      createdAt: START - 9_000,
      updatedAt: START - 1_000,
    };
    jobs.adopt({ job, plan, nextChangeAt: START - 500 }); // overdue: its instance died

    mock.timers.tick(0);
    await settle();
    assert.equal(jobs.get(job.id)?.progress, 90);
    mock.timers.tick(1_000);
    await settle();

    assert.deepEqual(
      store.saved.map((saved) => [saved.job.version, saved.job.state, saved.job.progress]),
      [
        [11, 'running', 90],
        [12, 'succeeded', 100],
      ],
    );
    assert.equal(store.saved.at(-1)?.nextChangeAt, undefined, 'finished: nothing more to hold');
  });

  it('drops a job another instance took over, and hands back the rest on close', async () => {
    const taken = jobs.start({ channel: 'room', durationMs: 10_000, outcome: 'succeeded' });
    await settle();

    store.refuse = true; // its next save finds another instance holding it
    mock.timers.tick(1_000);
    await settle();
    assert.equal(jobs.get(taken.id), undefined);
    assert.equal(bus.listenerCount('room'), 0, 'no longer listening for its notes');

    store.refuse = false;
    const running = jobs.start({ channel: 'room', durationMs: 10_000, outcome: 'succeeded' });
    jobs.close();
    assert.deepEqual(store.released, [running.id]);
  });
});
