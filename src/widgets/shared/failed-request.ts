import { ApiError } from './http.ts';

/**
 * What a widget's loop needs to know about a request that failed: the HTTP
 * status (null when no answer came at all), the server's `Retry-After`, and
 * whether asking again could ever help.
 */

/** The HTTP status of a failure, or null when no answer arrived (network error, timeout, abort). */
export function failureStatus(failure: unknown): number | null {
  return failure instanceof ApiError ? failure.status : null;
}

/** The server's `Retry-After` in ms, or 0 when it sent none. */
export function retryAfterMsOf(failure: unknown): number {
  return failure instanceof ApiError ? (failure.retryAfterMs ?? 0) : 0;
}

/**
 * A 4xx means our request is wrong (or, for a 404, about something the server
 * no longer knows): asking again cannot help. 408 and 429 are the exceptions,
 * both meaning "later" (RFC 9110 §15.5.9, RFC 6585 §4).
 */
export function retryCannotHelp(status: number | null): boolean {
  return status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
}
