import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PRESENCE_TTL_MS, presenceTimings } from '../../../server/websocket/presence-timings.ts';

describe('presenceTimings', () => {
  it('renews every 10 s and re-reads every 5 s with the default 30 s TTL: a dead member is gone within 45 s', () => {
    const timings = presenceTimings();
    assert.deepEqual(timings, { ttlMs: DEFAULT_PRESENCE_TTL_MS, heartbeatMs: 10_000, pollMs: 5_000 });
    assert.ok(timings.ttlMs + timings.pollMs <= 45_000);
  });

  it('scales both periods down with a short TTL, and never re-reads less often than every 5 s', () => {
    assert.deepEqual(presenceTimings(1_500), { ttlMs: 1_500, heartbeatMs: 500, pollMs: 250 });
    assert.equal(presenceTimings(600_000).pollMs, 5_000);
    assert.equal(presenceTimings(600_000).heartbeatMs, 200_000);
  });
});
