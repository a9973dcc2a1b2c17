import type { StartBuildResponse } from '../../protocol/builds.ts';
import type { StartBuildRequest } from '../../protocol/request-bodies.ts';
import type { PublishResponse } from '../../protocol/events.ts';
import type { LongPollResponse } from '../../protocol/long-polling.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import type { StartDrainResponse, StartSlowConsumerResponse, StartStormResponse } from '../../protocol/production.ts';
import type { StartDrainRequest, StartSlowConsumerRequest, StartStormRequest } from '../../protocol/request-bodies.ts';
import { HEARTBEAT_PARAM, LAST_EVENT_ID_PARAM } from '../../protocol/sse.ts';
import { WS_PATH } from '../../protocol/websocket.ts';
import type { EventSourceLike } from '../sse/client.ts';
import { ApiError, companionServer, errorFrom, type ServerOptions } from '../shared/http.ts';

/**
 * Lesson 7's widgets' I/O, and nothing else: no state, no timers. The
 * models decide when to call; tests replace this with a fake.
 */
export interface ProductionClient {
  startStorm(request: StartStormRequest): Promise<StartStormResponse>;
  startSlowConsumer(request: StartSlowConsumerRequest): Promise<StartSlowConsumerResponse>;
  startDrain(request: StartDrainRequest): Promise<StartDrainResponse>;
  /**
   * `DELETE` the experiment, with `keepalive` so it goes out even while the
   * page unloads (`pagehide`). Fire and forget: the page won't be there for the answer.
   */
  stopExperiment(id: string): void;
  startBuild(request: StartBuildRequest): Promise<StartBuildResponse>;
  publish(channel: string, type: string, data: unknown): Promise<PublishResponse>;
  /** The URL of a channel's SSE stream (`?heartbeat=`, `?lastEventId=` when given). */
  streamUrl(channel: string, options?: { heartbeatMs?: number; lastEventId?: string }): string;
  /** The same stream through the idle-killing hop. */
  hopUrl(idleMs: number, channel: string, options?: { heartbeatMs?: number; lastEventId?: string }): string;
  /** `GET` a stream with fetch: resolves with the response, its body unread. */
  fetchStream(url: string, signal: AbortSignal): Promise<Response>;
  openEventSource(url: string): EventSourceLike;
  /** `ws://…/ws` (or `wss://`) of the companion server. */
  webSocketUrl(): string;
  openWebSocket(url: string): WebSocket;
  /**
   * One long poll: `events` on 200, `timeout` on 204; any other status
   * rejects with an {@link ApiError} carrying `Retry-After`.
   */
  longPoll(channel: string, cursor: number, timeoutMs: number, signal: AbortSignal): Promise<LongPollAnswer>;
}

export type LongPollAnswer = { kind: 'events'; body: LongPollResponse } | { kind: 'timeout' };

export interface ProductionClientOptions extends ServerOptions {
  EventSource?: new (url: string) => EventSourceLike;
  WebSocket?: new (url: string) => WebSocket;
}

/** Creates the client. Touches no browser API until a call is made (safe during SSR). */
export function createProductionClient(options: ProductionClientOptions = {}): ProductionClient {
  const server = companionServer(options);
  const withQuery = (path: string, query: { heartbeatMs?: number; lastEventId?: string } = {}) => {
    const target = new URL(server.url(path));
    if (query.heartbeatMs !== undefined) target.searchParams.set(HEARTBEAT_PARAM, String(query.heartbeatMs));
    if (query.lastEventId) target.searchParams.set(LAST_EVENT_ID_PARAM, query.lastEventId);
    return target.href;
  };
  const post = async <T>(path: string, body: unknown, expected: number): Promise<T> =>
    (await (await server.postJson(path, body, expected)).json()) as T;

  return {
    startStorm: (request) => post(apiRoutes.storms.path(), request, 202),
    startSlowConsumer: (request) => post(apiRoutes.slowConsumers.path(), request, 202),
    startDrain: (request) => post(apiRoutes.drains.path(), request, 202),
    stopExperiment(id) {
      server.call(server.url(apiRoutes.experiment.path({ id })), { method: 'DELETE', keepalive: true }).catch(() => {
        // Unreachable or gone: the experiment ends on its own anyway.
      });
    },
    startBuild: (request) => post(apiRoutes.builds.path(), request, 201),
    publish: (channel, type, data) => post(apiRoutes.channelEvents.path({ channel }), { type, data }, 201),
    streamUrl: (channel, query) => withQuery(apiRoutes.sse.path({ channel }), query),
    hopUrl: (idleMs, channel, query) => withQuery(apiRoutes.idleHop.path({ idleMs, channel }), query),
    fetchStream: (url, signal) => server.call(url, { method: 'GET', headers: { accept: 'text/event-stream' }, cache: 'no-store', signal }),
    openEventSource(url) {
      const Source = options.EventSource ?? (globalThis.EventSource as unknown as new (url: string) => EventSourceLike);
      if (!Source) throw new ApiError('This browser has no EventSource.');
      return new Source(url);
    },
    webSocketUrl: () => server.url(WS_PATH).replace(/^http/, 'ws'),
    openWebSocket(url) {
      const Socket = options.WebSocket ?? globalThis.WebSocket;
      if (!Socket) throw new ApiError('This browser has no WebSocket.');
      return new Socket(url);
    },
    async longPoll(channel, cursor, timeoutMs, signal) {
      const response = await server.call(server.url(apiRoutes.longPoll.path({ channel }, { cursor, timeout: timeoutMs })), {
        cache: 'no-store',
        signal,
      });
      if (response.status === 204) return { kind: 'timeout' };
      if (response.status !== 200) throw await errorFrom(response);
      return { kind: 'events', body: (await response.json()) as LongPollResponse };
    },
  };
}
