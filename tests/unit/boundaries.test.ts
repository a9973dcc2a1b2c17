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

/**
 * The browser's folders from the top down (docs/architecture.md, "The map"):
 * a file may import its own layer or a lower one, never a higher one.
 */
const LAYERS: RegExp[] = [
  /^src\/pages\//,
  /^src\/layouts\//,
  /^src\/components\//,
  /^src\/workshops\//,
  // The coded exercises stand beside the widgets: both may use the widgets' shared parts.
  /^src\/(widgets\/(?!shared\/)|exercises\/)/,
  /^src\/widgets\/shared\//,
  /^src\/(progress|search|offline|a11y|lessons|build|styles|islands)\//,
  /^src\/protocol\//,
];

const layerOf = (file: string): number => LAYERS.findIndex((layer) => layer.test(file));

test('imports in the browser’s code run down the layers: widgets know nothing of workshops or components', () => {
  const upward = [
    'src/components',
    'src/workshops',
    'src/widgets',
    'src/exercises',
    'src/progress',
    'src/islands',
    'src/search',
    'src/a11y',
  ].flatMap((folder) =>
    sourceFiles(folder).flatMap((file) =>
      importsOf(file)
        .filter((target) => layerOf(target) !== -1 && layerOf(target) < layerOf(file))
        .map((target) => `${file} → ${target}`),
    ),
  );
  assert.deepEqual(upward, []);
});
