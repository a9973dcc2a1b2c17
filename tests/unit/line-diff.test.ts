import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffLines, diffSummary, MAX_DIFF_LINES } from '../../src/exercises/line-diff.ts';

const render = (from: string, to: string) =>
  diffLines(from, to)
    .map((line) => `${{ same: ' ', added: '+', removed: '-' }[line.kind]}${line.text}`)
    .join('\n');

describe('diffLines', () => {
  it('keeps the lines both share and marks the rest, removed before added, in reading order', () => {
    const learner = 'let etag = null;\nconst response = await fetch(url);\nawait sleep(1000);';
    const solution = 'let etag = null;\nconst headers = {};\nconst response = await fetch(url, { headers });\nawait sleep(1000);';
    assert.equal(
      render(learner, solution),
      [
        ' let etag = null;',
        '-const response = await fetch(url);',
        '+const headers = {};',
        '+const response = await fetch(url, { headers });',
        ' await sleep(1000);',
      ].join('\n'),
    );
  });

  it('finds nothing to change in equal texts, whatever their line endings or final newline', () => {
    assert.equal(render('a\r\nb\n', 'a\nb'), ' a\n b');
  });

  it('handles an empty side: everything added, or everything removed', () => {
    assert.equal(render('', 'a\nb'), '+a\n+b');
    assert.equal(render('a\nb', ''), '-a\n-b');
  });

  it('counts what the solution adds and removes', () => {
    assert.deepEqual(diffSummary(diffLines('a\nb\nc', 'a\nx\ny\nc')), { added: 2, removed: 1 });
  });

  it('gives up on aligning past the line limit: the learner’s lines removed, the solution’s added', () => {
    const huge = Array.from({ length: MAX_DIFF_LINES + 1 }, (_, index) => `line ${index}`).join('\n');
    const lines = diffLines(huge, 'line 0');
    assert.equal(lines.length, MAX_DIFF_LINES + 2);
    assert.deepEqual(lines.at(-1), { kind: 'added', text: 'line 0' });
  });
});
