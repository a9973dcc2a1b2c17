import type { BucketSpec } from '../../src/protocol/rate-limits.ts';
import { TokenBucket } from '../websocket/rate-limiter.ts';

/** What {@link TokenBuckets.check} found. */
export type BucketCheck = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Past this many buckets, full ones (idle keys) are forgotten: a full bucket is the same as none. */
const SWEEP_ABOVE = 10_000;

/**
 * Token buckets keyed by client address or learner, all of one spec: lesson 5's
 * {@link TokenBucket} per key. A key starts full (`burst`), refills at
 * `refillPerSecond`, and a request needs at least one token. A cost may take
 * the bucket below zero (a failed join-code lookup costs 50): the debt is paid
 * back by waiting, which is what makes guessing slow while the successes of a
 * class cost 1 each.
 */
export class TokenBuckets {
  readonly #spec: BucketSpec;
  readonly #now: () => number;
  /** Only keys that took tokens: a key without a bucket has a full one. */
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(spec: BucketSpec, now: () => number = () => performance.now()) {
    this.#spec = spec;
    this.#now = now;
  }

  /** Whether `key` has a token now; when not, how long until it has one. Takes nothing. */
  check(key: string): BucketCheck {
    const tokens = this.tokens(key);
    if (tokens >= 1) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.#spec.refillPerSecond)) };
  }

  /** Takes `cost` tokens from `key` (possibly below zero). */
  take(key: string, cost = 1): void {
    if (cost === 0) return;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= SWEEP_ABOVE) this.#sweep();
      bucket = new TokenBucket({ ratePerSecond: this.#spec.refillPerSecond, burst: this.#spec.burst, now: this.#now });
      this.#buckets.set(key, bucket);
    }
    bucket.take(cost);
  }

  /** Tokens `key` has now (for tests and the bench). */
  tokens(key: string): number {
    return this.#buckets.get(key)?.tokens ?? this.#spec.burst;
  }

  /** Keys holding less than a full bucket. */
  get size(): number {
    return this.#buckets.size;
  }

  #sweep(): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens >= this.#spec.burst) this.#buckets.delete(key);
    }
  }
}
