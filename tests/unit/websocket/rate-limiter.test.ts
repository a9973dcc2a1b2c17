import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageRateLimiter, TokenBucket } from '../../../server/websocket/rate-limiter.ts';

/** A clock the test moves by hand. */
function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TokenBucket', () => {
  it('allows a full burst at once, then refuses', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: clock.now });
    assert.deepEqual([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()], [true, true, true, false]);
  });

  it('refills at the sustained rate, one token per 1/rate seconds', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, now: clock.now });
    bucket.tryTake();
    bucket.tryTake();
    clock.advance(99);
    assert.equal(bucket.tryTake(), false, 'not yet a whole token');
    clock.advance(1);
    assert.equal(bucket.tryTake(), true);
    assert.equal(bucket.tryTake(), false);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const clock = manualClock();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 5, now: clock.now });
    clock.advance(3_600_000);
    assert.equal(bucket.available, 5);
    let taken = 0;
    while (bucket.tryTake()) taken += 1;
    assert.equal(taken, 5);
  });

  it('rejects a bucket that could never allow anything', () => {
    assert.throws(() => new TokenBucket({ ratePerSecond: 0, burst: 1 }), RangeError);
    assert.throws(() => new TokenBucket({ ratePerSecond: 1, burst: 0 }), RangeError);
  });
});

describe('MessageRateLimiter', () => {
  const options = { ratePerSecond: 1, burst: 2, abuseThreshold: 3, abuseWindowMs: 10_000 };

  it('refuses past the bucket, and calls it abuse after more than abuseThreshold refusals in the window', () => {
    const clock = manualClock();
    const limiter = new MessageRateLimiter({ ...options, now: clock.now });
    const verdicts = Array.from({ length: 6 }, () => limiter.check());
    assert.deepEqual(verdicts, ['allowed', 'allowed', 'refused', 'refused', 'refused', 'abusive']);
  });

  it('forgets refusals older than the window', () => {
    const clock = manualClock();
    // A slow refill, so that only the window changes the verdicts here.
    const limiter = new MessageRateLimiter({ ...options, ratePerSecond: 0.001, now: clock.now });
    limiter.check();
    limiter.check();
    assert.deepEqual([limiter.check(), limiter.check(), limiter.check()], ['refused', 'refused', 'refused']);
    clock.advance(10_000);
    assert.equal(limiter.check(), 'refused', 'the old refusals left the window');
    assert.deepEqual([limiter.check(), limiter.check()], ['refused', 'refused']);
    assert.equal(limiter.check(), 'abusive');
  });

  it('lets a client that slows down to the rate carry on indefinitely', () => {
    const clock = manualClock();
    const limiter = new MessageRateLimiter({ ...options, now: clock.now });
    for (let index = 0; index < 1000; index += 1) {
      assert.equal(limiter.check(), 'allowed');
      clock.advance(1000);
    }
  });
});
