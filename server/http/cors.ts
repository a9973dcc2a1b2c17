import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodesAsPath, isApiPath } from './request-checks.ts';
import { parseRequestUrl } from './request-url.ts';
import type { Router } from './router.ts';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { SERVER_TIME_HEADER } from '../../src/protocol/jobs.ts';

/**
 * Cross-origin reads for the code a learner runs in the page's sandbox (an
 * `<iframe sandbox="allow-scripts">`, so an opaque origin: its requests carry
 * `Origin: null` and no cookies). Exactly the routes a learner's client reads
 * are open, to any origin and never with credentials, so a foreign page learns
 * through them only what it could fetch itself without a cookie
 * (docs/security.md, "Cross-origin reads").
 */
const CROSS_ORIGIN_PATTERNS: ReadonlySet<string> = new Set([
  apiRoutes.job.pattern,
  apiRoutes.longPoll.pattern,
  apiRoutes.sse.pattern,
  apiRoutes.exerciseRunInstanceStream.pattern,
]);

/** The request headers a learner's client sends: conditional polls, resumed streams (Fetch §3.2.2: not CORS-safelisted). */
const ALLOWED_REQUEST_HEADERS = ['If-None-Match', 'Last-Event-ID', 'Content-Type'];

/** The answer headers a learner's client reads; the rest stay hidden from a cross-origin script (Fetch §3.2.6). */
const EXPOSED_HEADERS = ['ETag', 'Retry-After', SERVER_TIME_HEADER].join(', ');

/** How long a browser may reuse a preflight's answer, in seconds (Chromium caps it at 7 200). */
const PREFLIGHT_MAX_AGE_S = 600;

/** Whether the route registered as `pattern` (e.g. `/api/jobs/:id`) answers other origins. */
export function allowsCrossOrigin(pattern: string): boolean {
  return CROSS_ORIGIN_PATTERNS.has(pattern);
}

/**
 * Lets any origin read this answer, without credentials: `*` makes a browser
 * refuse the answer to a request sent with cookies (Fetch §3.2.5), so no
 * learner's data can leak through it. Set before the handler runs, so its
 * problems (404, 429) are readable too.
 */
export function allowCrossOriginRead(response: ServerResponse): void {
  response.setHeader('Access-Control-Allow-Origin', '*');
  response.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
}

/**
 * Answers an `OPTIONS` request that is a CORS preflight for a cross-origin
 * route, and says whether it did: any other `OPTIONS` is left to the app (501).
 */
export function answeredPreflight(router: Pick<Router, 'match'>, request: IncomingMessage, response: ServerResponse): boolean {
  const { pathname } = parseRequestUrl(request);
  if (!isApiPath(pathname) || !decodesAsPath(pathname)) return false;
  const match = router.match('GET', pathname);
  if (match.kind !== 'found' || !allowsCrossOrigin(match.pattern)) return false;
  answerPreflight(response);
  return true;
}

/** Answers a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`, Fetch §4.8) for a cross-origin route: 204. */
function answerPreflight(response: ServerResponse): void {
  allowCrossOriginRead(response);
  response.setHeader('Access-Control-Allow-Methods', 'GET, HEAD');
  response.setHeader('Access-Control-Allow-Headers', ALLOWED_REQUEST_HEADERS.join(', '));
  response.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S));
  response.writeHead(204).end();
}
