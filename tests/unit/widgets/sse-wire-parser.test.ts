import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { utf8Length } from '../../../src/protocol/utf8-length.ts';
import { isHeartbeat, resumeIdOf, WireParser, type WireLine, type WireParseResult } from '../../../src/protocol/sse-wire-parser.ts';

const STREAM =
  'retry: 2000\n\n' +
  ': resuming after Last-Event-ID 4\n\n' +
  'id: 5\nevent: log\ndata: $ npm test\n\n' +
  ': heartbeat\n\n' +
  'id: 6\nevent: log\ndata: first\ndata: \ndata: third\n\n' +
  'id: 7\nevent: progress\ndata: {"build":"b1","percent":40,"step":"test"}\n\n';

/** Feeds `chunks` one by one and gathers everything they produced. */
function feed(parser: WireParser, chunks: string[]): WireParseResult {
  const all: WireParseResult = { lines: [], events: [], retryMs: null };
  for (const chunk of chunks) {
    const result = parser.push(chunk);
    all.lines.push(...result.lines);
    all.events.push(...result.events);
    if (result.retryMs !== null) all.retryMs = result.retryMs;
  }
  return all;
}

function kinds(lines: WireLine[]): string[] {
  return lines.map((line) => (line.kind === 'field' ? line.name : line.kind));
}

describe('the wire parser', () => {
  it('classifies every line of a stream and dispatches its events as EventSource would', () => {
    const result = feed(new WireParser(), [STREAM]);
    assert.deepEqual(kinds(result.lines).slice(0, 8), ['retry', 'blank', 'comment', 'blank', 'id', 'event', 'data', 'blank']);
    assert.equal(result.retryMs, 2000);
    assert.deepEqual(result.events, [
      { type: 'log', data: '$ npm test', lastEventId: '5' },
      { type: 'log', data: 'first\n\nthird', lastEventId: '6' },
      { type: 'progress', data: '{"build":"b1","percent":40,"step":"test"}', lastEventId: '7' },
    ]);
    const id = result.lines[4]!;
    assert.deepEqual(id, { kind: 'field', name: 'id', known: true, value: '5', raw: 'id: 5', bytes: 6 });
    const comment = result.lines[2]!;
    assert.equal(comment.kind, 'comment');
    assert.equal(resumeIdOf(comment), 4);
    assert.equal(result.lines.filter(isHeartbeat).length, 1);
    const blanks = result.lines.filter((line) => line.kind === 'blank').map((line) => line.kind === 'blank' && line.dispatched);
    assert.deepEqual(blanks, [false, false, true, false, true, true], 'only a blank line after data dispatches');
  });

  it('counts the bytes of each line with its line ending, in UTF-8', () => {
    const result = feed(new WireParser(), ['data: ✔ ok\r\n\n']);
    assert.equal(result.lines[0]!.bytes, utf8Length('data: ✔ ok') + 2);
    assert.equal(utf8Length('✔'), 3);
    assert.equal(utf8Length('😀'), 4);
    assert.equal(result.lines[1]!.bytes, 1);
  });

  it('gives the same lines and events however the stream is cut into chunks', () => {
    const whole = feed(new WireParser(), [STREAM]);
    const byChar = feed(new WireParser(), [...STREAM]);
    const odd = feed(new WireParser(), [STREAM.slice(0, 7), STREAM.slice(7, 33), STREAM.slice(33, 34), STREAM.slice(34)]);
    assert.deepEqual(byChar, whole);
    assert.deepEqual(odd, whole);
  });

  it('treats CRLF, CR and LF alike, even with a CRLF split between two chunks', () => {
    const parser = new WireParser();
    const result = feed(parser, ['id: 1\r', '\nevent: log\rdata: a\r\n\r', '\n']);
    assert.deepEqual(kinds(result.lines), ['id', 'event', 'data', 'blank']);
    assert.deepEqual(result.events, [{ type: 'log', data: 'a', lastEventId: '1' }]);
    assert.equal(parser.pending, '');
  });

  it('keeps a partial line until its end arrives', () => {
    const parser = new WireParser();
    assert.deepEqual(parser.push('data: hel').lines, []);
    assert.equal(parser.pending, 'data: hel');
    assert.equal((parser.push('lo\n').lines[0] as { value: string }).value, 'hello');
  });

  it('follows the spec’s edge cases: ids with NUL ignored, retry only when all digits, unknown fields ignored', () => {
    const parser = new WireParser();
    const result = feed(parser, ['id: 3\n\n', 'id: 4\0x\ndata: a\n\n', 'retry: 5s\n', 'retry: 1500\n', 'colour: red\ndata\n\n']);
    assert.equal(result.events[0]!.lastEventId, '3', 'the NUL id was ignored');
    assert.equal(result.retryMs, 1500);
    const unknown = result.lines.find((line) => line.kind === 'field' && line.name === 'colour');
    assert.equal(unknown?.kind === 'field' && unknown.known, false);
    // `data` alone is a field with an empty value: it dispatches an event with empty data.
    assert.deepEqual(result.events[1], { type: 'message', data: '', lastEventId: '3' });
  });

  it('sets the last event ID on a blank line even when no data came (WHATWG HTML §9.2.6)', () => {
    const parser = new WireParser();
    assert.deepEqual(parser.push('id: 9\n\n').events, []);
    assert.equal(parser.lastEventId, '9');
  });

  it('starts from the id it resumes after, and drops a half-received event at the end', () => {
    const parser = new WireParser('41');
    const result = parser.push('data: no id\n\nid: 42\ndata: cut');
    assert.equal(result.events[0]!.lastEventId, '41');
    parser.end();
    assert.equal(parser.pending, '');
    assert.equal(parser.lastEventId, '41', 'the cut event never dispatched');
  });

  it('skips a byte order mark at the start of the stream only', () => {
    const result = feed(new WireParser(), ['\uFEFFdata: a\n\n', '\uFEFFdata: b\n\n']);
    assert.equal((result.lines[0] as { name: string }).name, 'data');
    assert.equal((result.lines[2] as { name: string }).name, '\uFEFFdata', 'later, it is part of a field name');
  });

  it('recognises only the server’s exact heartbeat and resume comments', () => {
    const [heartbeat, other, resume, bad] = feed(new WireParser(), [
      ': heartbeat\n: heartbeats\n: resuming after Last-Event-ID 17\n: resuming after Last-Event-ID x\n',
    ]).lines;
    assert.equal(isHeartbeat(heartbeat!), true);
    assert.equal(isHeartbeat(other!), false);
    assert.equal(resumeIdOf(resume!), 17);
    assert.equal(resumeIdOf(bad!), null);
  });
});
