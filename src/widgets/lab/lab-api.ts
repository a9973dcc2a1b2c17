import { SERVER_TIME_HEADER } from '../../protocol/jobs.ts';
import type { CreateLabResponse, DropConnectionsResponse, LabRun, LabStats } from '../../protocol/lab.ts';
import type { RunLabRequest } from '../../protocol/request-bodies.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import { ApiError, errorFrom, isAbort } from '../shared/http.ts';

/** One stats answer and when it travelled, on the page's clock. */
export interface TimedStats {
  stats: LabStats;
  sentAt: number;
  receivedAt: number;
  /** `x-server-time`, or NaN when absent. */
  serverTime: number;
}

/** The lab's control calls (none of them is counted as lab traffic). */
export interface LabApi {
  /** `POST /api/labs` → a fresh lab and its channel. */
  create(signal?: AbortSignal): Promise<CreateLabResponse>;
  /** `POST /api/labs/{id}/run`: start publishing. */
  run(id: string, request: RunLabRequest, signal?: AbortSignal): Promise<LabRun>;
  /** `POST /api/labs/{id}/stop`: stop publishing. */
  stop(id: string, signal?: AbortSignal): Promise<LabRun | null>;
  /** `GET /api/labs/{id}/stats`, timed for the clock offset. */
  stats(id: string, signal?: AbortSignal): Promise<TimedStats>;
  /** `POST /api/labs/{id}/drop-connections`: cut every connection of the lab. */
  dropConnections(id: string, signal?: AbortSignal): Promise<DropConnectionsResponse>;
}

export interface LabApiOptions {
  /** Origin of the companion server; default the page's own. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** The page clock; must be the model's clock. */
  now?: () => number;
}

/** The origin every lab URL is resolved against: `baseUrl`, else the page's. */
export function resolveBase(baseUrl: string | undefined): string {
  const base = baseUrl ?? globalThis.location?.href;
  if (!base) throw new ApiError('No server address: pass baseUrl when not running in a page.');
  return base;
}

/** Creates the client. Touches no browser API until a call is made (safe during SSR). */
export function createLabApi(options: LabApiOptions = {}): LabApi {
  const doFetch = (input: string, init: RequestInit) => (options.fetch ?? globalThis.fetch)(input, init);
  const now = options.now ?? (() => Date.now());
  const url = (path: string) => new URL(path, resolveBase(options.baseUrl)).href;

  async function call<T>(path: string, init: RequestInit, expected: number): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(url(path), { cache: 'no-store', ...init, headers: { accept: 'application/json', ...init.headers } });
    } catch (error) {
      if (isAbort(error) || init.signal?.aborted) throw error;
      throw new ApiError('The server did not answer (network error).', { cause: error });
    }
    if (response.status !== expected) throw await errorFrom(response);
    return (await response.json()) as T;
  }

  const post = <T>(path: string, body: unknown, expected: number, signal?: AbortSignal) =>
    call<T>(
      path,
      {
        method: 'POST',
        signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      },
      expected,
    );

  return {
    create: (signal) => post<CreateLabResponse>(apiRoutes.labs.path(), undefined, 201, signal),
    run: (id, request, signal) => post<LabRun>(apiRoutes.labRun.path({ id }), request, 202, signal),
    stop: (id, signal) => post<LabRun | null>(apiRoutes.labStop.path({ id }), undefined, 200, signal),
    dropConnections: (id, signal) => post<DropConnectionsResponse>(apiRoutes.labDropConnections.path({ id }), undefined, 202, signal),
    async stats(id, signal) {
      const sentAt = now();
      let response: Response;
      try {
        response = await doFetch(url(apiRoutes.labStats.path({ id })), {
          cache: 'no-store',
          headers: { accept: 'application/json' },
          signal,
        });
      } catch (error) {
        if (isAbort(error) || signal?.aborted) throw error;
        throw new ApiError('The server did not answer (network error).', { cause: error });
      }
      if (response.status !== 200) throw await errorFrom(response);
      const serverTime = Number(response.headers.get(SERVER_TIME_HEADER) ?? NaN);
      // The header left the server before the body: the arrival of the headers is the fair end of the round trip.
      const receivedAt = now();
      const stats = (await response.json()) as LabStats;
      return { stats, sentAt, receivedAt, serverTime };
    },
  };
}
