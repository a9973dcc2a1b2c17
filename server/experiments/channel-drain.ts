import { drainCloseReason, type ChannelDrainResult } from '../../src/protocol/production.ts';
import { WS_CLOSE } from '../../src/protocol/websocket.ts';
import type { LongPolling } from '../techniques/long-polling.ts';
import type { SseStreamRegistry } from '../techniques/sse-streams.ts';
import type { WebSocketEndpoint } from '../techniques/websocket.ts';

/** The techniques' connections a channel drain acts on. */
export interface DrainTargets {
  sseStreams: Pick<SseStreamRegistry, 'on'>;
  webSocket: Pick<WebSocketEndpoint, 'closeChannel'>;
  longPolling: Pick<LongPolling, 'drainChannel'>;
}

/** What a drain tells a channel's clients. */
export interface DrainSettings {
  /** What every client is told to wait before coming back. */
  retryMs: number;
  /** SSE streams each get `retryMs` plus a random share of this (0: all the same). */
  spreadMs: number;
}

export interface ChannelDrainOptions extends DrainSettings {
  /** [0, 1) like Math.random. */
  random?: () => number;
}

/**
 * Drains a channel wherever its clients are: this process's
 * ({@link localChannelDrainer}), or every instance's sharing a Redis
 * (`redis-channel-drains.ts`), the counts summed.
 */
export interface ChannelDrainer {
  drain(channel: string, settings: DrainSettings): Promise<ChannelDrainResult>;
}

/** The {@link ChannelDrainer} of one process: {@link drainChannel} on its own connections. */
export function localChannelDrainer(targets: DrainTargets, random?: () => number): ChannelDrainer {
  return { drain: async (channel, settings) => drainChannel(channel, targets, { ...settings, random }) };
}

// #region drain-channel
/**
 * Tells every client of one channel to go away and come back later, the way
 * a server that is about to restart should — each technique in its own words:
 *
 * - SSE: a `retry:` field, then a clean end of the stream. EventSource waits
 *   exactly that long, then reconnects with `Last-Event-ID` (WHATWG HTML
 *   §9.2.3). The browser adds no jitter of its own, so the server can: each
 *   stream gets its own random `retry:` within `spreadMs`. (Never a 503 to an
 *   EventSource: a non-200 answer stops it for good.)
 * - WebSocket: close 1012 Service Restart (RFC 6455 §7.4, IANA registry):
 *   "reconnect after a short wait"; the client's backoff spreads them.
 * - Long polling: each held poll is answered `503` with `Retry-After`
 *   (RFC 9110 §10.2.3), in whole seconds; the client polls again after it,
 *   with the same cursor.
 *
 * Only this channel's connections: the rest of the server carries on.
 */
export function drainChannel(channel: string, targets: DrainTargets, options: ChannelDrainOptions): ChannelDrainResult {
  const { retryMs, spreadMs, random = Math.random } = options;
  const streams = targets.sseStreams.on(channel);
  for (const stream of streams) {
    const retry = retryMs + Math.floor(random() * spreadMs);
    // `retry:` alone dispatches nothing; it only sets the reconnection time (§9.2.6).
    stream.write(`retry: ${retry}\n\n`);
    stream.end();
  }
  const webSockets = targets.webSocket.closeChannel(channel, WS_CLOSE.serviceRestart, drainCloseReason(retryMs));
  const retryAfter = retryAfterSeconds(retryMs);
  const longPolls = targets.longPolling.drainChannel(channel, retryAfter);
  return { sse: streams.length, webSockets, longPolls, retryMs, spreadMs, retryAfterSeconds: retryAfter };
}
// #endregion drain-channel

/** `Retry-After` is in whole seconds (RFC 9110 §10.2.3): rounded up, so nobody comes back early. */
export function retryAfterSeconds(retryMs: number): number {
  return Math.max(1, Math.ceil(retryMs / 1000));
}
