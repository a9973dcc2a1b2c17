import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClientMessage } from '../../../server/websocket/message-validation.ts';

const parse = (value: unknown) => parseClientMessage(Buffer.from(JSON.stringify(value)), false);
const problemOf = (value: unknown) => {
  const result = parse(value);
  assert.equal(result.ok, false, JSON.stringify(value));
  return (result as Extract<typeof result, { ok: false }>).problem;
};

describe('parseClientMessage', () => {
  it('accepts every message type of the protocol', () => {
    const valid = [
      { type: 'subscribe', channel: 'news', cursor: 0 },
      { type: 'subscribe', channel: 'news', cursor: 42 },
      { type: 'unsubscribe', channel: 'news' },
      { type: 'join', room: 'lobby', name: 'Ada' },
      { type: 'leave' },
      { type: 'message', text: 'hi', clientId: '0b9f6d2e-5a1c-4c0e-9d1b-2f3a4b5c6d7e' },
      { type: 'typing', typing: false },
      { type: 'simulate', fault: 'drop' },
      { type: 'simulate', fault: 'restart' },
    ];
    for (const message of valid) assert.deepEqual(parse(message), { ok: true, message }, JSON.stringify(message));
  });

  it('trims the name and ignores members the protocol does not define', () => {
    assert.deepEqual(parse({ type: 'join', room: 'lobby', name: '  Ada Lovelace ', colour: 'red' }), {
      ok: true,
      message: { type: 'join', room: 'lobby', name: 'Ada Lovelace' },
    });
  });

  it('keeps line breaks and emoji in a chat message, and refuses other control characters', () => {
    const text = 'two\nlines\twith 👩‍💻';
    assert.deepEqual(parse({ type: 'message', text, clientId: 'a' }), {
      ok: true,
      message: { type: 'message', text, clientId: 'a' },
    });
    assert.equal(problemOf({ type: 'message', text: 'bell\u0007', clientId: 'a' }).field, 'text');
    assert.equal(problemOf({ type: 'message', text: 'lone \ud800 surrogate', clientId: 'a' }).field, 'text');
  });

  it('refuses names that would render misleadingly', () => {
    for (const name of ['Ada\nBob', 'evil\u202Egnp.exe', '\u0000', 'x'.repeat(33)]) {
      assert.equal(problemOf({ type: 'join', room: 'lobby', name }).field, 'name', JSON.stringify(name));
    }
  });

  it('says bad-json for what is not JSON, naming the parser error', () => {
    const result = parseClientMessage(Buffer.from('{"type":'), false);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.problem.code, 'bad-json');
  });

  it('says unknown-type for a type the protocol lacks, listing the valid ones', () => {
    const problem = problemOf({ type: '__proto__' });
    assert.equal(problem.code, 'unknown-type');
    assert.match(problem.message, /subscribe, unsubscribe, join, leave, message, typing, simulate/);
  });

  it('says invalid-message, naming the field, for a missing or wrong member', () => {
    const cases: [unknown, string][] = [
      [null, 'type'],
      ['subscribe', 'type'],
      [{ type: 7 }, 'type'],
      [{ type: 'subscribe', channel: 'x'.repeat(65), cursor: 0 }, 'channel'],
      [{ type: 'subscribe', channel: 'news', cursor: '3' }, 'cursor'],
      [{ type: 'subscribe', channel: 'news', cursor: Number.MAX_SAFE_INTEGER + 1 }, 'cursor'],
      [{ type: 'join', room: '', name: 'Ada' }, 'room'],
      [{ type: 'message', text: '', clientId: 'a' }, 'text'],
      [{ type: 'message', text: 'hi', clientId: 'x'.repeat(65) }, 'clientId'],
      [{ type: 'typing' }, 'typing'],
      [{ type: 'simulate' }, 'fault'],
    ];
    for (const [value, field] of cases) {
      const problem = problemOf(value);
      assert.equal(problem.code, 'invalid-message', JSON.stringify(value));
      assert.equal(problem.field, field, JSON.stringify(value));
    }
  });

  it('refuses binary frames', () => {
    const result = parseClientMessage(Buffer.from('{"type":"leave"}'), true);
    assert.equal(!result.ok && result.problem.code, 'invalid-message');
  });
});
