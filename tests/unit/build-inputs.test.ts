import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { changedSince } from '../../server/build-inputs.ts';

describe('changedSince: does npm start need to build?', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'rtw-build-inputs-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const at = (seconds: number) => new Date(seconds * 1000);
  const file = (name: string, seconds: number) => {
    const full = path.join(root, name);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, name);
    // The file and every folder made for it, up to the root: a folder's time changes with its entries.
    for (let each = full; each !== root; each = path.dirname(each)) utimesSync(each, at(seconds), at(seconds));
  };

  it('finds the input that changed after the build, however deep, and nothing when none did', () => {
    file('src/widgets/deep/model.ts', 100);
    file('content/lessons/01.mdx', 100);
    file('package.json', 100);
    assert.equal(changedSince(root, 200_000), undefined);
    file('content/lessons/02.mdx', 300);
    assert.equal(changedSince(root, 200_000), 'content');
    assert.equal(changedSince(root, 0), 'src');
  });

  it('ignores what the site is not built from', () => {
    file('tests/e2e/new.test.ts', 900);
    file('docs/notes.md', 900);
    assert.equal(changedSince(root, 400_000), undefined);
  });
});
