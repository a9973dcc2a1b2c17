import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pageScripts } from '../../../bench/page-weight/built-pages.ts';

// A tiny built site, written as the bundler writes it: minified imports, dynamic ones quoted with backticks.
const dir = mkdtempSync(path.join(tmpdir(), 'page-weight-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(path.join(dir, '_astro'));
const files: Record<string, string> = {
  'layout.js': 'import{a as e}from"./shared.js";e();',
  'island.js': 'import{a as e}from"./shared.js";import"./styles-runtime.js";const t=()=>import(`./chart.js`);',
  'renderer.js': 'export default 1;',
  'shared.js': 'import"./layout.js";export const a=()=>1;',
  'styles-runtime.js': 'export{};',
  'chart.js': 'import{p as e}from"./plot.js";import{a as t}from"./shared.js";export const c=()=>import(`./legend.js`);',
  'plot.js': 'export const p=1;',
  'legend.js': 'export const l=1;',
  'unused.js': 'export const u=1;',
};
for (const [name, code] of Object.entries(files)) writeFileSync(path.join(dir, '_astro', name), code);

const html = `<html><head><script type="module" src="/_astro/layout.js"></script></head>
<body><astro-island component-url="/_astro/island.js" renderer-url="/_astro/renderer.js" client="reachable"></astro-island></body></html>`;
const urls = (names: string[]) => new Set(names.map((name) => `/_astro/${name}`));

test("a page's whole weight is its scripts, its islands and renderers, and all they import statically, each once", () => {
  assert.deepEqual(pageScripts(html, dir).wholePage, urls(['layout.js', 'shared.js', 'island.js', 'styles-runtime.js', 'renderer.js']));
});

test('what a dynamic import loads counts on use, with its own imports, but not what the page loads anyway', () => {
  assert.deepEqual(pageScripts(html, dir).onUse, urls(['chart.js', 'plot.js', 'legend.js']));
});
