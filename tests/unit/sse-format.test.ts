import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelLog } from '../../server/events/channel-log.ts';
import { InMemoryEventBus } from '../../server/events/event-bus.ts';
import { formatEvent, resume } from '../../server/techniques/sse.ts';

const event = (data: unknown, type = 'log', id = 7) => ({ id, type, data, ts: 0 });

/** What a browser's parser makes of one block (WHATWG HTML §9.2.6), for the round-trip checks. */
function dataAsBrowserSeesIt(wire: string): string {
  return wire
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice('data: '.length))
    .join('\n');
}

describe('formatEvent', () => {
  it('writes id, event and data, then the blank line that dispatches', () => {
    assert.equal(formatEvent(event('hello')), 'id: 7\nevent: log\ndata: hello\n\n');
  });

  it('sends non-string data as JSON on one line', () => {
    assert.equal(formatEvent(event({ text: 'a\nb', n: 1 }, 'note')), 'id: 7\nevent: note\ndata: {"text":"a\\nb","n":1}\n\n');
    assert.equal(formatEvent(event(null)), 'id: 7\nevent: log\ndata: null\n\n');
    assert.equal(formatEvent(event(undefined)), 'id: 7\nevent: log\ndata: null\n\n');
  });

  it('gives every line of a string its own data: field, whatever the line break', () => {
    assert.equal(formatEvent(event('one\ntwo\r\nthree\rfour')), 'id: 7\nevent: log\ndata: one\ndata: two\ndata: three\ndata: four\n\n');
  });

  it('keeps blank lines, leading spaces and an empty payload', () => {
    assert.equal(formatEvent(event('a\n\nb')), 'id: 7\nevent: log\ndata: a\ndata: \ndata: b\n\n');
    assert.equal(formatEvent(event('  indented')), 'id: 7\nevent: log\ndata:   indented\n\n');
    assert.equal(formatEvent(event('')), 'id: 7\nevent: log\ndata: \n\n');
    assert.equal(dataAsBrowserSeesIt(formatEvent(event('  indented\n'))), '  indented\n');
  });

  it('cannot be made to dispatch a second event or set another field', () => {
    const wire = formatEvent(event('x\n\nid: 99\nevent: admin\ndata: injected\r\n\r\nretry: 1'));
    // Exactly one blank line, at the very end: one event.
    assert.equal(wire.indexOf('\n\n'), wire.length - 2);
    for (const line of wire.slice(0, -2).split('\n').slice(2)) assert.match(line, /^data: /);
    assert.equal(dataAsBrowserSeesIt(wire), 'x\n\nid: 99\nevent: admin\ndata: injected\n\nretry: 1');
  });
});

describe('resume', () => {
  const resumeText = async (bus: InMemoryEventBus, channel: string, lastEventId: string | undefined) =>
    (await resume(bus, channel, lastEventId)).text;
  const busWith = (count: number, capacity = 10) => {
    const bus = new InMemoryEventBus({ log: new ChannelLog({ capacity }) });
    for (let n = 1; n <= count; n += 1) void bus.publish('room', 'tick', n);
    return bus;
  };
  const resetOf = (text: string) =>
    JSON.parse(
      text
        .split('\n')
        .find((line) => line.startsWith('data: '))!
        .slice(6),
    );

  it('stamps a first connection (no last event id) with the newest id and no data: live events only', async () => {
    assert.equal(await resumeText(busWith(3), 'room', undefined), 'id: 3\n\n');
  });

  it('replays the events after the id, after a comment naming it', async () => {
    assert.equal(
      await resumeText(busWith(3), 'room', '1'),
      ': resuming after Last-Event-ID 1\n\nid: 2\nevent: tick\ndata: 2\n\nid: 3\nevent: tick\ndata: 3\n\n',
    );
    assert.equal(await resumeText(busWith(3), 'room', '3'), ': resuming after Last-Event-ID 3\n\n');
    assert.equal(await resumeText(busWith(0), 'room', '0'), ': resuming after Last-Event-ID 0\n\n');
  });

  it('resets an id the log no longer holds the events after', async () => {
    const text = await resumeText(busWith(15), 'room', '2');
    assert.match(text, /^id: 15\nevent: reset\n/);
    assert.deepEqual(resetOf(text), { reason: 'cursor-evicted', latestId: 15 });
    // The newest evicted-and-after id still resumes: 5 is the last one gone, 6 the oldest kept.
    assert.match(await resumeText(busWith(15), 'room', '5'), /^: resuming/);
  });

  it('resets an id ahead of the log', async () => {
    assert.deepEqual(resetOf(await resumeText(busWith(3), 'room', '4')), { reason: 'cursor-ahead', latestId: 3 });
    assert.deepEqual(resetOf(await resumeText(busWith(0), 'other', '4')), { reason: 'cursor-ahead', latestId: 0 });
  });

  for (const id of ['abc', '-1', '1.5', '1e3', ' 1', '0x10', '99999999999999999', '9007199254740992', '1\n', '1\0']) {
    it(`resets the invalid id ${JSON.stringify(id)} without echoing it`, async () => {
      const text = await resumeText(busWith(3), 'room', id);
      assert.deepEqual(resetOf(text), { reason: 'invalid-last-event-id', latestId: 3 });
      assert.match(text, /^id: 3\nevent: reset\ndata: \{[^\n]*\}\n\n$/);
    });
  }
});
