import type { PublishResponse } from '../../protocol/events.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import {
  SCALING_FEED,
  SCALING_NOTE_TYPE,
  type InstanceAction,
  type InstanceName,
  type ScalingAvailability,
  type ScalingDemoState,
  type ScalingNote,
} from '../../protocol/scaling.ts';
import type { StartScalingDemoRequest } from '../../protocol/request-bodies.ts';
import { HEARTBEAT_PARAM, LAST_EVENT_ID_PARAM } from '../../protocol/sse.ts';
import type { EventSourceLike } from '../sse/client.ts';
import { ApiError, companionServer, errorFrom, type ServerOptions } from '../shared/http.ts';

/**
 * Lesson 8's widget's I/O, and nothing else: no state, no timers. Every
 * request goes to this page's own origin; the server forwards what is meant
 * for an instance (`/api/scaling/{channel}/…`). Tests replace this with a fake.
 */
export interface ScalingClient {
  /** `GET /api/scaling`: whether the backplane can run here. */
  availability(): Promise<ScalingAvailability>;
  /** `POST /api/scaling/{channel}`: starts (or restarts) the pair; resolves once both instances are ready. */
  start(channel: string, request: StartScalingDemoRequest): Promise<ScalingDemoState>;
  /** `GET /api/scaling/{channel}`: the demo now; an {@link ApiError} with status 404 once it stopped. */
  state(channel: string, signal?: AbortSignal): Promise<ScalingDemoState>;
  /** `DELETE /api/scaling/{channel}`. */
  stop(channel: string): Promise<void>;
  /** `POST /api/scaling/{channel}/instances/{instance}/{action}`. */
  act(channel: string, instance: InstanceName, action: InstanceAction): Promise<ScalingDemoState>;
  /** Publishes a note on one instance's feed. */
  publish(channel: string, on: InstanceName, text: string): Promise<PublishResponse>;
  /** The feed's stream through the demo's sticky balancer, pinned to `pinned`. */
  streamUrl(channel: string, pinned: InstanceName, options?: { heartbeatMs?: number; lastEventId?: string }): string;
  openEventSource(url: string): EventSourceLike;
}

export interface ScalingClientOptions extends ServerOptions {
  EventSource?: new (url: string) => EventSourceLike;
}

/** Creates the client. Touches no browser API until a call is made (safe during SSR). */
export function createScalingClient(options: ScalingClientOptions = {}): ScalingClient {
  const server = companionServer(options);
  const json = async <T>(path: string, init: RequestInit, expected: number): Promise<T> => {
    const response = await server.call(server.url(path), {
      cache: 'no-store',
      ...init,
      headers: { accept: 'application/json', ...init.headers },
    });
    if (response.status !== expected) throw await errorFrom(response);
    return (await response.json()) as T;
  };

  return {
    availability: () => json(apiRoutes.scaling.path(), {}, 200),
    start: async (channel, request) =>
      (await server.postJson(apiRoutes.scalingDemo.path({ channel }), request, 201)).json() as Promise<ScalingDemoState>,
    state: (channel, signal) => json(apiRoutes.scalingDemo.path({ channel }), { signal }, 200),
    async stop(channel) {
      const response = await server.call(server.url(apiRoutes.scalingDemo.path({ channel })), { method: 'DELETE', cache: 'no-store' });
      if (response.status !== 204) throw await errorFrom(response);
    },
    act: (channel, instance, action) => json(apiRoutes.scalingAction.path({ channel, instance, action }), { method: 'POST' }, 200),
    async publish(channel, on, text) {
      const note: ScalingNote = { text, on };
      const response = await server.postJson(
        apiRoutes.scalingPublish.path({ channel, instance: on, feed: SCALING_FEED }),
        { type: SCALING_NOTE_TYPE, data: note },
        201,
      );
      return (await response.json()) as PublishResponse;
    },
    streamUrl(channel, pinned, query = {}) {
      const target = new URL(server.url(apiRoutes.scalingStickyStream.path({ channel, instance: pinned, feed: SCALING_FEED })));
      if (query.heartbeatMs !== undefined) target.searchParams.set(HEARTBEAT_PARAM, String(query.heartbeatMs));
      if (query.lastEventId) target.searchParams.set(LAST_EVENT_ID_PARAM, query.lastEventId);
      return target.href;
    },
    openEventSource(url) {
      const Source = options.EventSource ?? (globalThis.EventSource as unknown as new (url: string) => EventSourceLike);
      if (!Source) throw new ApiError('This browser has no EventSource.');
      return new Source(url);
    },
  };
}
