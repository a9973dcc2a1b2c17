import { CHANNEL_LATEST_LIMITS, type ChannelLatestResponse } from '../../src/protocol/channel-latest.ts';
import { SERVER_TIME_HEADER } from '../../src/protocol/jobs.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { RouteHandler } from '../http/router.ts';
import { dropBodyHeaders } from '../http/security-headers.ts';
import { sendJson } from '../http/send-json.ts';
import { assertValidChannel } from '../http/validate.ts';
import { ifNoneMatchMatches } from './short-polling.ts';

/**
 * `GET /api/channels/{channel}/latest` — the newest events of a channel as a
 * resource to short-poll (lesson 6 polls it with and without `If-None-Match`).
 *
 * The ETag is `"<epoch>.<latestId>"`: it changes exactly when an event is
 * published. Event ids start over at 1 when the log is lost (the in-memory log
 * when the server restarts), so the log's epoch keeps an old client's
 * `If-None-Match` from matching a different list that happens to end at the
 * same id: after a restart the client gets a 200, never a wrong 304. With the
 * shared log every instance gives the same ETag for the same list.
 */
export function channelLatestRoute(bus: Pick<EventBus, 'since' | 'latestId' | 'epoch'>): RouteHandler {
  return async ({ request, response, params }) => {
    const channel = params.channel;
    assertValidChannel(channel, 'path');
    const latestId = await bus.latestId(channel);
    const etag = `"${bus.epoch}.${latestId}"`;
    response.setHeader('ETag', etag);
    // A cache may keep the answer but must ask before reusing it (RFC 9111 §5.2.2.4), as for jobs.
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader(SERVER_TIME_HEADER, String(Date.now()));
    // Nothing published since the client's copy: headers only (RFC 9110 §13.1.2, §15.4.5).
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      dropBodyHeaders(response);
      response.writeHead(304).end();
      return;
    }
    const from = Math.max(0, latestId - CHANNEL_LATEST_LIMITS.maxEvents);
    const body: ChannelLatestResponse = { latestId, events: (await bus.since(channel, from)).events };
    sendJson(response, 200, body);
  };
}
