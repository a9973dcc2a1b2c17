import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { extractRegion, languageOf, readSourceRegion } from '../../../src/build/source-region.ts';

const source = [
  "import { createServer } from 'node:http';", // 1
  '', // 2
  'export function handlePoll(request, response) {', // 3
  '  // #region poll-handler', // 4
  '', // 5
  '  const since = Number(request.url.searchParams.get("since"));', // 6
  '  // #region read-log', // 7
  '  const events = log.after(since);', // 8
  '  // #endregion read-log', // 9
  '  if (events.length === 0) {', // 10
  '    response.writeHead(204).end();', // 11
  '    return;', // 12
  '  }', // 13
  '', // 14
  '  // #endregion poll-handler', // 15
  '}', // 16
  '// #region plain-end', // 17
  'export const INTERVAL_MS = 2000;', // 18
  '// #endregion', // 19
].join('\n');

describe('extractRegion', () => {
  it('returns the dedented lines of a region without nested markers, with the file lines shown', () => {
    assert.deepEqual(extractRegion(source, 'poll-handler'), {
      code: [
        'const since = Number(request.url.searchParams.get("since"));',
        'const events = log.after(since);',
        'if (events.length === 0) {',
        '  response.writeHead(204).end();',
        '  return;',
        '}',
      ].join('\n'),
      startLine: 6,
      endLine: 13,
    });
  });

  it('extracts a nested region on its own', () => {
    assert.deepEqual(extractRegion(source, 'read-log'), { code: 'const events = log.after(since);', startLine: 8, endLine: 8 });
  });

  it('accepts a plain `// #endregion`', () => {
    assert.deepEqual(extractRegion(source, 'plain-end'), { code: 'export const INTERVAL_MS = 2000;', startLine: 18, endLine: 18 });
  });

  it('closes a region at a plain `#endregion` only once its nested regions are closed', () => {
    const text = ['// #region outer', 'a', '// #region inner', 'b', '// #endregion', 'c', '// #endregion', 'd'].join('\n');
    assert.equal(extractRegion(text, 'outer').code, 'a\nb\nc');
  });

  it('reads CRLF files and markers in other comment styles', () => {
    const text = ['/* #region css */', '.a {', '  color: red;', '}', '/* #endregion css */', '#region shell', 'echo hi', '#endregion'].join(
      '\r\n',
    );
    assert.equal(extractRegion(text, 'css').code, '.a {\n  color: red;\n}');
    assert.equal(extractRegion(text, 'shell').code, 'echo hi');
  });

  it('does not mistake a region whose name merely starts with the wanted one', () => {
    const text = ['// #region poll-handler-v2', 'x', '// #endregion poll-handler-v2'].join('\n');
    assert.throws(
      () => extractRegion(text, 'poll-handler', 'a.ts'),
      /No "\/\/ #region poll-handler" in a\.ts\. Its regions: poll-handler-v2\./,
    );
  });

  it('fails on a missing region, naming the regions the file has', () => {
    assert.throws(
      () => extractRegion(source, 'long-poll', 'server/techniques/short-polling.ts'),
      /No "\/\/ #region long-poll" in server\/techniques\/short-polling\.ts\. Its regions: poll-handler, read-log, plain-end\./,
    );
  });

  it('fails on an unclosed, a duplicated or an empty region', () => {
    assert.throws(() => extractRegion('// #region a\nx', 'a', 'f.ts'), /at line 1 of f\.ts has no "\/\/ #endregion a"/);
    assert.throws(
      () => extractRegion('// #region a\n// #endregion\n// #region a\n// #endregion', 'a', 'f.ts'),
      /appears 2 times in f\.ts \(lines 1, 3\)/,
    );
    assert.throws(() => extractRegion('// #region a\n\n// #endregion a', 'a', 'f.ts'), /Region "a" at line 1 of f\.ts is empty/);
  });
});

describe('readSourceRegion', () => {
  const root = mkdtempSync(join(tmpdir(), 'source-region-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'server/techniques'), { recursive: true });
  writeFileSync(join(root, 'server/techniques/short-polling.ts'), source);

  it('reads a region from a path relative to the project root', () => {
    const excerpt = readSourceRegion('server/techniques/short-polling.ts', 'plain-end', root);
    assert.equal(excerpt.code, 'export const INTERVAL_MS = 2000;');
  });

  it('fails when the file is missing', () => {
    assert.throws(
      () => readSourceRegion('server/techniques/long-polling.ts', 'x', root),
      /SourceRegion cannot read server\/techniques\/long-polling\.ts/,
    );
  });

  it('refuses paths outside the project', () => {
    assert.throws(() => readSourceRegion('../etc/passwd', 'x', root), /lies outside/);
  });
});

describe('languageOf', () => {
  it('names the Shiki language after the extension', () => {
    assert.equal(languageOf('server/techniques/sse.ts'), 'ts');
    assert.equal(languageOf('src/widgets/sse/View.tsx'), 'tsx');
    assert.equal(languageOf('server/dev.mjs'), 'js');
    assert.equal(languageOf('Dockerfile'), 'plaintext');
  });
});
