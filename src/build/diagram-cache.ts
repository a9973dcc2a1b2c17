/**
 * The committed cache of rendered diagrams: one SVG file per diagram and theme,
 * named by a hash of everything that determines its pixels. A fresh clone builds
 * without a browser as long as every diagram's file is present.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the cache lives by default, relative to the project root (the build's cwd). */
export const DEFAULT_DIAGRAM_CACHE_DIR = 'src/build/diagram-cache';

/** What a cache entry is keyed by. */
export interface DiagramCacheInput {
  /** The mermaid source as rendered (caption comment removed). */
  source: string;
  /** Theme name, e.g. `light` or `dark`. */
  theme: string;
  /** The renderer's version string: mermaid version plus its configuration. */
  rendererVersion: string;
}

/** The hex SHA-256 that names the entry for `input`. */
export function diagramCacheKey({ source, theme, rendererVersion }: DiagramCacheInput): string {
  // JSON keeps the three fields apart, so no source can imitate another theme.
  return createHash('sha256')
    .update(JSON.stringify([rendererVersion, theme, source]))
    .digest('hex');
}

/** The cached SVG for `key`, or `undefined` on a miss. */
export function readCachedSvg(cacheDir: string, key: string): string | undefined {
  try {
    return readFileSync(join(cacheDir, `${key}.svg`), 'utf8').trimEnd();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Stores `svg` under `key`, ending in a newline so the file diffs cleanly. */
export function writeCachedSvg(cacheDir: string, key: string, svg: string): void {
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename: `astro dev` and a build may render the same diagram at once,
  // and a reader must never see half a file.
  const temporary = join(cacheDir, `.${key}.${process.pid}.tmp`);
  writeFileSync(temporary, `${svg}\n`);
  renameSync(temporary, join(cacheDir, `${key}.svg`));
}
