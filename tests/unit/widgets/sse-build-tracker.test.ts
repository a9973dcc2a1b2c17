import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  complete,
  MAX_KEPT_LINES,
  missing,
  newTrack,
  skippedEvents,
  track,
  verificationText,
  withBuild,
  type BuildTrack,
  type DeliveredEvent,
} from '../../../src/widgets/sse/build-tracker.ts';

const log = (id: number, data: string): DeliveredEvent => ({ type: 'log', data, lastEventId: String(id) });
const progress = (id: number, percent: number, build = 'b1'): DeliveredEvent => ({
  type: 'progress',
  data: JSON.stringify({ build, percent, step: 'test' }),
  lastEventId: String(id),
});
const done = (id: number, lines: number, build = 'b1'): DeliveredEvent => ({
  type: 'done',
  data: JSON.stringify({ build, status: 'passed', lines }),
  lastEventId: String(id),
});

function run(events: DeliveredEvent[], start: BuildTrack = withBuild(newTrack(), 'b1', 4)): BuildTrack {
  return events.reduce(track, start);
}

describe('the build tracker', () => {
  it('numbers each log line as it arrives, several per multi-line event', () => {
    const state = run([progress(1, 0), log(2, '$ npm test'), log(3, '  ✖ fails\n    at test.ts:5'), log(4, 'done')]);
    assert.deepEqual(
      state.lines.map((line) => [line.n, line.text, line.eventId]),
      [
        [1, '$ npm test', 2],
        [2, '  ✖ fails', 3],
        [3, '    at test.ts:5', 3],
        [4, 'done', 4],
      ],
    );
    assert.equal(state.progress?.percent, 0);
    assert.equal(state.lastId, 4);
  });

  it('passes a build whose every line came exactly once', () => {
    const state = run([log(1, 'a'), log(2, 'b\nc'), progress(3, 50), log(4, 'd'), done(5, 4)]);
    assert.equal(complete(state), true);
    assert.equal(verificationText(state), 'Lines received 4 of 4 · missing 0 · repeated 0');
  });

  it('counts a replayed event (id not above the last) as repeated, and does not number its lines again', () => {
    const state = run([log(1, 'a'), log(2, 'b\nc'), log(2, 'b\nc'), log(3, 'd'), done(4, 4)]);
    assert.equal(state.received, 4);
    assert.equal(state.repeatedLines, 2);
    assert.equal(state.repeatedEvents, 1);
    assert.equal(complete(state), false);
    assert.equal(verificationText(state), 'Lines received 4 of 4 · missing 0 · repeated 2');
  });

  it('reports skipped ids as a gap, and the lines short of the total once done', () => {
    let state = run([log(1, 'a'), log(4, 'd')]);
    assert.deepEqual(state.gaps, [{ from: 2, to: 3 }]);
    assert.equal(skippedEvents(state), 2);
    assert.equal(missing(state), 2, 'before the end: the events known lost');
    state = run([done(5, 4)], state);
    assert.equal(missing(state), 2, 'after: the lines that never came');
    assert.equal(complete(state), false);
  });

  it('treats a reset as everything after the last id being lost', () => {
    const state = run([
      log(1, 'a'),
      { type: 'reset', data: JSON.stringify({ reason: 'cursor-evicted', latestId: 9 }), lastEventId: '9' },
      log(10, 'z'),
    ]);
    assert.deepEqual(state.gaps, [{ from: 2, to: 9 }]);
    assert.equal(state.reset?.reason, 'cursor-evicted');
    assert.equal(state.lastId, 10);
  });

  it('ignores the progress and done of another build on the channel', () => {
    const state = run([progress(1, 10, 'other'), log(2, 'a'), done(3, 9, 'other')]);
    assert.equal(state.progress, null);
    assert.equal(state.done, null);
    assert.equal(state.events, 1);
  });

  it('accepts events before the build’s id is known (they can beat the POST’s answer)', () => {
    let state = run([log(1, 'a'), progress(2, 0)], newTrack());
    assert.equal(verificationText(state), 'Lines received 1 of ? · missing 0 · repeated 0');
    state = withBuild(state, 'b1', 1);
    state = run([done(3, 1)], state);
    assert.equal(complete(state), true);
  });

  it('starting from the stream’s last id, sees even a lost first event', () => {
    const state = run([log(8, 'b')], withBuild(newTrack(6), 'b1', 2));
    assert.deepEqual(state.gaps, [{ from: 7, to: 7 }]);
  });

  it('keeps only the latest lines for display, but counts them all', () => {
    let state = withBuild(newTrack(), 'b1', MAX_KEPT_LINES + 10);
    for (let id = 1; id <= MAX_KEPT_LINES + 10; id++) state = track(state, log(id, `line ${id}`));
    assert.equal(state.received, MAX_KEPT_LINES + 10);
    assert.equal(state.lines.length, MAX_KEPT_LINES);
    assert.equal(state.lines[0]!.n, 11);
  });
});
