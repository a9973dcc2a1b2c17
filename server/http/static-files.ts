import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import path from 'node:path';
import { ifNoneMatchMatches } from '../techniques/short-polling.ts';
import { acceptsGzip, createGzipCache, isCompressible } from './gzip-cache.ts';
import { dropBodyHeaders } from './security-headers.ts';

/** Serves one request from a directory, or says it has no such file. */
export type StaticFileHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.wasm': 'application/wasm',
  '.csv': 'text/csv; charset=utf-8',
};

/**
 * Creates a handler that serves the built site's files from `root`
 * (`dist/client`): `/x/` → `x/index.html`; `/x` → `x`, `x.html` or
 * `x/index.html`. It answers GET and HEAD only and resolves `false` when no
 * file matches, so the next handler (the Astro renderer) can take over.
 *
 * Hashed assets under `/_astro/` never change, so they are cached for a year;
 * everything else is revalidated on each use with its `ETag`/`Last-Modified`.
 *
 * @param headersFor extra headers of a 200 by its `Content-Type` (the pages' security headers).
 */
export function createStaticFileHandler(
  root: string,
  headersFor: (contentType: string) => OutgoingHttpHeaders = () => ({}),
): StaticFileHandler {
  const absoluteRoot = path.resolve(root);
  const gzipped = createGzipCache();

  return async (request, response, url) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const found = await findFile(absoluteRoot, url.pathname);
    if (!found) return false;
    const { file, stats } = found;

    const version = `${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}`;
    const compressible = isCompressible(file, stats.size);
    const gzip = compressible && acceptsGzip(request);
    // A weak validator: size and modification time say "same file", not "same bytes" (RFC 9110 §8.8.1).
    // Each content coding is its own representation, so it gets its own tag.
    const etag = `W/"${version}${gzip ? '-gz' : ''}"`;
    response.setHeader('ETag', etag);
    response.setHeader('Last-Modified', stats.mtime.toUTCString());
    response.setHeader('Cache-Control', cacheControlFor(url.pathname, file));
    if (compressible) response.setHeader('Vary', 'Accept-Encoding');

    if (isNotModified(request, etag, stats)) {
      dropBodyHeaders(response);
      response.writeHead(304).end();
      return true;
    }

    const contentType = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    for (const [name, value] of Object.entries(headersFor(contentType))) if (value !== undefined) response.setHeader(name, value);
    if (gzip) {
      const body = await gzipped(file, version);
      response.writeHead(200, { 'Content-Type': contentType, 'Content-Encoding': 'gzip', 'Content-Length': body.length });
      response.end(request.method === 'HEAD' ? undefined : body);
      return true;
    }

    response.writeHead(200, { 'Content-Type': contentType, 'Content-Length': stats.size });
    if (request.method === 'HEAD') {
      response.end();
      return true;
    }
    const stream = createReadStream(file);
    // Headers are gone already: on a read error the only honest move is to cut the response short.
    stream.on('error', () => response.destroy());
    stream.pipe(response);
    return true;
  };
}

/** Maps a URL path to a file inside `root`, or `undefined` when the path is unsafe or nothing matches. */
async function findFile(root: string, pathname: string): Promise<{ file: string; stats: Stats } | undefined> {
  const relative = safeRelativePath(pathname);
  if (relative === undefined) return undefined;
  const base = path.join(root, relative);
  const candidates = pathname.endsWith('/') ? [path.join(base, 'index.html')] : [base, `${base}.html`, path.join(base, 'index.html')];
  for (const file of candidates) {
    // Belt and braces: whatever the decoding did, never leave the root.
    if (!file.startsWith(root + path.sep)) continue;
    const stats = await stat(file).catch(() => undefined);
    if (stats?.isFile()) return { file, stats };
  }
  return undefined;
}

/**
 * Decodes the URL path and refuses anything that could escape the root or
 * reach a file the build did not publish: invalid percent-encoding, NUL,
 * backslashes (a separator on Windows), `.`/`..` segments and dot-files.
 */
function safeRelativePath(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment.startsWith('.'))) return undefined;
  return segments.join('/');
}

function cacheControlFor(pathname: string, file: string): string {
  // Astro puts a content hash in every /_astro/ file name: a new build means a new URL.
  if (pathname.startsWith('/_astro/')) return 'public, max-age=31536000, immutable';
  // Pages and public/ files keep their URL across builds: reuse them only after revalidating.
  return file.endsWith('.html') ? 'no-cache' : 'public, no-cache';
}

/** RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since counts only without it. */
function isNotModified(request: IncomingMessage, etag: string, stats: Stats): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return ifNoneMatchMatches(ifNoneMatch, etag);
  const ifModifiedSince = request.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have one-second precision (RFC 9110 §5.6.7).
  return !Number.isNaN(since) && Math.floor(stats.mtimeMs / 1000) * 1000 <= since;
}
