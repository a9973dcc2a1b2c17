import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { LAB_TECHNIQUES, type LabRun, type LabStats, type LabTechnique, type LabTraffic } from '../../src/protocol/lab.ts';
import type { RunLabRequest } from '../../src/protocol/request-bodies.ts';
import type { LabApi, TimedStats } from '../../src/widgets/lab/lab-api.ts';
import type { LaneClient, LaneContext, LaneFactory } from '../../src/widgets/lab/lane.ts';
import { EXERCISE_MIN_RUN_MS } from '../../src/widgets/lab/lab-exercise.ts';
import { createLabModel, type LabModel } from '../../src/widgets/lab/model.ts';
import { DURATION_STEPS, INTERVAL_STEPS, RATE_STEPS } from '../../src/widgets/lab/settings.ts';
import { advance, settle } from './support/fake-time.ts';

/** The server's clock runs this far ahead of the page's. */
const SERVER_AHEAD_MS = 1_000;
const LAB_ID = 'AbCdEfGhIjKl';

/** A fake companion server: it publishes only when the test says so, and answers stats at once. */
class FakeLabApi implements LabApi {
  run_: LabRun | null = null;
  traffic: Record<LabTechnique, LabTraffic> = zeroTraffic();
  readonly calls: string[] = [];
  failCreate: Error | null = null;
  runRequests: RunLabRequest[] = [];

  async create() {
    this.calls.push('create');
    if (this.failCreate) throw this.failCreate;
    return { id: LAB_ID, channel: `lab-${LAB_ID}` };
  }
  async run(id: string, request: RunLabRequest) {
    this.calls.push('run');
    this.runRequests.push(request);
    const now = Date.now() + SERVER_AHEAD_MS;
    this.run_ = { state: 'running', ...request, startedAt: now, endsAt: now + request.durationMs, published: 0, lastEventId: 0 };
    return this.run_;
  }
  async stop() {
    this.calls.push('stop');
    if (this.run_) this.run_ = { ...this.run_, state: 'stopped', endsAt: Date.now() + SERVER_AHEAD_MS };
    return this.run_;
  }
  async stats(id: string): Promise<TimedStats> {
    this.calls.push('stats');
    const now = Date.now();
    if (this.run_?.state === 'running' && now + SERVER_AHEAD_MS >= this.run_.endsAt) this.run_ = { ...this.run_, state: 'finished' };
    const stats: LabStats = {
      id,
      channel: `lab-${id}`,
      run: this.run_,
      traffic: structuredClone(this.traffic),
      serverTime: now + SERVER_AHEAD_MS,
    };
    return { stats, sentAt: now, receivedAt: now, serverTime: now + SERVER_AHEAD_MS };
  }
  async dropConnections() {
    this.calls.push('drop');
    return { dropped: 3 };
  }
  /** Publishes event `id` now: returns its server publish time. */
  publish(): { id: number; publishedAt: number } {
    assert.ok(this.run_);
    const id = this.run_.published + 1;
    this.run_ = { ...this.run_, published: id, lastEventId: id };
    return { id, publishedAt: Date.now() + SERVER_AHEAD_MS };
  }
}

function zeroTraffic(): Record<LabTechnique, LabTraffic> {
  return Object.fromEntries(
    LAB_TECHNIQUES.map((technique) => [technique, { requests: 0, bytesUp: 0, bytesDown: 0, connectionsHeld: 0, connectionsUsed: 0 }]),
  ) as Record<LabTechnique, LabTraffic>;
}

/** A lane that does nothing by itself: the test hands it events through its context. */
class FakeLane implements LaneClient {
  started = 0;
  stopped = 0;
  readonly context: LaneContext;
  constructor(context: LaneContext) {
    this.context = context;
  }
  start() {
    this.started += 1;
    return Promise.resolve();
  }
  stop() {
    this.stopped += 1;
  }
}

