import type { PublishResponse } from '../../protocol/events.ts';
import type { PublishRequest } from '../../protocol/request-bodies.ts';
import type { FaultRequest, FaultResponse } from '../../protocol/faults.ts';
import type { LongPollResponse } from '../../protocol/long-polling.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import { ApiError, companionServer, countResponseBytes, errorFrom, isAbort, type ServerOptions } from '../shared/http.ts';
import { utf8Length } from '../../protocol/utf8-length.ts';

export { ApiError } from '../shared/http.ts';

/**
 * The long-polling widget's HTTP calls, and nothing else: no state, no timers.
 * The model (model.ts) decides when to call; tests replace this with a fake.
 */

/** One answer to `GET /api/long-poll/{channel}`. All times are the client's clock, ms since the epoch. */
export interface LongPollResult {
  /** `200` (events after the cursor) or `204` (the hold timed out: nothing new). */
  status: 200 | 204;
  /** The events and the next cursor, on a 200 only. */
  body?: LongPollResponse;
  /** Size of the response: status line, headers and body, counted from the response itself (see `countResponseBytes`). */
  bytes: number;
  /** Bytes of the response body (0 for a 204): exact, the UTF-8 length of the JSON. */
  bodyBytes: number;
  /** When the request was sent. */
  sentAt: number;
  /** When the whole answer (body included) had arrived. */
  receivedAt: number;
}

/** What the widget needs from the server. */
export interface LongPollingClient {
  /**
   * `GET /api/long-poll/{channel}?cursor=N&timeout=MS`: held by the server
   * until an event after `cursor` exists (200) or `timeoutMs` passes (204).
   * Rejects with an {@link ApiError}: `status` null when no answer arrived
   * (the connection broke, even halfway through the body), else the HTTP
   * status with the problem's `detail` and `Retry-After`. Aborting `signal`
   * rejects with the abort error itself.
   */
  poll(channel: string, cursor: number, timeoutMs: number, signal?: AbortSignal): Promise<LongPollResult>;
  /** `POST /api/channels/{channel}/events` `{type, data}` → `{id, ts}`. */
  publish(channel: string, type: string, data: unknown, signal?: AbortSignal): Promise<PublishResponse>;
  /** `POST /api/channels/{channel}/faults` → `{type, affected}`. */
  injectFault(channel: string, fault: FaultRequest, signal?: AbortSignal): Promise<FaultResponse>;
  /** Releases what the client holds, if anything. */
  dispose?(): void;
}

export interface LongPollingClientOptions extends ServerOptions {
  /** The client clock, ms since the epoch; default `Date.now`. Must be the model's clock too. */
  now?: () => number;
}

/** What the reader reads when no answer came: we cannot tell a dropped response from a dead server. */
export const NO_ANSWER_MESSAGE = 'No answer: the connection closed before a response arrived (network error).';

/** Creates the client. Touches no browser API until a call is made (safe during SSR). */
export function createLongPollingClient(options: LongPollingClientOptions = {}): LongPollingClient {
  const server = companionServer(options, NO_ANSWER_MESSAGE);
  const now = options.now ?? (() => Date.now());

  /** Reads the body; a connection that dies halfway through it is a network error too. */
  async function readText(response: Response, signal: AbortSignal | undefined): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      if (isAbort(error) || signal?.aborted) throw error;
      throw new ApiError(NO_ANSWER_MESSAGE, { cause: error });
    }
  }

  async function postJson<T>(path: string, body: unknown, expected: number, signal?: AbortSignal): Promise<T> {
    const response = await server.postJson(path, body, expected, signal);
    const text = await readText(response, signal);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(`The server answered ${expected} with something that is not JSON.`, { status: expected });
    }
  }

  return {
    async poll(channel, cursor, timeoutMs, signal) {
      const target = server.url(apiRoutes.longPoll.path({ channel }, { cursor, timeout: timeoutMs }));
      const sentAt = now();
      // `no-store`: a held answer must never come from (or go into) the HTTP cache.
      const response = await server.call(target, { method: 'GET', headers: { accept: 'application/json' }, cache: 'no-store', signal });
      if (response.status !== 200 && response.status !== 204) throw await errorFrom(response);
      const text = response.status === 204 ? '' : await readText(response, signal);
      const receivedAt = now();

      let body: LongPollResponse | undefined;
      if (response.status === 200) {
        body = parseLongPollResponse(text);
        if (!body) throw new ApiError('The server answered 200 with something that is not {events, cursor}.', { status: 200 });
      }
      const bodyBytes = utf8Length(text);
      return {
        status: response.status as 200 | 204,
        body,
        bytes: countResponseBytes(response, bodyBytes),
        bodyBytes,
        sentAt,
        receivedAt,
      };
    },

    async publish(channel, type, data, signal) {
      const body: PublishRequest = { type, data };
      const answer = await postJson<PublishResponse>(apiRoutes.channelEvents.path({ channel }), body, 201, signal);
      if (typeof answer?.id !== 'number') throw new ApiError('The server accepted the event but sent no id.', { status: 201 });
      return answer;
    },

    async injectFault(channel, fault, signal) {
      return postJson<FaultResponse>(apiRoutes.channelFaults.path({ channel }), fault, 202, signal);
    },
  };
}

/** The 200 body, checked enough that the model can trust it; undefined when it is not one. */
export function parseLongPollResponse(text: string): LongPollResponse | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const { events, cursor, reset } = value as Partial<LongPollResponse>;
  if (!Array.isArray(events) || typeof cursor !== 'number') return undefined;
  const wellFormed = events.every(
    (event) =>
      event && typeof event === 'object' && Number.isInteger(event.id) && typeof event.type === 'string' && typeof event.ts === 'number',
  );
  if (!wellFormed) return undefined;
  return reset === true ? { events, cursor, reset } : { events, cursor };
}
