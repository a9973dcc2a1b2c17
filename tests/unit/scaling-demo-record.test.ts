import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DemoRecord } from '../../server/scaling/demo-record.ts';
import { SseTap, type TappedEvent } from '../../server/scaling/sse-tap.ts';

/** A record on a clock the test moves by hand. */
function recordAt(backplane: boolean): { record: DemoRecord; clock: { now: number } } {
  const clock = { now: 1_000 };
  return { record: new DemoRecord(backplane, () => clock.now, { maxObserved: 5, maxIdsPerStream: 3 }), clock };
}

describe('the scaling demo’s exercise, judged from what the proxy saw', () => {
  it('passes: a note crosses from A to B, B is killed under the stream, and A resumes it with no gap', () => {
    const { record, clock } = recordAt(true);
    const onB = record.streamOpened('b', 'b', null);
    // The stream on B may deliver the note before A's 201 comes back: both orders count.
    onB.event(1);
    record.published('a', 1);
    assert.deepEqual(record.exercise().crossDelivery, { id: 1, publishedOn: 'a', deliveredOn: 'b' });

    clock.now = 2_000;
    record.killing('b');
    onB.closed('instance-died');
    assert.deepEqual(record.exercise().killUnderStream, { instance: 'b', lastId: 1, at: 2_000 });
    record.published('a', 2);
    record.published('a', 3);

    clock.now = 4_000;
    const onA = record.streamOpened('a', 'b', '1');
    onA.event(2);
    onA.event(3);
    const exercise = record.exercise();
    assert.deepEqual(exercise.resumed, { on: 'a', lastEventId: '1', firstId: 2, replayed: 2, gapless: true });
    assert.equal(exercise.passed, true);
    assert.equal(exercise.passedAt, 4_000);
    assert.equal(record.streams[0]!.end, 'instance-died');
    assert.equal(record.openOn('a'), 1);
  });

  it('fails the resume on a gap or a reset, and a new kill lets the reader try again', () => {
    const { record } = recordAt(true);
    const first = record.streamOpened('b', 'b', null);
    record.published('a', 1);
    first.event(1);
    record.killing('b');
    const skipped = record.streamOpened('a', 'b', '1');
    skipped.event(3);
    assert.equal(record.exercise().resumed?.gapless, false);
    assert.equal(record.exercise().passed, false);

    record.killing('a');
    const reset = record.streamOpened('b', 'b', '3');
    reset.reset('cursor-ahead', 0);
    assert.equal(record.exercise().resumed?.gapless, false);
    assert.equal(record.exercise().passed, false);
  });

  it('never passes without the backplane, and ignores kills of an instance with no stream', () => {
    const { record } = recordAt(false);
    const onB = record.streamOpened('b', 'b', null);
    record.published('a', 1);
    onB.event(1); // B's own id 1: another note
    assert.equal(record.exercise().crossDelivery, null);
    record.killing('a');
    assert.equal(record.exercise().killUnderStream, null);
  });

  it('keeps the newest streams, publishes and ids only', () => {
    const { record } = recordAt(true);
    for (let n = 1; n <= 7; n += 1) record.streamOpened('a', 'a', null).closed('client-closed');
    const open = record.streamOpened('a', 'a', null);
    for (let id = 1; id <= 5; id += 1) open.event(id);
    for (let id = 1; id <= 7; id += 1) record.published('a', id);
    assert.equal(record.streams.length, 5);
    assert.deepEqual(record.streams.at(-1)!.ids, [3, 4, 5]);
    assert.equal(record.streams.at(-1)!.events, 5);
    assert.deepEqual(
      record.publishes.map((note) => note.id),
      [3, 4, 5, 6, 7],
    );
  });
});

describe('the SSE tap', () => {
  it('reads the events of a stream split anywhere, skipping comments and the bare opening id', () => {
    const events: TappedEvent[] = [];
    const tap = new SseTap((event) => events.push(event));
    const wire =
      'retry: 2000\n\nid: 4\n\n: heartbeat\n\nid: 5\nevent: note\ndata: {"text":"é"}\n\nevent: reset\nid: 9\ndata: {"reason":"cursor-ahead","latestId":9}\n\n';
    const bytes = Buffer.from(wire, 'utf8');
    // One byte at a time: across line ends and inside the two-byte "é".
    for (const byte of bytes) tap.push(Buffer.from([byte]));
    assert.deepEqual(events, [
      { id: 5, type: 'note', data: '{"text":"é"}' },
      { id: 9, type: 'reset', data: '{"reason":"cursor-ahead","latestId":9}' },
    ]);
  });
});
