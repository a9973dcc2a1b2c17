/**
 * Gzip at build time: once the pages and the search index are written, every
 * text file of 1 KiB or more gets a `.gz` sibling, compressed once at the
 * highest level, which server/http/static-files.ts sends to clients that
 * accept gzip. The server compresses nothing while it runs.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { AstroIntegration } from 'astro';

const gzipAsync = promisify(gzip);

/** Text formats worth compressing; images, fonts and Pagefind's index are compressed already. */
const COMPRESSIBLE = /\.(html|css|js|mjs|json|map|svg|txt|xml|webmanifest|csv)$/i;
/** Below this, gzip's own header and footer eat most of the gain. */
const MIN_BYTES = 1024;

/** Writes `file.gz` beside each compressible file under `dir`; resolves with how many. */
export async function precompressDirectory(dir: string): Promise<number> {
  let written = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !COMPRESSIBLE.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = await readFile(file);
    if (bytes.length < MIN_BYTES) continue;
    await writeFile(`${file}.gz`, await gzipAsync(bytes, { level: 9 }));
    written += 1;
  }
  return written;
}

/** The integration: listed after the search index, so Pagefind's scripts are compressed too. */
export function precompressed(): AstroIntegration {
  return {
    name: 'realtime-workbook:precompressed',
    hooks: {
      'astro:build:done': async ({ dir, logger }) => {
        const written = await precompressDirectory(fileURLToPath(dir));
        logger.info(`gzip: ${written} files precompressed`);
      },
    },
  };
}
