import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBuckets } from '../../server/limits/token-buckets.ts';
import { StreamSlots } from '../../server/limits/stream-slots.ts';

describe('TokenBuckets', () => {
  it('lets a burst through, then refills at its rate, and says how long to wait', () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 3, refillPerSecond: 0.5 }, () => now);
    for (let i = 0; i < 3; i += 1) {
      assert.deepEqual(buckets.check('a'), { ok: true });
      buckets.take('a');
    }
    assert.deepEqual(buckets.check('a'), { ok: false, retryAfterSeconds: 2 });
    assert.deepEqual(buckets.check('b'), { ok: true }, 'another key has its own bucket');
    now = 1_999;
    assert.equal(buckets.check('a').ok, false);
    now = 2_000;
    assert.equal(buckets.check('a').ok, true);
    now = 1_000_000;
    assert.equal(buckets.tokens('a'), 3, 'never more than the burst');
  });

  it('lets a costly miss take the bucket into debt, paid back by waiting', () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 100, refillPerSecond: 10 }, () => now);
    buckets.take('nat', 50);
    buckets.take('nat', 50);
    assert.equal(buckets.check('nat').ok, false);
    buckets.take('nat', 50); // a miss allowed at 0.x tokens goes below zero
    assert.deepEqual(buckets.check('nat'), { ok: false, retryAfterSeconds: 6 });
    now = 5_100;
    assert.equal(buckets.check('nat').ok, true);
  });

  it('forgets keys whose bucket is full again, so idle addresses cost no memory', () => {
    let now = 0;
    const buckets = new TokenBuckets({ burst: 1, refillPerSecond: 1 }, () => now);
    for (let i = 0; i < 10_000; i += 1) buckets.take(`k${i}`);
    assert.equal(buckets.size, 10_000);
    now = 2_000;
    buckets.take('newcomer');
    assert.equal(buckets.size, 1);
  });
});

describe('StreamSlots', () => {
  it('caps streams per address and in all, and frees a slot once per release', () => {
    const slots = new StreamSlots({ perAddress: 2, total: 3 });
    const first = slots.acquire('a');
    assert.ok(first.ok);
    assert.ok(slots.acquire('a').ok);
    assert.deepEqual(slots.acquire('a'), { ok: false, scope: 'address', limit: 2 });
    assert.ok(slots.acquire('b').ok);
    assert.deepEqual(slots.acquire('c'), { ok: false, scope: 'server', limit: 3 });
    first.release();
    first.release();
    assert.equal(slots.held('a'), 1);
    assert.equal(slots.held(), 2);
    assert.ok(slots.acquire('c').ok);
  });
});
