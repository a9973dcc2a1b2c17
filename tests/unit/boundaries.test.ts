import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/**
 * The arrows between the project's folders, checked from the imports
 * themselves (docs/architecture.md draws them): the server and the browser
 * share code only through src/protocol/, and src/protocol/ stands alone.
 */

const root = resolve(import.meta.dirname, '../..');

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|tsx|mjs)$/.test(entry.name))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** Each relative import of `file`, as a path from the project's root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => match[1]!);
  return specifiers.map((specifier) => relative(root, resolve(dirname(join(root, file)), specifier)));
}

function crossings(folder: string, allowed: (target: string) => boolean): string[] {
  return sourceFiles(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => !allowed(target))
      .map((target) => `${file} → ${target}`),
  );
}

test('the server imports browser-side code only from src/protocol/', () => {
  const outside = crossings('server', (target) => !target.startsWith('src/') || target.startsWith('src/protocol/'));
  assert.deepEqual(outside, []);
});

test('src/protocol/ imports nothing outside itself but content data, so either side can load it', () => {
  const outside = crossings('src/protocol', (target) => target.startsWith('src/protocol/') || /^content\/.*\.json$/.test(target));
  assert.deepEqual(outside, []);
  const platformImports = sourceFiles('src/protocol').filter((file) =>
    /from ['"](node:|astro|preact)/.test(readFileSync(join(root, file), 'utf8')),
  );
  assert.deepEqual(platformImports, []);
});

test('the widgets know nothing of workshops: a workshop reads the demo channels the widgets publish', () => {
  const upward = crossings('src/widgets', (target) => !target.startsWith('src/workshops/'));
  assert.deepEqual(upward, []);
});
