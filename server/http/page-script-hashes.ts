import { createHash } from 'node:crypto';
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** An inline `<script>` element: its attributes and its text. */
const INLINE_SCRIPT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;

/**
 * Script types a browser never runs (data blocks, HTML §4.12.1.1), so a
 * policy needs no hash for them: `application/json`, `application/ld+json`…
 */
const RUNS = /^(?:|module|text\/javascript|application\/javascript)$/i;

/**
 * The CSP sources (`sha256-…`) of every inline script in the built pages
 * under `clientDir` (`dist/client`): the theme script that runs before the
 * first paint, and the island loaders Astro writes into each page. Read once
 * at start, so a rebuilt site gets its own hashes on the next start.
 *
 * The hash is of the element's text exactly as served (CSP3 §8.4), so it
 * must be taken from the built file, never from the source.
 */
export function pageScriptHashes(clientDir: string): string[] {
  const hashes = new Set<string>();
  for (const file of htmlFiles(clientDir)) {
    const html = readFileSync(file, 'utf8');
    for (const [, attributes = '', text = ''] of html.matchAll(INLINE_SCRIPT)) {
      if (/\bsrc\s*=/i.test(attributes)) continue;
      const type = /\btype\s*=\s*["']?([^"'\s>]*)/i.exec(attributes)?.[1] ?? '';
      if (!RUNS.test(type)) continue;
      hashes.add(`sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`);
    }
  }
  return [...hashes].sort();
}

function htmlFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return []; // not built: pages answer 503 anyway
  }
  return entries.filter((entry) => entry.isFile() && entry.name.endsWith('.html')).map((entry) => path.join(entry.parentPath, entry.name));
}
