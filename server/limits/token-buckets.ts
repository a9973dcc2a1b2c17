import type { BucketSpec } from '../../src/protocol/rate-limits.ts';

/** What {@link TokenBuckets.check} found. */
export type BucketCheck = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

/** Past this many buckets, full ones (idle keys) are forgotten: a full bucket is the same as none. */
const SWEEP_ABOVE = 10_000;

/**
 * Token buckets keyed by client address or learner, all of one spec. A key
 * starts full (`burst`), refills at `refillPerSecond`, and a request needs at
 * least one token. A cost may take the bucket below zero (a failed join-code
 * lookup costs 50): the debt is paid back by waiting, which is what makes
 * guessing slow while the successes of a class cost 1 each.
 */
export class TokenBuckets {
  readonly #spec: BucketSpec;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(spec: BucketSpec, now: () => number = () => performance.now()) {
    this.#spec = spec;
    this.#now = now;
  }

  /** Whether `key` has a token now; when not, how long until it has one. Takes nothing. */
  check(key: string): BucketCheck {
    const tokens = this.#refilled(key).tokens;
    if (tokens >= 1) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.#spec.refillPerSecond)) };
  }

  /** Takes `cost` tokens from `key` (possibly below zero). */
  take(key: string, cost = 1): void {
    if (cost === 0) return;
    const bucket = this.#refilled(key);
    bucket.tokens -= cost;
    if (!this.#buckets.has(key)) {
      if (this.#buckets.size >= SWEEP_ABOVE) this.#sweep();
      this.#buckets.set(key, bucket);
    }
  }

  /** Tokens `key` has now (for tests and the bench). */
  tokens(key: string): number {
    return this.#refilled(key).tokens;
  }

  /** Keys holding less than a full bucket. */
  get size(): number {
    return this.#buckets.size;
  }

  #refilled(key: string): Bucket {
    const now = this.#now();
    const bucket = this.#buckets.get(key);
    if (!bucket) return { tokens: this.#spec.burst, at: now };
    bucket.tokens = Math.min(this.#spec.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.#spec.refillPerSecond);
    bucket.at = now;
    return bucket;
  }

  #sweep(): void {
    for (const key of [...this.#buckets.keys()]) {
      if (this.#refilled(key).tokens >= this.#spec.burst) this.#buckets.delete(key);
    }
  }
}
