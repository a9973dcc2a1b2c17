import type { BackoffPolicy } from './backoff.ts';
import { STORM_LIMITS, stormDelay, type StormStrategy } from './production.ts';

/**
 * The reconnect storm with no network: each client of the fleet waits what
 * {@link stormDelay} says, is refused until the outage is over, and is back
 * at its first attempt after it. This is the model behind the figures
 * lesson 7 quotes for full jitter (`bench/storm.ts` prints them; a unit test
 * checks them with a seeded `random`); the server's real storm adds only a
 * few milliseconds of loopback and event loop to each attempt.
 *
 * `none` is left out: without a wait, the only limit is how fast the server
 * answers, which a model without a network cannot say.
 */
export type BackoffStormStrategy = Exclude<StormStrategy, 'none'>;

export interface StormSimulationOptions {
  clients: number;
  strategy: BackoffStormStrategy;
  /** [0, 1) like Math.random; pass a seeded one to get the same storm every run. */
  random?: () => number;
  outageMs?: number;
  binMs?: number;
  /** Base and cap of the backoff (default the lesson's, `STORM_LIMITS.backoff`). */
  policy?: BackoffPolicy;
}

export interface SimulatedStorm {
  /** Attempts per bin, from the restart. */
  bins: number[];
  attempts: number;
  /** The most attempts in one bin. */
  peak: number;
  /** When the last client was back, ms after the restart. */
  allBackMs: number;
}

export function simulateStorm(options: StormSimulationOptions): SimulatedStorm {
  const {
    clients,
    strategy,
    random = Math.random,
    outageMs = STORM_LIMITS.outageMs,
    binMs = STORM_LIMITS.binMs,
    policy = STORM_LIMITS.backoff,
  } = options;
  const bins: number[] = [];
  let allBackMs = 0;
  for (let client = 0; client < clients; client += 1) {
    // The restart cut it: failure 1. Each refused attempt is one more.
    let failures = 1;
    let at = stormDelay(strategy, failures, random, policy);
    for (;;) {
      const bin = Math.floor(at / binMs);
      while (bins.length <= bin) bins.push(0);
      bins[bin]! += 1;
      if (at >= outageMs) break;
      failures += 1;
      at += stormDelay(strategy, failures, random, policy);
    }
    allBackMs = Math.max(allBackMs, at);
  }
  return {
    bins,
    attempts: bins.reduce((sum, count) => sum + count, 0),
    peak: Math.max(0, ...bins),
    allBackMs,
  };
}

/** A seeded [0, 1) generator (mulberry32): the same seed gives the same storm. */
export function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
