/**
 * Exponential backoff with full jitter, for every widget that retries and
 * for the server's simulated fleets (lesson 7's reconnect storm).
 *
 * After the n-th failure in a row the ceiling doubles — base, 2·base, 4·base…
 * up to a cap — and the wait is a random point below it ("full jitter":
 * Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
 * Randomness is the point: clients that failed together (a server restart
 * drops them all at once) then come back spread out instead of as one herd.
 *
 * `Retry-After` (RFC 9110 §10.2.3) is the server saying when it can take us
 * back: we never retry before it. The jitter is added *on top* of it, because
 * a fleet that obeyed it to the millisecond would return as a herd again.
 */
export interface BackoffPolicy {
  /** The ceiling after the first failure, in ms. */
  baseMs: number;
  /** The ceiling never grows past this, in ms. */
  capMs: number;
}

export interface BackoffDelay {
  /** How long to wait before the next try, in ms (whole). */
  delayMs: number;
  /** The jitter's ceiling for this failure count: `min(cap, base · 2^(n−1))`. */
  ceilingMs: number;
  /** The server's `Retry-After`, in ms, or 0 when it sent none. */
  retryAfterMs: number;
}

// #region full-jitter
/** `min(cap, base · 2^(failures − 1))`, for `failures` ≥ 1. */
export function backoffCeiling(failures: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, Math.floor(failures) - 1);
  // 2 ** 1100 is Infinity, and Math.min copes; no overflow to worry about.
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/**
 * The wait after `failures` failures in a row: `Retry-After` (if any) plus a
 * uniformly random share of the ceiling, in whole ms: [0, ceiling) on top of
 * it. `random` returns [0, 1) like Math.random.
 */
export function fullJitterBackoff(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
  retryAfterMs = 0,
): BackoffDelay {
  const ceilingMs = backoffCeiling(failures, policy);
  const floor = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : 0;
  const share = Math.min(1, Math.max(0, random()));
  return { delayMs: Math.floor(floor + share * ceilingMs), ceilingMs, retryAfterMs: floor };
}
// #endregion full-jitter
