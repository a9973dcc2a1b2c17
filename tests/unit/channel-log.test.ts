import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelLog } from '../../server/events/channel-log.ts';

/** A log whose clock reads 1000, 1001, 1002… */
function logWithClock(options: { capacity?: number; maxChannels?: number } = {}): ChannelLog {
  let time = 1000;
  return new ChannelLog({ ...options, now: () => time++ });
}

describe('ChannelLog', () => {
  it('numbers the events of a channel 1, 2, 3… and stamps them with the clock', () => {
    const log = logWithClock();
    const first = log.append('room', 'note', { text: 'a' });
    const second = log.append('room', 'note', { text: 'b' });

    assert.deepEqual(first, { id: 1, type: 'note', data: { text: 'a' }, ts: 1000 });
    assert.deepEqual(second, { id: 2, type: 'note', data: { text: 'b' }, ts: 1001 });
    assert.equal(log.latestId('room'), 2);
  });

  it('keeps a separate sequence per channel', () => {
    const log = logWithClock();
    log.append('a', 't', 1);
    log.append('a', 't', 2);
    const inB = log.append('b', 't', 3);

    assert.equal(inB.id, 1);
    assert.equal(log.latestId('a'), 2);
    assert.equal(log.latestId('nobody'), 0);
  });

  it('returns the events after a cursor, oldest first', () => {
    const log = logWithClock();
    for (const n of [1, 2, 3, 4]) log.append('room', 't', n);

    const read = log.since('room', 2);
    assert.deepEqual(
      read.events.map((event) => event.id),
      [3, 4],
    );
    assert.equal(read.reset, false);
    assert.equal(read.latestId, 4);
    assert.deepEqual(log.since('room', 4).events, []);
    assert.deepEqual(
      log.since('room', 0).events.map((event) => event.id),
      [1, 2, 3, 4],
    );
  });

  it('keeps only the newest events up to its capacity and never reuses an id', () => {
    const log = logWithClock({ capacity: 3 });
    for (const n of [1, 2, 3, 4, 5]) log.append('room', 't', n);

    assert.deepEqual(
      log.since('room', 0).events.map((event) => event.id),
      [3, 4, 5],
    );
    assert.equal(log.append('room', 't', 6).id, 6);
  });

  it('tells a client whose cursor fell out of the log to start over', () => {
    const log = logWithClock({ capacity: 3 });
    for (const n of [1, 2, 3, 4, 5]) log.append('room', 't', n);

    // Oldest retained is 3: a client at 2 misses nothing, a client at 1 missed event 2.
    assert.equal(log.since('room', 2).reset, false);
    const behind = log.since('room', 1);
    assert.equal(behind.reset, true);
    assert.deepEqual(
      behind.events.map((event) => event.id),
      [3, 4, 5],
    );
  });

  it('tells a client whose cursor is ahead of the log (a restarted server) to start over', () => {
    const log = logWithClock();
    log.append('room', 't', 1);

    assert.equal(log.since('room', 7).reset, true);
    assert.equal(log.since('empty', 7).reset, true);
    assert.equal(log.since('empty', 0).reset, false);
  });

  it('forgets the least recently used channel beyond maxChannels', () => {
    const log = logWithClock({ maxChannels: 2 });
    log.append('a', 't', 1);
    log.append('b', 't', 1);
    log.since('a', 0); // a read counts as a use: b is now the least recently used
    log.append('c', 't', 1);

    assert.equal(log.channelCount, 2);
    assert.equal(log.latestId('a'), 1);
    assert.equal(log.latestId('b'), 0);
    assert.equal(log.latestId('c'), 1);
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => new ChannelLog({ capacity: 0 }), RangeError);
  });
});
