import { NOTE_EVENT_TYPE, SERVER_TIME_HEADER, type Job, type StartJobRequest, type StartJobResponse } from '../../protocol/jobs.ts';
import { type PublishRequest, type PublishResponse } from '../../protocol/events.ts';
import { paths } from '../../protocol/paths.ts';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from '../../protocol/problem.ts';

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
  /** Size of the response: headers plus body (see {@link bytesMeasured}). */
  bytes: number;
  /**
   * True when {@link bytes} is the browser's Resource Timing `transferSize`
   * (which, per that spec, counts the headers as a flat 300 B, so as not to
   * reveal them); false when it is our estimate: status line + the response
   * headers scripts can see + body.
   */
  bytesMeasured: boolean;
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
  /** Releases what the client holds (a PerformanceObserver). */
  dispose?(): void;
}

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

export interface ShortPollingClientOptions {
  /** Origin (and path prefix) of the companion server; default: the page's own origin. */
  baseUrl?: string;
  /** The fetch to use; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** The client clock, ms since the epoch; default `Date.now`. Must be the model's clock too. */
  now?: () => number;
}

/** Creates the client. Touches no browser API until a call is made (safe during SSR). */
export function createShortPollingClient(options: ShortPollingClientOptions = {}): ShortPollingClient {
  const doFetch = (input: string, init: RequestInit) => (options.fetch ?? globalThis.fetch)(input, init);
  const now = options.now ?? (() => Date.now());
  let transferSizes: TransferSizes | undefined;

  const url = (path: string): string => {
    const base = options.baseUrl ?? globalThis.location?.href;
    if (!base) throw new ApiError('No server address: pass baseUrl when not running in a page.');
    // Absolute, because Resource Timing entries are named by absolute URL.
    return new URL(path, base).href;
  };

  async function call(target: string, init: RequestInit): Promise<Response> {
    try {
      return await doFetch(target, init);
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new ApiError('Could not reach the companion server (network error). Is it running?', { cause: error });
    }
  }

  return {
    async startJob(request, signal) {
      const response = await call(url(paths.jobs), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(request),
        cache: 'no-store',
        signal,
      });
      if (response.status !== 201) throw await errorFrom(response);
      const body = (await response.json()) as StartJobResponse;
      if (typeof body?.id !== 'string') throw new ApiError('The server answered POST /api/jobs without a job id.');
      return body;
    },

    async pollJob(id, etag, signal) {
      const target = url(paths.job(id));
      const headers: Record<string, string> = { accept: 'application/json' };
      // We send the validator ourselves (RFC 9110 §13.1.2). With `cache: 'no-store'`
      // the browser's HTTP cache neither adds its own validators nor turns a 304
      // into a 200 from its store, so the 304 reaches us as a 304 (Fetch Standard,
      // "HTTP-network-or-cache fetch").
      if (etag) headers['if-none-match'] = etag;
      transferSizes ??= TransferSizes.create();
      const startMark = transferSizes?.mark();
      const sentAt = now();
      const response = await call(target, { method: 'GET', headers, cache: 'no-store', signal });
      if (response.status !== 200 && response.status !== 304) throw await errorFrom(response);
      const text = response.status === 304 ? '' : await response.text();
      const receivedAt = now();

      let job: Job | undefined;
      if (response.status === 200) {
        job = parseJob(text);
        if (!job) throw new ApiError('The server answered with something that is not a job.', { status: 200 });
      }
      const bodyBytes = utf8Length(text);
      const measured = startMark === undefined ? null : await transferSizes!.take(target, startMark);
      const serverTime = Number(response.headers.get(SERVER_TIME_HEADER));
      return {
        status: response.status as 200 | 304,
        job,
        etag: response.headers.get('etag'),
        serverTime: Number.isFinite(serverTime) && serverTime > 0 ? serverTime : null,
        bytes: measured ?? estimateResponseBytes(response, bodyBytes),
        bytesMeasured: measured !== null,
        bodyBytes,
        sentAt,
        receivedAt,
      };
    },

    async publishNote(channel, text, signal) {
      const body: PublishRequest = { type: NOTE_EVENT_TYPE, data: { text } };
      const response = await call(url(paths.channelEvents(channel)), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
        signal,
      });
      if (response.status !== 201) throw await errorFrom(response);
      return (await response.json()) as PublishResponse;
    },

    dispose() {
      transferSizes?.dispose();
      transferSizes = undefined;
    },
  };
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** Turns a non-success answer into an {@link ApiError} carrying the problem's `detail`. */
async function errorFrom(response: Response): Promise<ApiError> {
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

/** `Retry-After` is delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
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

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Our estimate of a response's size on the wire (HTTP/1.1): status line,
 * header lines, blank line, body. It undercounts the headers a browser hides
 * from scripts (Set-Cookie), and ignores TLS and HTTP/2 header compression.
 */
export function estimateResponseBytes(response: Pick<Response, 'status' | 'statusText' | 'headers'>, bodyBytes: number): number {
  let size = `HTTP/1.1 ${response.status} ${response.statusText}\r\n`.length + 2;
  response.headers.forEach((value, name) => {
    size += utf8Length(`${name}: ${value}\r\n`);
  });
  return size + bodyBytes;
}

/**
 * Finds the Resource Timing entry (W3C Resource Timing §4.3) of each poll to
 * read its `transferSize`: what the browser says it received, headers included.
 *
 * Why an observer: the performance timeline's resource buffer holds only 250
 * entries by default and then drops new ones, which a 250 ms poller fills in a
 * minute. A PerformanceObserver is told of every entry regardless, and
 * `takeRecords()` hands over the ones not yet delivered, synchronously.
 * Every poll of one job has the same URL; polls never overlap, so the entry
 * that started after the poll was sent is the poll's own.
 */
class TransferSizes {
  readonly #entries: PerformanceResourceTiming[] = [];
  readonly #observer: PerformanceObserver;

  private constructor() {
    this.#observer = new PerformanceObserver((list) => this.#add(list.getEntries()));
    this.#observer.observe({ type: 'resource', buffered: false });
  }

  static create(): TransferSizes | undefined {
    if (typeof PerformanceObserver === 'undefined' || typeof performance === 'undefined') return undefined;
    if (!PerformanceObserver.supportedEntryTypes?.includes('resource')) return undefined;
    try {
      return new TransferSizes();
    } catch {
      return undefined;
    }
  }

  /** A timestamp on the entries' clock, taken just before a request is sent. */
  mark(): number {
    return performance.now();
  }

  /**
   * The `transferSize` of the request to `url` that started after `startMark`,
   * or null when the browser reports none (0: cross-origin without
   * Timing-Allow-Origin, or a browser that does not tell).
   */
  async take(url: string, startMark: number): Promise<number | null> {
    // The entry is added when the network layer reports the load finished, which
    // can come a few ms after the body reached us: wait a little, then give up.
    for (const waitMs of [0, 2, 5, 10, 20]) {
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      this.#add(this.#observer.takeRecords());
      const index = this.#entries.findIndex((entry) => entry.name === url && entry.startTime >= startMark - 1);
      if (index >= 0) {
        const [entry] = this.#entries.splice(0, index + 1).slice(-1);
        return entry && entry.transferSize > 0 ? entry.transferSize : null;
      }
    }
    return null;
  }

  dispose(): void {
    this.#observer.disconnect();
    this.#entries.length = 0;
  }

  #add(entries: PerformanceEntryList): void {
    for (const entry of entries) {
      if (entry.entryType === 'resource' && entry.name.includes('/api/jobs/')) {
        this.#entries.push(entry as PerformanceResourceTiming);
      }
    }
    // Entries nobody claimed (e.g. the reader's own fetches) must not pile up.
    if (this.#entries.length > 50) this.#entries.splice(0, this.#entries.length - 50);
  }
}
