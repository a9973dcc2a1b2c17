/**
 * What the built site (dist/client) holds per page, read from the files: the JavaScript each
 * page can load, found by following imports from its scripts and islands, and its CSS and HTML.
 * Sizes are gzip at level 9, file by file, as a server that compresses them would send them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const clientDir = path.resolve(import.meta.dirname, '../../dist/client');

export interface BuiltPage {
  /** The page's path, e.g. `/lessons/sse/`. */
  page: string;
  html: string;
}

/** Every prerendered page of the site. */
export function builtPages(dir = clientDir): BuiltPage[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return builtPages(file);
    if (!name.endsWith('.html')) return [];
    return [{ page: `/${path.relative(clientDir, file).replace(/index\.html$/, '')}`, html: readFileSync(file, 'utf8') }];
  });
}

const gzipSizes = new Map<string, number>();
/** Gzip size of a built file, by its URL (`/_astro/x.js`). */
export function gzipSizeOf(url: string): number {
  let size = gzipSizes.get(url);
  if (size === undefined) {
    size = gzipSync(readFileSync(path.join(clientDir, url)), { level: 9 }).length;
    gzipSizes.set(url, size);
  }
  return size;
}

/** Gzip size of the scripts written into the page itself (Astro's island runtime, its directives, the theme switch). */
export function inlineScriptGzip(html: string): number {
  const code = [...html.matchAll(/<script(?![^>]*\ssrc=)(?![^>]*type="application\/json")[^>]*>([\s\S]*?)<\/script>/g)].map(
    (match) => match[1]!,
  );
  return gzipSync(code.join('\n'), { level: 9 }).length;
}

export function stylesheetGzip(html: string): number {
  const urls = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="(\/_astro\/[^"]+\.css)"/g)].map((match) => match[1]!);
  return urls.reduce((sum, url) => sum + gzipSizeOf(url), 0);
}

export function htmlGzip(html: string): number {
  return gzipSync(html, { level: 9 }).length;
}

/** The page's entry scripts: its `<script src>` and each island's component and renderer. */
function entryScripts(html: string): string[] {
  return [
    ...html.matchAll(/<script[^>]*\ssrc="(\/_astro\/[^"]+\.js)"/g),
    ...html.matchAll(/(?:component|renderer)-url="(\/_astro\/[^"]+\.js)"/g),
  ].map((match) => match[1]!);
}

// `from "./x.js"` and `import "./x.js"` load with the importer; `import("./x.js")` (the bundler
// quotes it with backticks) loads when the code that calls it runs.
const STATIC_IMPORT = /(?:\bfrom\s*|\bimport\s*)["'`](\.\/[^"'`]+\.js)["'`]/g;
const DYNAMIC_IMPORT = /\bimport\s*\(\s*["'`](\.\/[^"'`]+\.js)["'`]\s*\)/g;

function importsOf(dir: string, url: string, pattern: RegExp): string[] {
  const code = readFileSync(path.join(dir, url), 'utf8');
  return [...code.matchAll(pattern)].map((match) => path.posix.join(path.posix.dirname(url), match[1]!));
}

/** `roots` and every file they import statically, each once. */
function staticClosure(dir: string, roots: Iterable<string>, seen = new Set<string>()): Set<string> {
  const visit = (url: string) => {
    if (seen.has(url)) return;
    seen.add(url);
    importsOf(dir, url, STATIC_IMPORT).forEach(visit);
  };
  for (const root of roots) visit(root);
  return seen;
}

export interface PageScripts {
  /** What the page loads once every island on it has hydrated (the reader scrolled through it all). */
  wholePage: Set<string>;
  /** What it can load beyond that, on a reader's action: charts when first drawn, search, the workshop bar, a QR code. */
  onUse: Set<string>;
}

/** The scripts of a page of the site built in `dir`, by URL (`/_astro/x.js`). */
export function pageScripts(html: string, dir = clientDir): PageScripts {
  const wholePage = staticClosure(dir, entryScripts(html));
  const onUse = new Set<string>();
  let frontier = [...wholePage];
  while (frontier.length > 0) {
    const lazy = frontier.flatMap((url) => importsOf(dir, url, DYNAMIC_IMPORT)).filter((url) => !wholePage.has(url) && !onUse.has(url));
    const added = [...staticClosure(dir, lazy, new Set([...wholePage, ...onUse]))].filter((url) => !wholePage.has(url) && !onUse.has(url));
    for (const url of added) onUse.add(url);
    frontier = added;
  }
  return { wholePage, onUse };
}
