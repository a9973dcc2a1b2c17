import type { StartBuildResponse } from '../../protocol/builds.ts';
import type { StartBuildRequest } from '../../protocol/request-bodies.ts';
import type { FaultRequest, FaultResponse } from '../../protocol/faults.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import { HEARTBEAT_PARAM, LAST_EVENT_ID_PARAM } from '../../protocol/sse.ts';
import { ApiError, companionServer, type ServerOptions } from '../shared/http.ts';

/**
 * The SSE widget's I/O, and nothing else: no state, no timers. The model
 * (model.ts) and the wire reader (wire-reader.ts) decide when to call; tests
 * replace this with a fake.
 */

/** `EventSource.readyState` values (WHATWG HTML §9.2.2). */
export const READY_STATE = { connecting: 0, open: 1, closed: 2 } as const;

/** What the widget uses of a browser `EventSource`, so tests can fake one. */
export interface EventSourceLike {
  readonly url: string;
  /** 0 connecting (or waiting to reconnect), 1 open, 2 closed for good. */
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent<string>) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

/** Query options of `GET /api/sse/{channel}`. */
export interface StreamOptions {
  /** Heartbeat comment interval the stream should use, 1 000–60 000 ms. */
  heartbeatMs?: number;
  /** For a client that cannot send `Last-Event-ID` (a fresh EventSource, fetch): resume after this id. */
  lastEventId?: string;
}

/** What the widget needs from the server and the browser. */
export interface SseClient {
  /** The absolute URL of a channel's stream. */
  streamUrl(channel: string, options?: StreamOptions): string;
  /** `new EventSource(url)`: the browser's own reader, with automatic reconnect. */
  openEventSource(url: string): EventSourceLike;
  /** `GET` a stream with fetch, for the wire view: resolves with the response, its body unread. */
  fetchStream(url: string, signal: AbortSignal): Promise<Response>;
  /** `POST /api/builds` → the new build's id and line count. */
  startBuild(request: StartBuildRequest, signal?: AbortSignal): Promise<StartBuildResponse>;
  /** `POST /api/channels/{channel}/faults`. */
  sendFault(channel: string, fault: FaultRequest, signal?: AbortSignal): Promise<FaultResponse>;
}

export interface SseClientOptions extends ServerOptions {
  /** Default: the browser's `EventSource`. */
  EventSource?: new (
    url: string,
  ) => EventSourceLike;
}

/** Creates the client. Touches no browser API until a call is made (safe during SSR). */
export function createSseClient(options: SseClientOptions = {}): SseClient {
  const server = companionServer(options);

  return {
    streamUrl(channel, streamOptions = {}) {
      const target = new URL(server.url(apiRoutes.sse.path({ channel })));
      if (streamOptions.heartbeatMs !== undefined) target.searchParams.set(HEARTBEAT_PARAM, String(streamOptions.heartbeatMs));
      if (streamOptions.lastEventId) target.searchParams.set(LAST_EVENT_ID_PARAM, streamOptions.lastEventId);
      return target.href;
    },

    openEventSource(target) {
      const Source = options.EventSource ?? (globalThis.EventSource as unknown as new (url: string) => EventSourceLike);
      if (!Source) throw new ApiError('This browser has no EventSource.');
      return new Source(target);
    },

    fetchStream(target, signal) {
      // `no-store`: a stream must never come from a cache; the server says so too.
      return server.call(target, { method: 'GET', headers: { accept: 'text/event-stream' }, cache: 'no-store', signal });
    },

    async startBuild(request, signal) {
      const response = await server.postJson(apiRoutes.builds.path(), request, 201, signal);
      const body = (await response.json()) as StartBuildResponse;
      if (typeof body?.id !== 'string' || typeof body.totalLines !== 'number') {
        throw new ApiError('The server answered POST /api/builds without a build id or line count.');
      }
      return body;
    },

    async sendFault(channel, fault, signal) {
      const response = await server.postJson(apiRoutes.channelFaults.path({ channel }), fault, 202, signal);
      return (await response.json()) as FaultResponse;
    },
  };
}
