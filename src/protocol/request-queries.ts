/**
 * The query parameters of the API as zod schemas, beside the bodies
 * (`request-bodies.ts`): one definition gives the type a route's path builder
 * takes (`api-routes.ts` imports it as a type only, so pages download no zod)
 * and the server's check (`readQuery` in `server/http/query.ts`).
 *
 * Every value arrives as a string; a schema turns it into what the handler
 * uses. A message says what the parameter must be, and the server puts it
 * after the parameter and its value. Parameters a schema does not name are
 * left alone: the lab tags any request with `?lab=…&via=…`.
 */
import * as z from 'zod/mini';
import { LONG_POLL_LIMITS } from './long-polling.ts';
import { HEARTBEAT_PARAM, LAST_EVENT_ID_PARAM, SSE_LIMITS } from './sse.ts';

/**
 * A whole number written as plain digits, from `min` to `max`: no sign,
 * point, exponent or hex (`Number()` alone would take `1e3` and `0x10`).
 */
function wholeNumberParam(min: number, max: number) {
  const rule = { error: max === Infinity ? `a whole number, at least ${min}` : `a whole number from ${min} to ${max}` };
  return z.pipe(
    z.string(rule).check(z.regex(/^\d+$/, rule)),
    z.pipe(z.transform(Number), z.number().check(z.gte(min, rule), z.lte(max, rule))),
  );
}

/** `GET /api/long-poll/{channel}?cursor=N&timeout=MS`. */
export const longPollQuery = z.object({
  /** The id of the last event the client has (0 before the first). */
  cursor: wholeNumberParam(0, Number.MAX_SAFE_INTEGER),
  /**
   * How long to hold the request, in ms (`LONG_POLL_LIMITS.defaultTimeoutMs`
   * when absent). Longer holds are cut to `maxTimeoutMs` rather than refused.
   */
  timeout: z.optional(wholeNumberParam(LONG_POLL_LIMITS.minTimeoutMs, Infinity)),
});
export type LongPollQuery = z.output<typeof longPollQuery>;

/**
 * Where a stream resumes, for clients that cannot set `Last-Event-ID` (the
 * header wins): the workshop streams and the scaling demo's forwarded ones.
 * Any text: one the log cannot continue from gets a `reset` event, not a 400.
 */
export const resumeQuery = z.object({
  [LAST_EVENT_ID_PARAM]: z.optional(z.string()),
});
export type ResumeQuery = z.output<typeof resumeQuery>;

/** `GET /api/sse/{channel}?heartbeat=MS&lastEventId=N`. */
export const sseQuery = z.extend(resumeQuery, {
  /** This stream's heartbeat interval, in ms (the server's `SSE_HEARTBEAT_MS` when absent). */
  [HEARTBEAT_PARAM]: z.optional(wholeNumberParam(SSE_LIMITS.minHeartbeatMs, SSE_LIMITS.maxHeartbeatMs)),
});
export type SseQuery = z.output<typeof sseQuery>;
