import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockOffsetEstimator } from '../../src/widgets/shared/clock-offset.ts';
import { percentile, summarizeLatency } from '../../src/widgets/lab/latency-stats.ts';
import { LaneRecorder } from '../../src/widgets/lab/lane-recorder.ts';
import { RATE_STEPS, formatDuration, maxDurationFor } from '../../src/widgets/lab/settings.ts';

describe('latency statistics', () => {
  it('takes percentiles by nearest rank: always one of the samples', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 50), 5);
    assert.equal(percentile(sorted, 95), 10);
    assert.equal(percentile(sorted, 10), 1);
    assert.equal(percentile([7, 9, 12], 95), 12);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('summarises median, p95 and max after the clock correction, never below zero', () => {
    // Raw samples: arrival (page clock) − publish (server clock); the server runs 1 s ahead.
    const raw = [-995, -990, -900, -500, 1_000, -998];
    const summary = summarizeLatency(raw, 1_000);
    assert.deepEqual(summary, { count: 6, median: 10, p95: 2_000, max: 2_000 });
    assert.equal(summarizeLatency([-1_003], 1_000).median, 0, 'an offset error of a few ms cannot make a negative latency');
    assert.equal(summarizeLatency([]).count, 0);
  });
});

describe('clock offset', () => {
  it('estimates server − page from the exchange with the shortest round trip', () => {
    const estimator = new ClockOffsetEstimator();
    assert.equal(new ClockOffsetEstimator().current, null);
    // Sent at 1000, back at 1040, the server said 6020: offset 6020 − 1020 = 5000 ± 20.
    estimator.add(1_000, 1_040, 6_020);
    assert.deepEqual(estimator.current, { offsetMs: 5_000, roundTripMs: 40, samples: 1 });
    // A slower exchange does not replace it…
    estimator.add(2_000, 2_200, 7_150);
    assert.equal(estimator.current?.offsetMs, 5_000);
    // …a faster one does.
    estimator.add(3_000, 3_010, 8_003);
    assert.deepEqual(estimator.current, { offsetMs: 4_998, roundTripMs: 10, samples: 3 });
    // Nonsense is ignored.
    estimator.add(4_000, 3_990, 9_000);
    estimator.add(4_000, 4_001, Number.NaN);
    assert.equal(estimator.current?.samples, 3);
  });
});

describe('lane recorder', () => {
  it('keeps each event once, in id order, with its raw latency', () => {
    const recorder = new LaneRecorder();
    assert.equal(
      recorder.deliver(
        [
          { id: 1, publishedAt: 100 },
          { id: 2, publishedAt: 200 },
        ],
        250,
      ),
      2,
    );
    // A short poll's snapshot repeats what it had, and brings 3.
    assert.equal(
      recorder.deliver(
        [
          { id: 1, publishedAt: 100 },
          { id: 2, publishedAt: 200 },
          { id: 3, publishedAt: 300 },
        ],
        400,
      ),
      1,
    );
    assert.equal(recorder.received, 3);
    assert.deepEqual(recorder.rawLatencies, [150, 50, 100]);
    assert.deepEqual([...recorder.byId], [150, 50, 100]);
    recorder.answered(true);
    recorder.answered(false);
    assert.deepEqual([recorder.answers, recorder.empty], [2, 1]);
  });
});

describe('settings', () => {
  it('spans one event an hour to 50 a second', () => {
    assert.equal(RATE_STEPS[0]!.perMinute, 1 / 60);
    assert.equal(RATE_STEPS.at(-1)!.perMinute, 3_000);
    assert.ok(RATE_STEPS.every((step, index) => index === 0 || step.perMinute > RATE_STEPS[index - 1]!.perMinute));
  });

  it('caps a run at 30 000 events', () => {
    assert.equal(maxDurationFor(3_000), 600_000);
    assert.equal(maxDurationFor(1), 3_600_000);
    assert.equal(formatDuration(600_000), '10 min');
    assert.equal(formatDuration(3_600_000), '1 h');
    assert.equal(formatDuration(30_000), '30 s');
  });
});
