import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Text formats worth compressing; images and fonts are compressed already. */
const COMPRESSIBLE = /\.(html|css|js|mjs|json|map|svg|txt|xml|webmanifest|csv)$/i;
/** Below this, gzip's own header and footer eat most of the gain. */
const MIN_BYTES = 1024;
/** The built site is a few hundred files at most; the bound only guards against surprises. */
const MAX_ENTRIES = 1000;

/** True when the client accepts gzip (RFC 9110 §12.5.3), ignoring an explicit `q=0`. */
export function acceptsGzip(request: IncomingMessage): boolean {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((coding) => {
    const [name, ...params] = coding.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    return (name === 'gzip' || name === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export function isCompressible(file: string, size: number): boolean {
  return size >= MIN_BYTES && COMPRESSIBLE.test(file);
}

/**
 * The gzip bytes of a built file, compressed once per version of the file and
 * kept in memory: a built site does not change while the server runs.
 */
export function createGzipCache(): (file: string, version: string) => Promise<Buffer> {
  const cache = new Map<string, Promise<Buffer>>();
  return (file, version) => {
    const key = `${file}\0${version}`;
    let entry = cache.get(key);
    if (!entry) {
      if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      entry = readFile(file).then((bytes) => gzipAsync(bytes, { level: 9 }));
      entry.catch(() => cache.delete(key));
      cache.set(key, entry);
    }
    return entry;
  };
}
