/** What the lanes show about latency. */
export interface LatencySummary {
  count: number;
  /** ms; NaN when there is no sample. */
  median: number;
  p95: number;
  max: number;
}

export const NO_LATENCY: LatencySummary = { count: 0, median: NaN, p95: NaN, max: NaN };

/**
 * The `p`-th percentile (0–100) of sorted samples, by the nearest-rank
 * method: the smallest sample with at least p % of the samples at or below
 * it. Always one of the samples, never an interpolation: with 3 samples the
 * p95 is simply the largest.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * Median, 95th percentile and maximum of `samples` shifted by `offsetMs`
 * (the clock correction, see ../shared/clock-offset.ts). A sample that the correction
 * puts below zero is counted as 0: an event cannot arrive before it was
 * published, so it only means the offset is off by up to half a round trip.
 */
export function summarizeLatency(samples: readonly number[], offsetMs = 0): LatencySummary {
  if (samples.length === 0) return NO_LATENCY;
  const sorted = samples.map((sample) => Math.max(0, sample + offsetMs)).sort((a, b) => a - b);
  return {
    count: sorted.length,
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted[sorted.length - 1]!,
  };
}
