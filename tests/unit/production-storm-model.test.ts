import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STORM_LIMITS, peakOf, stormDelay } from '../../src/protocol/production.ts';
import { BinCounter } from '../../server/experiments/bin-counter.ts';
import { ExperimentSlots, TAKEN_OVER_REASON } from '../../server/experiments/experiment-slots.ts';
import { HttpProblem } from '../../server/http/problem.ts';

/** A clock the test moves by hand. */
function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('storm strategies', () => {
  it('no backoff never waits', () => {
    for (const failures of [1, 2, 10]) assert.equal(stormDelay('none', failures), 0);
  });

  it('exponential backoff doubles from the base up to the cap, the same for every client', () => {
    const { baseMs, capMs } = STORM_LIMITS.backoff;
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((failures) => stormDelay('exponential', failures)),
      [baseMs, 2 * baseMs, 4 * baseMs, Math.min(capMs, 8 * baseMs), capMs],
    );
  });

  it('full jitter waits a random share of the same ceiling', () => {
    assert.equal(
      stormDelay('full-jitter', 1, () => 0),
      0,
    );
    assert.equal(
      stormDelay('full-jitter', 1, () => 0.5),
      STORM_LIMITS.backoff.baseMs / 2,
    );
    assert.equal(
      stormDelay('full-jitter', 3, () => 0.25),
      STORM_LIMITS.backoff.baseMs,
    );
    assert.ok(stormDelay('full-jitter', 10, () => 0.999_999) <= STORM_LIMITS.backoff.capMs);
  });
});

describe('BinCounter', () => {
  it('counts events in 100 ms bins from its origin, empty bins included', () => {
    const clock = manualClock();
    const bins = new BinCounter(100, clock.now);
    bins.count(); // 0 ms
    clock.advance(99);
    bins.count(); // 99 ms: still bin 0
    clock.advance(1);
    bins.count(3); // 100 ms: bin 1
    clock.advance(250);
    bins.count(); // 350 ms: bin 3
    assert.deepEqual(bins.bins(), [2, 3, 0, 1]);
  });

  it('hands each closed bin over once, and the open one only when asked', () => {
    const clock = manualClock();
    const bins = new BinCounter(100, clock.now);
    bins.count();
    assert.deepEqual(bins.takeClosed(), []);
    clock.advance(310); // bins 0, 1 and 2 closed while "the event loop was busy"
    bins.count(2);
    assert.deepEqual(bins.takeClosed(), [
      { bin: 0, count: 1 },
      { bin: 1, count: 0 },
      { bin: 2, count: 0 },
    ]);
    assert.deepEqual(bins.takeClosed(), []);
    assert.deepEqual(bins.takeClosed(true), [{ bin: 3, count: 2 }]);
    assert.deepEqual(bins.bins(), [1, 0, 0, 2]);
  });

  it('refuses a width that is not positive', () => {
    assert.throws(() => new BinCounter(0), RangeError);
  });
});

describe('peakOf', () => {
  it('finds the largest bin and the first place it occurs', () => {
    assert.deepEqual(peakOf([0, 4, 9, 2, 9]), { peak: 9, peakBin: 2 });
    assert.deepEqual(peakOf([]), { peak: 0, peakBin: 0 });
  });
});

describe('ExperimentSlots', () => {
  it('allows one experiment per channel and a few over all channels, with Retry-After', () => {
    const clock = manualClock(0);
    const slots = new ExperimentSlots(2, clock.now);
    const releaseA = slots.acquire('a', 10_000);
    slots.acquire('b', 4_000);
    clock.advance(1_000);
    assert.throws(
      () => slots.acquire('c', 10_000),
      (error) => error instanceof HttpProblem && error.status === 503 && error.init.headers?.['Retry-After'] === '3',
    );
    releaseA();
    releaseA(); // idempotent
    assert.equal(slots.running, 1);
    slots.acquire('c', 10_000);
    assert.equal(slots.running, 2);
  });

  it('lets a new start on the same channel take over its run, even when every slot is taken', () => {
    const slots = new ExperimentSlots(2);
    const stopped: string[] = [];
    let releaseFirst = () => {};
    releaseFirst = slots.acquire('mine', 10_000, (reason) => {
      stopped.push(reason);
      releaseFirst(); // as a run's finish() does
    });
    slots.acquire('theirs', 10_000);
    assert.throws(
      () => slots.acquire('a-third', 10_000),
      (error) => error instanceof HttpProblem && error.status === 503,
    );
    const releaseSecond = slots.acquire('mine', 10_000);
    assert.deepEqual(stopped, [TAKEN_OVER_REASON]);
    assert.equal(slots.running, 2);
    // The old run's release, called late, must not free the new run's slot.
    releaseFirst();
    assert.equal(slots.running, 2);
    releaseSecond();
    assert.equal(slots.running, 1);
  });
});
