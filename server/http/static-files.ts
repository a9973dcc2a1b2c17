import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import path from 'node:path';
import etag from 'etag';
import { contentType as contentTypeOf } from 'mime-types';
import send from 'send';
import { ifNoneMatchMatches } from '../techniques/short-polling.ts';
import { sendProblem } from './problem.ts';
import { dropBodyHeaders } from './security-headers.ts';

/** Serves one request from a directory, or says it has no such file. */
export type StaticFileHandler = (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean>;

/** What `send` refuses once the file is found (RFC 9110 §13.1.1, §13.1.4, §14.2). */
const REFUSALS: Record<number, string> = {
  412: 'The file no longer matches the If-Match or If-Unmodified-Since of the request.',
  416: 'The Range of the request starts past the end of the file.',
};

/**
 * Creates a handler that serves the built site's files from `root`
 * (`dist/client`): `/x/` → `x/index.html`; `/x` → `x`, `x.html` or
 * `x/index.html`. It answers GET and HEAD only and resolves `false` when no
 * file matches, so the next handler (the Astro renderer) can take over.
 *
 * Validators are `etag`'s weak tag of size and modification time, and
 * `Last-Modified`; a request that holds them gets a 304. `send` (the file
 * server under Express's `serve-static`) writes a 200: the body streamed,
 * HEAD, ranges, `If-Match`. The build wrote a `.gz` beside each text file
 * worth compressing (src/build/precompress.ts); a client that accepts gzip
 * gets that file, whose own size and time give it its own `ETag`: each
 * content coding is its own representation.
 *
 * Hashed assets under `/_astro/` never change, so they are cached for a year;
 * everything else is revalidated on each use.
 *
 * @param headersFor extra headers of a 200 by its `Content-Type` (the pages' security headers).
 */
export function createStaticFileHandler(
  root: string,
  headersFor: (contentType: string) => OutgoingHttpHeaders = () => ({}),
): StaticFileHandler {
  const absoluteRoot = path.resolve(root);

  return async (request, response, url) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    const found = await findFile(absoluteRoot, url.pathname);
    if (!found) return false;
    const { file } = found;
    const gzipped = await fileStats(`${file}.gz`);
    const sent = gzipped && acceptsGzip(request) ? { file: `${file}.gz`, stats: gzipped } : found;

    // The validators send would write, set first so that the 304 below and send agree.
    const tag = etag(sent.stats);
    response.setHeader('ETag', tag);
    response.setHeader('Last-Modified', sent.stats.mtime.toUTCString());
    response.setHeader('Cache-Control', cacheControlFor(url.pathname, file));
    if (gzipped) response.setHeader('Vary', 'Accept-Encoding');
    // Decided here rather than by send, whose check treats a request's `Cache-Control: no-cache`
    // (which fetch() adds to every conditional request) as "always send the body".
    if (isNotModified(request, tag, sent.stats)) {
      dropBodyHeaders(response);
      response.writeHead(304).end();
      return true;
    }

    const contentType = contentTypeOf(path.extname(file)) || 'application/octet-stream';
    return new Promise<boolean>((resolve) => {
      let answering = false;
      send(request, urlPathOf(path.relative(absoluteRoot, sent.file)), { root: absoluteRoot, cacheControl: false, index: false })
        .on('headers', () => {
          answering = true;
          response.setHeader('Content-Type', contentType);
          if (sent !== found) response.setHeader('Content-Encoding', 'gzip');
          for (const [name, value] of Object.entries(headersFor(contentType))) if (value !== undefined) response.setHeader(name, value);
          resolve(true);
        })
        .on('error', (error: Error & { status?: number; headers?: OutgoingHttpHeaders }) => {
          // Once the body has started, the only honest move is to cut it short.
          if (response.headersSent) response.destroy();
          // Gone between the lookup and the read: the next handler answers, without this file's validators.
          else if (!answering) {
            for (const name of ['ETag', 'Last-Modified', 'Cache-Control', 'Vary']) response.removeHeader(name);
            resolve(false);
          } else {
            for (const name of ['ETag', 'Last-Modified', 'Content-Encoding', 'Accept-Ranges']) response.removeHeader(name);
            const status = error.status ?? 500;
            sendProblem(response, { status, detail: REFUSALS[status] ?? 'The file could not be read.', headers: error.headers });
          }
        })
        .pipe(response);
    });
  };
}

/** True when the client accepts gzip (RFC 9110 §12.5.3), ignoring an explicit `q=0`. */
function acceptsGzip(request: IncomingMessage): boolean {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((coding) => {
    const [name, ...params] = coding.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    return (name === 'gzip' || name === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
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
    const stats = await fileStats(file);
    if (stats) return { file, stats };
  }
  return undefined;
}

/** The stats of `file` when it is a regular file. */
async function fileStats(file: string): Promise<Stats | undefined> {
  const stats = await stat(file).catch(() => undefined);
  return stats?.isFile() ? stats : undefined;
}

/** A file's path below the root as the URL path `send` decodes again. */
function urlPathOf(relative: string): string {
  return `/${relative.split(path.sep).map(encodeURIComponent).join('/')}`;
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

function cacheControlFor(pathname: string, file: string): string {
  // Astro puts a content hash in every /_astro/ file name: a new build means a new URL.
  if (pathname.startsWith('/_astro/')) return 'public, max-age=31536000, immutable';
  // Pages and public/ files keep their URL across builds: reuse them only after revalidating.
  return file.endsWith('.html') ? 'no-cache' : 'public, no-cache';
}
