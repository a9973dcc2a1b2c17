import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSandboxError, MAX_SANDBOX_TEXT, parseSandboxMessage } from '../../src/exercises/sandbox-messages.ts';

/** The page acts only on messages of the shapes the sandbox's frame sends: the learner's code could post anything. */
describe('parseSandboxMessage', () => {
  it('reads each kind the frame sends', () => {
    assert.deepEqual(parseSandboxMessage({ kind: 'ready' }), { kind: 'ready' });
    assert.deepEqual(parseSandboxMessage({ kind: 'log', text: '200 running' }), { kind: 'log', text: '200 running' });
    assert.deepEqual(parseSandboxMessage({ kind: 'requests', count: 3 }), { kind: 'requests', count: 3 });
    assert.deepEqual(parseSandboxMessage({ kind: 'error', message: 'TypeError: x', line: 4, column: 7 }), {
      kind: 'error',
      message: 'TypeError: x',
      line: 4,
      column: 7,
    });
    assert.deepEqual(parseSandboxMessage({ kind: 'done', outcome: 'stopped' }), { kind: 'done', outcome: 'stopped' });
  });

  it('ignores what is not one of them: other kinds, wrong types, unknown outcomes, non-objects', () => {
    for (const data of [
      null,
      'ready',
      42,
      { kind: 'start', code: '' },
      { kind: 'log', text: 3 },
      { kind: 'requests', count: -1 },
      { kind: 'requests', count: 1.5 },
      { kind: 'error' },
      { kind: 'done', outcome: 'passed' },
      { kind: 'done' },
    ]) {
      assert.equal(parseSandboxMessage(data), undefined, JSON.stringify(data));
    }
  });

  it('caps text, and drops a line that is no line (a column without a line goes too)', () => {
    const long = parseSandboxMessage({ kind: 'log', text: 'x'.repeat(MAX_SANDBOX_TEXT + 10) });
    assert.equal(long?.kind === 'log' && long.text.length, MAX_SANDBOX_TEXT);
    assert.deepEqual(parseSandboxMessage({ kind: 'error', message: 'boom', line: 0, column: 3 }), { kind: 'error', message: 'boom' });
    assert.deepEqual(parseSandboxMessage({ kind: 'error', message: 'boom', line: '2' }), { kind: 'error', message: 'boom' });
  });
});

describe('describeSandboxError', () => {
  it('names the learner’s line and column when known', () => {
    assert.equal(describeSandboxError({ kind: 'error', message: 'TypeError: x', line: 4, column: 7 }), 'TypeError: x (line 4, column 7)');
    assert.equal(describeSandboxError({ kind: 'error', message: 'SyntaxError: y', line: 2 }), 'SyntaxError: y (line 2)');
    assert.equal(describeSandboxError({ kind: 'error', message: 'Uncaught 3' }), 'Uncaught 3');
  });
});
