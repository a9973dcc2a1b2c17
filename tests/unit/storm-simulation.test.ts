import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { STORM_LIMITS } from '../../src/protocol/production.ts';
import { seededRandom, simulateStorm, type SimulatedStorm } from '../../src/protocol/storm-simulation.ts';

const lesson = readFileSync(new URL('../../content/lessons/07-in-production.mdx', import.meta.url), 'utf8');

/** The 5th and 95th percentiles of `values`: "9 runs in 10" as the lesson says. */
function middle90(values: number[]): [number, number] {
  const sorted = values.toSorted((a, b) => a - b);
  return [sorted[Math.floor(0.05 * sorted.length)]!, sorted[Math.floor(0.95 * sorted.length)]!];
}

/** The same storms `node bench/storm.ts 100 1000` prints: seeds 1…1000. */
function fullJitterStorms(policy = STORM_LIMITS.backoff): SimulatedStorm[] {
  return Array.from({ length: 1_000 }, (_, seed) =>
    simulateStorm({ clients: 100, strategy: 'full-jitter', policy, random: seededRandom(seed + 1) }),
  );
}

describe('the reconnect storm model', () => {
  it('exponential backoff brings the whole fleet back together, twice', () => {
    const storm = simulateStorm({ clients: 100, strategy: 'exponential' });
    // 1 s: everyone, refused (the outage is 2 s); 3 s: everyone, accepted.
    assert.equal(storm.attempts, 200);
    assert.equal(storm.peak, 100);
    assert.equal(storm.allBackMs, 3_000);
    assert.deepEqual(
      storm.bins.flatMap((count, bin) => (count > 0 ? [[bin, count]] : [])),
      [
        [10, 100],
        [30, 100],
      ],
    );
  });

  it('is the same storm for the same seed', () => {
    const once = simulateStorm({ clients: 100, strategy: 'full-jitter', random: seededRandom(42) });
    const again = simulateStorm({ clients: 100, strategy: 'full-jitter', random: seededRandom(42) });
    assert.deepEqual(once, again);
  });

  it('full jitter: a flatter peak, more attempts and a longer tail, as the lesson quotes them', () => {
    const storms = fullJitterStorms();
    const peak = middle90(storms.map((storm) => storm.peak));
    const attempts = middle90(storms.map((storm) => storm.attempts));
    const allBack = middle90(storms.map((storm) => Math.round(storm.allBackMs / 100) / 10));
    assert.deepEqual({ peak, attempts, allBack }, { peak: [16, 23], attempts: [280, 301], allBack: [8, 9.8] });
    // The lesson quotes these ranges: change both together (`node bench/storm.ts` prints them).
    assert.match(lesson, /16–23 attempts per 100 ms/);
    assert.match(lesson, /280–301 attempts/);
    assert.match(lesson, /8–9\.8 s/);
    // Every client is back within the outage plus the cap: its last wait is at most the cap.
    for (const storm of storms) assert.ok(storm.allBackMs < STORM_LIMITS.outageMs + STORM_LIMITS.backoff.capMs, `${storm.allBackMs}`);
  });

  it('the base sets the peak and the cap sets the tail', () => {
    const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length / 2]!;
    const figures = (policy: { baseMs: number; capMs: number }) => {
      const storms = fullJitterStorms(policy);
      return { peak: median(storms.map((storm) => storm.peak)), allBackMs: median(storms.map((storm) => storm.allBackMs)) };
    };
    const lesson = figures({ baseMs: 1_000, capMs: 8_000 });
    const lowCap = figures({ baseMs: 1_000, capMs: 2_000 });
    const highBase = figures({ baseMs: 2_000, capMs: 8_000 });
    assert.equal(lowCap.peak, lesson.peak, 'the cap leaves the peak alone');
    assert.ok(lowCap.allBackMs < lesson.allBackMs / 2, `${lowCap.allBackMs} against ${lesson.allBackMs}`);
    assert.ok(highBase.peak < lesson.peak * 0.75, `${highBase.peak} against ${lesson.peak}`);
  });
});
