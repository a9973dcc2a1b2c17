import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { LabPublisher, type PublisherClock } from '../../server/lab/lab-publisher.ts';
import { advance } from './support/fake-time.ts';

const clock: PublisherClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A sequence of "random" numbers, repeated. */
const sequence = (...values: number[]) => {
  let index = 0;
  return () => values[index++ % values.length]!;
};

describe('lab publisher', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('publishes at the average rate, with gaps between half and 1.5 times the average', async () => {
    const times: number[] = [];
    const publisher = new LabPublisher({
      ratePerMinute: 60, // one a second
      durationMs: 60_000,
      publish: () => times.push(Date.now()),
      clock,
      random: sequence(0, 0.5, 0.999),
    });
    await advance(60_000, { stepMs: 10 });
    // The first event after 0 × 1 s; then gaps of 1 s, 1.499 s, 0.5 s, 1 s…
    assert.ok(times[0]! - 1_000_000 <= 10, 'the first event at once (within one 10 ms step)');
    const gaps = times.slice(1).map((time, index) => time - times[index]!);
    assert.ok(
      gaps.every((gap) => gap >= 490 && gap <= 1_510),
      `gaps ${gaps.join(', ')}`,
    );
    assert.ok(times.length >= 55 && times.length <= 65, `${times.length} events in a minute at 60 a minute`);
    assert.equal(publisher.published, times.length);
    assert.equal(publisher.state, 'finished');
  });

  it('numbers the events from 1 and publishes nothing after the end', async () => {
    const seqs: number[] = [];
    let finished = 0;
    const publisher = new LabPublisher({
      ratePerMinute: 600,
      durationMs: 5_000,
      publish: (seq) => seqs.push(seq),
      onFinish: () => (finished += 1),
      clock,
      random: () => 0.5,
    });
    await advance(4_999, { stepMs: 10 });
    assert.equal(publisher.state, 'running');
    await advance(10_000, { stepMs: 10 });
    assert.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, index) => index + 1),
    );
    assert.ok(seqs.length >= 49 && seqs.length <= 51, `${seqs.length} events`);
    assert.equal(finished, 1);
    assert.equal(publisher.endedAt, 1_005_000);
  });

  it('finishes on time even when the next event would come after the end', async () => {
    let finished = 0;
    const publisher = new LabPublisher({
      ratePerMinute: 1 / 60, // one an hour
      durationMs: 10_000,
      publish: () => assert.fail('no event in 10 s at this draw'),
      onFinish: () => (finished += 1),
      clock,
      random: () => 0.9,
    });
    await advance(10_000, { stepMs: 10 });
    assert.equal(finished, 1);
    assert.equal(publisher.state, 'finished');
    assert.equal(publisher.published, 0);
  });

  it('catches up after a stall instead of drifting, and stops when told', async () => {
    let count = 0;
    const publisher = new LabPublisher({
      ratePerMinute: 3_000, // 50 a second
      durationMs: 60_000,
      publish: () => (count += 1),
      clock,
      random: () => 0.5,
    });
    await advance(1_000, { stepMs: 10 });
    assert.ok(count >= 49 && count <= 51, `${count} events in the first second`);
    publisher.stop();
    const stoppedAt = count;
    await advance(10_000, { stepMs: 10 });
    assert.equal(count, stoppedAt);
    assert.equal(publisher.state, 'stopped');
    assert.equal(publisher.endedAt, 1_001_000);
  });
});
