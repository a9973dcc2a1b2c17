import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isOnline,
  offlineDeadline,
  seen,
  streamClosed,
  streamOpened,
  UNSEEN,
  withoutExpiredLeases,
  type PresenceState,
} from '../../server/workshops/presence.ts';

const timings = { presenceTtlMs: 45_000, streamGraceMs: 5_000 };
const lease = (id: string, expiresAt = 1_000_000) => ({ id, expiresAt });

/** Online at each of `times`, as a list of booleans. */
const onlineAt = (state: PresenceState, times: number[]) => times.map((now) => isOnline(state, now, timings));

describe('workshop presence', () => {
  it('keeps a member nothing was seen of offline, with no time to turn offline', () => {
    assert.equal(isOnline(UNSEEN, 0, timings), false);
    assert.equal(offlineDeadline(UNSEEN, timings), null);
  });

  it('keeps a page that only sends heartbeats online until the TTL after the last one', () => {
    const state = seen(seen(UNSEEN, 1_000), 10_000);
    assert.deepEqual(onlineAt(state, [10_000, 54_999, 55_000]), [true, true, false]);
    assert.equal(offlineDeadline(state, timings), 55_000);
  });

  it('turns a closed tab offline after the grace, long before the TTL', () => {
    const open = streamOpened(seen(UNSEEN, 1_000), lease('s1'), 2_000);
    assert.deepEqual(onlineAt(open, [2_000, 46_999, 47_000]), [true, true, false], 'a silent page with a stream: the TTL');
    const closed = streamClosed(open, 's1', 3_000);
    assert.deepEqual(onlineAt(closed, [7_999, 8_000]), [true, false]);
    assert.equal(offlineDeadline(closed, timings), 8_000);
  });

  it('keeps online a page that closed its stream on purpose, whether its heartbeat or the stream end comes first', () => {
    const open = streamOpened(seen(UNSEEN, 1_000), lease('s1'), 1_000);
    const heartbeatFirst = streamClosed(seen(open, 2_000, { streaming: false }), 's1', 2_100);
    const streamEndFirst = seen(streamClosed(open, 's1', 2_000), 2_100, { streaming: false });
    for (const state of [heartbeatFirst, streamEndFirst]) {
      assert.deepEqual(onlineAt(state, [30_000, 46_999, 47_100]), [true, true, false]);
    }
    // Opening a stream again clears the flag: its next end is a closed tab's.
    const reopened = streamClosed(streamOpened(heartbeatFirst, lease('s2'), 3_000), 's2', 4_000);
    assert.deepEqual(onlineAt(reopened, [8_999, 9_000]), [true, false]);
  });

  it('counts the stream of an instance that died (its lease not renewed) as closed when the lease expired', () => {
    const state = seen(streamOpened(UNSEEN, lease('s1', 20_000), 1_000), 18_000);
    assert.deepEqual(onlineAt(state, [19_999, 24_999, 25_000]), [true, true, false]);
    assert.equal(offlineDeadline(state, timings), 25_000);
    const pruned = withoutExpiredLeases(state, 21_000);
    assert.deepEqual(pruned.streams, []);
    assert.equal(pruned.lastStreamClosedAt, 20_000);
  });
});
