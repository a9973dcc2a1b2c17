import { NOTE_EVENT_TYPE, SERVER_TIME_HEADER, type Job, type StartJobResponse } from '../../protocol/jobs.ts';
import type { StartJobRequest } from '../../protocol/request-bodies.ts';
import type { PublishResponse } from '../../protocol/events.ts';
import type { PublishRequest } from '../../protocol/request-bodies.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import { ApiError, companionServer, countResponseBytes, errorFrom, type ServerOptions } from '../shared/http.ts';
import { utf8Length } from '../../protocol/utf8-length.ts';

export { ApiError, countResponseBytes } from '../shared/http.ts';

/**
 * The short-polling widget's HTTP calls, and nothing else: no state, no timers.
 * The model (model.ts) decides when to call; tests replace this with a fake.
 */

/** One answer to `GET /api/jobs/{id}`. All times are the client's clock, ms since the epoch. */
export interface PollResult {
  /** `200` (a representation) or `304` (Not Modified: the version named in If-None-Match is current). */
  status: 200 | 304;
  /** The job, on a 200 only. */
  job?: Job;
  /** The `ETag` header (also sent on a 304), or null if absent. */
  etag: string | null;
  /** The server's clock when it answered (`x-server-time`), or null if absent. */
  serverTime: number | null;
  /** Size of the response: status line, headers and body, counted from the response itself (see `countResponseBytes`). */
  bytes: number;
  /** Bytes of the response body (0 for a 304): exact, the UTF-8 length of the JSON. */
  bodyBytes: number;
  /** When the request was sent. */
  sentAt: number;
  /** When the whole answer (body included) had arrived. */
  receivedAt: number;
}

/** What the widget needs from the server. */
export interface ShortPollingClient {
  /** `POST /api/jobs` → the new job's id and channel. */
  startJob(request: StartJobRequest, signal?: AbortSignal): Promise<StartJobResponse>;
  /** `GET /api/jobs/{id}`, conditional when `etag` is given (`If-None-Match`). */
  pollJob(id: string, etag?: string | null, signal?: AbortSignal): Promise<PollResult>;
  /** `POST /api/channels/{channel}/events` with a `note` event: unfinished jobs of the channel take `text` as their note. */
  publishNote(channel: string, text: string, signal?: AbortSignal): Promise<PublishResponse>;
  /** Releases what the client holds, if anything. */
  dispose?(): void;
}

export interface ShortPollingClientOptions extends ServerOptions {
  /** The client clock, ms since the epoch; default `Date.now`. Must be the model's clock too. */
  now?: () => number;
}

/** Creates the client. Touches no browser API until a call is made (safe during SSR). */
export function createShortPollingClient(options: ShortPollingClientOptions = {}): ShortPollingClient {
  const server = companionServer(options);
  const now = options.now ?? (() => Date.now());

  return {
    async startJob(request, signal) {
      const response = await server.postJson(apiRoutes.jobs.path(), request, 201, signal);
      const body = (await response.json()) as StartJobResponse;
      if (typeof body?.id !== 'string') throw new ApiError('The server answered POST /api/jobs without a job id.');
      return body;
    },

    async pollJob(id, etag, signal) {
      const target = server.url(apiRoutes.job.path({ id }));
      const headers: Record<string, string> = { accept: 'application/json' };
      // We send the validator ourselves (RFC 9110 §13.1.2). With `cache: 'no-store'`
      // the browser's HTTP cache neither adds its own validators nor turns a 304
      // into a 200 from its store, so the 304 reaches us as a 304 (Fetch Standard,
      // "HTTP-network-or-cache fetch").
      if (etag) headers['if-none-match'] = etag;
      const sentAt = now();
      const response = await server.call(target, { method: 'GET', headers, cache: 'no-store', signal });
      if (response.status !== 200 && response.status !== 304) throw await errorFrom(response);
      const text = response.status === 304 ? '' : await response.text();
      const receivedAt = now();

      let job: Job | undefined;
      if (response.status === 200) {
        job = parseJob(text);
        if (!job) throw new ApiError('The server answered with something that is not a job.', { status: 200 });
      }
      const bodyBytes = utf8Length(text);
      const serverTime = Number(response.headers.get(SERVER_TIME_HEADER));
      return {
        status: response.status as 200 | 304,
        job,
        etag: response.headers.get('etag'),
        serverTime: Number.isFinite(serverTime) && serverTime > 0 ? serverTime : null,
        bytes: countResponseBytes(response, bodyBytes),
        bodyBytes,
        sentAt,
        receivedAt,
      };
    },

    async publishNote(channel, text, signal) {
      const body: PublishRequest = { type: NOTE_EVENT_TYPE, data: { text } };
      const response = await server.postJson(apiRoutes.channelEvents.path({ channel }), body, 201, signal);
      return (await response.json()) as PublishResponse;
    },
  };
}

function parseJob(text: string): Job | undefined {
  try {
    const value = JSON.parse(text) as Job;
    if (value && typeof value === 'object' && typeof value.version === 'number' && typeof value.state === 'string') {
      return value;
    }
  } catch {
    // Not JSON: reported by the caller as "not a job".
  }
  return undefined;
}