describe('side-by-side lab model', () => {
  let api: FakeLabApi;
  let lanes: Map<LabTechnique, FakeLane>;
  let model: LabModel;
  let completed: number;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 10_000_000 });
    api = new FakeLabApi();
    lanes = new Map();
    completed = 0;
    const factory =
      (technique: LabTechnique): LaneFactory =>
      (context) => {
        assert.equal(context.technique, technique);
        const lane = new FakeLane(context);
        lanes.set(technique, lane);
        return lane;
      };
    model = createLabModel({
      api,
      baseUrl: () => 'http://127.0.0.1:4321/',
      lanes: Object.fromEntries(LAB_TECHNIQUES.map((technique) => [technique, factory(technique)])) as Record<LabTechnique, LaneFactory>,
      onExerciseComplete: () => (completed += 1),
    });
  });
  afterEach(() => {
    model.dispose();
    mock.timers.reset();
  });

  /** Starts a run at `rate` events a minute, `intervalMs`, `durationMs`, and waits until it runs. */
  async function startRun(rateShort = '1/s', intervalMs = 5_000, durationMs = 30_000): Promise<void> {
    model.setRateIndex(RATE_STEPS.findIndex((step) => step.short === rateShort));
    model.setIntervalMs(intervalMs);
    model.setDurationMs(durationMs);
    const started = model.start();
    await settle();
    await started;
    assert.equal(model.phase.value, 'running');
  }

  it('creates a lab, syncs clocks, connects the five lanes, then starts the publisher', async () => {
    await startRun('1/s', 2_000, 30_000);
    assert.deepEqual(api.calls.slice(0, 6), ['create', 'stats', 'stats', 'stats', 'stats', 'run']);
    assert.deepEqual(api.runRequests, [{ ratePerMinute: 60, durationMs: 30_000 }]);
    assert.deepEqual([...lanes.keys()], [...LAB_TECHNIQUES]);
    for (const lane of lanes.values()) {
      assert.equal(lane.started, 1);
      assert.equal(lane.context.labId, LAB_ID);
      assert.equal(lane.context.channel, `lab-${LAB_ID}`);
      assert.equal(lane.context.intervalMs, 2_000);
    }
    assert.equal(model.offset.value?.offsetMs, SERVER_AHEAD_MS);
  });

  it("measures latency on the page's clock, whatever the server's clock says", async () => {
    await startRun();
    const sse = lanes.get('sse')!.context;
    const poller = lanes.get('short-polling')!.context;
    for (let n = 0; n < 3; n++) {
      const event = api.publish();
      await advance(10);
      assert.equal(sse.deliver([event]), 1);
      await advance(490);
    }
    // The poller gets all three at once, in one snapshot, 1 s after the last.
    await advance(1_000);
    poller.deliver(
      [
        { id: 1, publishedAt: 0 },
        { id: 2, publishedAt: 0 },
        { id: 3, publishedAt: 0 },
      ].map((event, index) => ({ ...event, publishedAt: Date.now() + SERVER_AHEAD_MS - 1_000 - (2 - index) * 500 })),
    );
    poller.answered(false);
    await advance(600); // a refresh (every 500 ms)

    const figures = Object.fromEntries(model.lanes.value.map((lane) => [lane.technique, lane]));
    assert.equal(figures.sse!.received, 3);
    assert.equal(figures.sse!.latency.median, 10);
    assert.deepEqual([figures['short-polling']!.latency.median, figures['short-polling']!.latency.max], [1_500, 2_000]);
    assert.equal(figures['short-polling']!.answers, 1);
    assert.equal(model.published.value, 3);
  });

  it('shows what the server counted, refreshed every second', async () => {
    await startRun();
    api.traffic.sse = { requests: 1, bytesUp: 612, bytesDown: 300, connectionsHeld: 1, connectionsUsed: 1 };
    await advance(1_100);
    const sse = model.lanes.value.find((lane) => lane.technique === 'sse')!;
    assert.deepEqual(sse.traffic, { requests: 1, bytesUp: 612, bytesDown: 300, connectionsHeld: 1, connectionsUsed: 1 });
    const bytes = model.bytesSeries();
    assert.ok(bytes.x.length >= 1);
    assert.equal(bytes.y[LAB_TECHNIQUES.indexOf('sse')]!.at(-1), 912);
  });

  it('at the end, waits for the pollers to catch up, then closes every lane and keeps the table', async () => {
    await startRun('1/s', 5_000, 10_000);
    const event = api.publish();
    lanes.get('sse')!.context.deliver([event]);
    lanes.get('websocket')!.context.deliver([event]);
    lanes.get('long-polling')!.context.deliver([event]);
    await advance(10_000);
    await advance(1_000);
    assert.equal(model.phase.value, 'finishing');
    assert.ok(
      [...lanes.values()].every((lane) => lane.stopped === 0),
      'the pollers still get their last answer',
    );

    for (const technique of ['short-polling', 'short-polling-etag'] as const) lanes.get(technique)!.context.deliver([event]);
    await advance(1_000);
    assert.equal(model.phase.value, 'done');
    assert.ok([...lanes.values()].every((lane) => lane.stopped === 1));
    assert.equal(model.rows.value.length, 5);
    assert.ok(model.rows.value.every((row) => row.received === 1));
    assert.equal(model.description.value?.published, 1);
    assert.equal(model.description.value?.stoppedEarly, false);
    assert.ok(model.conclusions.value.length > 0);
  });

  it('gives up on a poller after one interval and a second', async () => {
    await startRun('1/s', 2_000, 10_000);
    api.publish();
    await advance(10_000);
    assert.equal(model.phase.value, 'finishing');
    await advance(3_500);
    assert.equal(model.phase.value, 'done');
    assert.ok(model.rows.value.every((row) => row.received === 0));
  });

  it('stops early when told: publisher stopped, lanes closed, table kept', async () => {
    await startRun('1/s', 5_000, 60_000);
    await advance(5_000);
    const stopping = model.stop();
    await advance(1_000);
    await stopping;
    assert.equal(model.phase.value, 'done');
    assert.ok(api.calls.includes('stop'));
    assert.ok([...lanes.values()].every((lane) => lane.stopped === 1));
    assert.equal(model.description.value?.stoppedEarly, true);
    assert.ok(Math.abs((model.description.value?.ranMs ?? 0) - 5_000) < 100);
  });

  it('reports a lab that could not start, and can start again', async () => {
    api.failCreate = new Error('The server did not answer (network error).');
    await model.start();
    assert.equal(model.phase.value, 'idle');
    assert.equal(model.error.value, 'The server did not answer (network error).');
    api.failCreate = null;
    await startRun();
    assert.equal(model.error.value, null);
  });

  it('completes the exercise after one run where long polling sent fewer requests and one where it sent more', async () => {
    const runWith = async (longPoll: number, shortPoll: number, durationMs: number) => {
      await startRun('1/s', 5_000, durationMs);
      api.traffic['long-polling'].requests = longPoll;
      api.traffic['short-polling-etag'].requests = shortPoll;
      await advance(durationMs + 7_000, { stepMs: 50 });
      assert.equal(model.phase.value, 'done');
    };
    await runWith(3, 10, 10_000); // too short to count
    assert.equal(model.exercise.value.fewer, null);
    await runWith(3, 10, EXERCISE_MIN_RUN_MS);
    assert.ok(model.exercise.value.fewer);
    assert.equal(completed, 0);
    await runWith(50, 10, EXERCISE_MIN_RUN_MS);
    assert.ok(model.exercise.value.more);
    assert.equal(completed, 1);
    assert.equal(model.exerciseDone.value, true);
  });

  it('only accepts the offered settings', () => {
    model.setIntervalMs(1_234);
    assert.ok(INTERVAL_STEPS.includes(model.intervalMs.value));
    model.setDurationMs(7);
    assert.ok(DURATION_STEPS.includes(model.durationMs.value));
    model.setRateIndex(99);
    assert.equal(model.rateIndex.value, RATE_STEPS.length - 1);
  });
});
