/**
 * How much a reader downloads per page of the built site: the JavaScript a page
 * loads once every island on it has woken up, and its CSS and HTML, raw and gzip.
 *
 *   npm run build && node bench/page-weight.ts
 *
 * It reads dist/client: each page's scripts, island components and renderers,
 * then every chunk they import, statically or dynamically, counted once. The
 * workshop bar, which a page imports only for a reader who joined a workshop,
 * is counted apart: "JS gzip" is what everyone loads, "in a workshop" adds it.
 * Search, loaded when the reader opens it, counts in neither.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const clientDir = path.resolve(import.meta.dirname, '../dist/client');

interface Weight {
  raw: number;
  gzip: number;
}

const add = (a: Weight, b: Weight): Weight => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip });
const zero: Weight = { raw: 0, gzip: 0 };
const weigh = (text: string): Weight => ({ raw: Buffer.byteLength(text), gzip: gzipSync(text, { level: 9 }).length });

function htmlPages(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return htmlPages(file);
    return name.endsWith('.html') ? [file] : [];
  });
}

/** Loaded only for a workshop member (BaseLayout imports it on demand). */
const MEMBERS_ONLY = /\/workshop-bar\.[^/]+\.js$/;
/** Loaded only when the reader opens search (src/search/open-search.ts), with Pagefind's index. */
const ON_SEARCH = /\/run-search\.[^/]+\.js$/;

/** Every JS file a page pulls in, following imports (`from "./x.js"`, `import("./x.js")`), except those matching `skip`. */
function scriptClosure(html: string, skip?: RegExp): Set<string> {
  const seen = new Set<string>();
  const entries = [
    ...html.matchAll(/<script[^>]*\ssrc="(\/_astro\/[^"]+\.js)"/g),
    ...html.matchAll(/(?:component|renderer)-url="(\/_astro\/[^"]+\.js)"/g),
  ].map((match) => match[1]!);
  const visit = (url: string) => {
    if (seen.has(url) || skip?.test(url)) return;
    seen.add(url);
    const code = readFileSync(path.join(clientDir, url), 'utf8');
    // The bundler quotes dynamic imports with backticks: import(`./x.js`).
    for (const match of code.matchAll(/(?:from|import)\s*\(?\s*["'`](\.\/[^"'`]+\.js)["'`]/g)) {
      visit(path.posix.join(path.posix.dirname(url), match[1]!));
    }
  };
  entries.forEach(visit);
  return seen;
}

const inlineScripts = (html: string) =>
  [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1]!).join('\n');

const stylesheets = (html: string) =>
  [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="(\/_astro\/[^"]+\.css)"/g)].map((match) => match[1]!);

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const rows = htmlPages(clientDir).map((file) => {
  const html = readFileSync(file, 'utf8');
  const jsOf = (scripts: string[]) =>
    scripts.reduce((sum, url) => add(sum, weigh(readFileSync(path.join(clientDir, url), 'utf8'))), weigh(inlineScripts(html)));
  const scripts = [...scriptClosure(html, new RegExp(`${MEMBERS_ONLY.source}|${ON_SEARCH.source}`))];
  const js = jsOf(scripts);
  const member = jsOf([...scriptClosure(html, ON_SEARCH)]);
  const css = stylesheets(html).reduce((sum, url) => add(sum, weigh(readFileSync(path.join(clientDir, url), 'utf8'))), zero);
  return {
    page: `/${path.relative(clientDir, file).replace(/index\.html$/, '')}`,
    'JS files': scripts.length,
    'JS gzip': kB(js.gzip),
    'JS raw': kB(js.raw),
    'in a workshop': kB(member.gzip),
    'CSS gzip': kB(css.gzip),
    'HTML gzip': kB(weigh(html).gzip),
  };
});

console.log(`Page weight of ${clientDir} (JS = external chunks after every island hydrates + inline scripts)`);
console.table(rows.sort((a, b) => a.page.localeCompare(b.page)));
const mermaid = readdirSync(path.join(clientDir, '_astro')).filter((name) => /mermaid/i.test(name));
console.log(`mermaid files shipped to the browser: ${mermaid.length}`);
