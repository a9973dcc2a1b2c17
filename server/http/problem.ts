import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemDetails } from '../../src/protocol/problem.ts';
import { API_CONTENT_SECURITY_POLICY } from './security-headers.ts';

/** What a route states about a problem; `title` defaults to the HTTP status phrase. */
export interface ProblemInit {
  status: number;
  /** One of {@link PROBLEM_TYPES}; `about:blank` when absent. */
  type?: string;
  title?: string;
  /** What went wrong with *this* request, phrased so the reader can fix it. */
  detail: string;
  /** Extension members (RFC 9457 §3.2), e.g. `{ field: 'durationMs' }`. */
  extensions?: Record<string, unknown>;
  /** Extra response headers, e.g. `Allow` on 405 or `Retry-After` on 503. */
  headers?: OutgoingHttpHeaders;
}

/**
 * An error a route throws to answer with a problem: the app's error handler
 * turns it into an `application/problem+json` response. Anything else thrown
 * is a bug and becomes a logged 500.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly init: ProblemInit;

  constructor(init: ProblemInit) {
    super(init.detail);
    this.init = init;
  }

  get status(): number {
    return this.init.status;
  }
}

/** Builds the RFC 9457 body for `init`. */
export function problemBody(init: ProblemInit): ProblemDetails {
  const type = init.type ?? PROBLEM_TYPES.generic;
  // RFC 9457 §4.2.1: with `about:blank` the title SHOULD be the status phrase.
  const title = init.title ?? STATUS_CODES[init.status] ?? 'Error';
  // Extensions first, so they can never overwrite the four standard members.
  return { ...init.extensions, type, title, status: init.status, detail: init.detail };
}

/** Writes `init` as an `application/problem+json` response (RFC 9457 §3). */
export function sendProblem(response: ServerResponse, init: ProblemInit): void {
  const body = JSON.stringify(problemBody(init));
  response.writeHead(init.status, {
    ...init.headers,
    'Content-Type': PROBLEM_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
    // An error describes this request only; a cache must not replay it.
    'Cache-Control': 'no-store',
    // Whatever path it answers, a problem is data: nothing in it may run.
    'Content-Security-Policy': API_CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
}
