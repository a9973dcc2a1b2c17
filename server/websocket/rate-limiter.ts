/** Options of a {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second: the sustained rate. */
  ratePerSecond: number;
  /** Most tokens the bucket holds: the burst allowed after a quiet spell. It starts full. */
  burst: number;
  /** The clock, in milliseconds; default `performance.now` (monotonic, unlike `Date.now`). */
  now?: () => number;
}

// #region token-bucket
/**
 * A token bucket: each message takes a token; tokens come back at
 * `ratePerSecond`, up to `burst`. A client may send `burst` messages at once,
 * then `ratePerSecond` on average. The refill is computed when the tokens are
 * read, so an idle connection costs no timer.
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError('A token bucket needs a positive rate and a burst of at least 1.');
    }
    this.#ratePerMs = options.ratePerSecond / 1000;
    this.#burst = options.burst;
    this.#now = options.now ?? performanceNow;
    this.#tokens = options.burst;
    this.#updatedAt = this.#now();
  }

  /** Takes a token if there is one. */
  tryTake(): boolean {
    if (this.tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /**
   * Takes `cost` tokens even when fewer are left: the debt is paid back by
   * waiting (the HTTP rate limits charge a failed join-code lookup 50).
   */
  take(cost: number): void {
    this.#tokens = this.tokens - cost;
  }

  /** Tokens now, refilled up to this moment: fractional, below zero while in debt. */
  get tokens(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#updatedAt) * this.#ratePerMs);
    this.#updatedAt = now;
    return this.#tokens;
  }

  /** Whole tokens available now (for tests and the lesson). */
  get available(): number {
    return Math.floor(this.tokens);
  }
}
// #endregion token-bucket

/** Options of a {@link MessageRateLimiter}. */
export interface MessageRateLimiterOptions extends TokenBucketOptions {
  /** Refusals tolerated within `abuseWindowMs`; one more and the verdict is `abusive`. */
  abuseThreshold: number;
  abuseWindowMs: number;
}

/** What a {@link MessageRateLimiter} says about one incoming message. */
export type RateVerdict =
  /** Within the limit: handle it. */
  | 'allowed'
  /** Over the limit: drop it and tell the client (`error rate-limited`). */
  | 'refused'
  /** Over the limit far too often: close the connection (1008 Policy Violation). */
  | 'abusive';

/**
 * The per-connection limit on incoming WebSocket messages: a {@link TokenBucket},
 * plus a count of recent refusals so that a client which keeps flooding after
 * being told is disconnected instead of costing an error reply per message.
 */
export class MessageRateLimiter {
  readonly #bucket: TokenBucket;
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  /** Times of the recent refusals, oldest first; never more than `threshold + 1`. */
  readonly #refusals: number[] = [];

  constructor(options: MessageRateLimiterOptions) {
    this.#now = options.now ?? performanceNow;
    this.#bucket = new TokenBucket({ ...options, now: this.#now });
    this.#threshold = options.abuseThreshold;
    this.#windowMs = options.abuseWindowMs;
  }

  /** Judges one incoming message. */
  check(): RateVerdict {
    if (this.#bucket.tryTake()) return 'allowed';
    const now = this.#now();
    this.#refusals.push(now);
    while (this.#refusals.length > 0 && this.#refusals[0]! <= now - this.#windowMs) this.#refusals.shift();
    if (this.#refusals.length > this.#threshold + 1) this.#refusals.shift();
    if (this.#refusals.length > this.#threshold) return 'abusive';
    return 'refused';
  }
}

/** The default clock, one function for every limiter rather than a closure each (one limiter per socket). */
function performanceNow(): number {
  return performance.now();
}
