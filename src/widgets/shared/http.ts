import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from '../../protocol/problem.ts';
import { utf8Length } from '../../protocol/utf8-length.ts';

/**
 * HTTP helpers shared by the widgets' clients: how they reach the companion
 * server, one error type carrying what the reader should read, Retry-After,
 * and response sizes.
 */

/**
 * A failed call. `message` is what the reader should read: the server's
 * problem `detail` when there is one (RFC 9457), else a plain explanation.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  /** HTTP status, or null when no answer arrived (network error, timeout). */
  readonly status: number | null;
  /** The problem document, when the server sent one. */
  readonly problem: ProblemDetails | undefined;
  /** From `Retry-After` (RFC 9110 §10.2.3), in ms, when the server asked us to wait. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { status?: number | null; problem?: ProblemDetails; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.status = options.status ?? null;
    this.problem = options.problem;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Where a widget's client finds the companion server. */
export interface ServerOptions {
  /** Origin (and path prefix) of the companion server; default: the page's own origin. */
  baseUrl?: string;
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** The calls every widget client makes the same way; built by {@link companionServer}. */
export interface CompanionServer {
  /** `path` as an absolute URL (Resource Timing names its entries by absolute URL). */
  url(path: string): string;
  /** fetch, with a network failure turned into an {@link ApiError} (status null); aborts pass through. */
  call(target: string, init: RequestInit): Promise<Response>;
  /**
   * `POST path` with a JSON body, bypassing the HTTP cache. Any status but
   * `expected` becomes an {@link ApiError}; the response comes back with its body unread.
   */
  postJson(path: string, body: unknown, expected: number, signal?: AbortSignal): Promise<Response>;
}

/** What the reader reads when a call got no answer at all. */
export const UNREACHABLE_MESSAGE = 'Could not reach the companion server (network error). Is it running?';

/**
 * The companion server as one widget client sees it. Touches no browser API
 * until a call is made (safe during SSR).
 * @param noAnswerMessage the {@link ApiError} message of a call that got no answer.
 */
export function companionServer(options: ServerOptions = {}, noAnswerMessage = UNREACHABLE_MESSAGE): CompanionServer {
  const url = (path: string): string => {
    const base = options.baseUrl ?? globalThis.location?.href;
    if (!base) throw new ApiError('No server address: pass baseUrl when not running in a page.');
    return new URL(path, base).href;
  };

  async function call(target: string, init: RequestInit): Promise<Response> {
    try {
      return await (options.fetch ?? globalThis.fetch)(target, init);
    } catch (error) {
      if (isAbort(error) || init.signal?.aborted) throw error;
      throw new ApiError(noAnswerMessage, { cause: error });
    }
  }

  async function postJson(path: string, body: unknown, expected: number, signal?: AbortSignal): Promise<Response> {
    const response = await call(url(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      signal,
    });
    if (response.status !== expected) throw await errorFrom(response);
    return response;
  }

  return { url, call, postJson };
}

/**
 * What the reader reads about a failure: its message (for an {@link ApiError},
 * the server's problem `detail` or a plain explanation), else its name.
 */
export function errorMessage(failure: unknown): string {
  if (failure instanceof Error) return failure.message || failure.name;
  return String(failure);
}

/** True for the rejection of an aborted fetch (our own AbortController or AbortSignal.timeout). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Turns a non-success answer into an {@link ApiError} carrying the problem's `detail`. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  let problem: ProblemDetails | undefined;
  if ((response.headers.get('content-type') ?? '').includes(PROBLEM_CONTENT_TYPE)) {
    try {
      problem = (await response.json()) as ProblemDetails;
    } catch {
      problem = undefined; // A broken problem document still leaves us the status line.
    }
  }
  const message =
    typeof problem?.detail === 'string' && problem.detail
      ? problem.detail
      : `The server answered ${response.status} ${response.statusText || 'with an error'}.`;
  return new ApiError(message, { status: response.status, problem, retryAfterMs: retryAfter });
}

/** `Retry-After` is delay-seconds or an HTTP-date (RFC 9110 §10.2.3); the result is in ms. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * A response's size on the wire over HTTP/1.1, counted from the response
 * itself: status line, each header line, the blank line, the body. Exact for
 * this server, except for headers a browser hides from scripts (Set-Cookie,
 * which its API answers never carry). Not TLS, and not HTTP/2, which
 * compresses headers (HPACK).
 *
 * Why not the browser's Resource Timing `transferSize`: it counts the headers
 * as a flat 300 B, whatever they are, so a page cannot learn how big its
 * cookies are (W3C Resource Timing, `transferSize`).
 */
export function countResponseBytes(response: Pick<Response, 'status' | 'statusText' | 'headers'>, bodyBytes: number): number {
  let size = `HTTP/1.1 ${response.status} ${response.statusText}\r\n`.length + 2;
  response.headers.forEach((value, name) => {
    size += utf8Length(`${name}: ${value}\r\n`);
  });
  return size + bodyBytes;
}
