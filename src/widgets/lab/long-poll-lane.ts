import { labQuery } from '../../protocol/lab.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import { parseLongPollResponse } from '../long-polling/client.ts';
import { fullJitterBackoff } from '../../protocol/backoff.ts';
import { errorFrom, isAbort } from '../shared/http.ts';
import { LONG_POLL_HOLD_MS } from './settings.ts';
import { laneUrl, publishedAtOf, type LaneClient, type LaneContext } from './lane.ts';

/** Backoff after failures, as lesson 3's widget: 500 ms doubling to 15 s, full jitter, on top of Retry-After. */
const ERROR_BACKOFF = { baseMs: 500, capMs: 15_000 };

/**
 * Long polling of `GET /api/long-poll/{channel}?cursor=N&timeout=25000`: ask
 * again the moment an answer arrives (200 with events, or 204 after the hold),
 * with the cursor of the last event received; back off only after failures.
 */
export function createLongPollLane(context: LaneContext): LaneClient {
  const tag = labQuery(context.labId, context.technique);
  let cursor = 0;
  let controller: AbortController | null = null;
  let timer: unknown = null;
  let failures = 0;
  let stopped = false;

  async function poll(): Promise<void> {
    timer = null;
    if (stopped) return;
    controller = new AbortController();
    let waitMs = 0;
    try {
      const url = laneUrl(context, apiRoutes.longPoll.path({ channel: context.channel }, { cursor, timeout: LONG_POLL_HOLD_MS }), tag);
      const response = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', signal: controller.signal });
      if (response.status === 204) {
        context.answered(true);
      } else if (response.status === 200) {
        const body = parseLongPollResponse(await response.text());
        if (!body) throw new Error('The answer was not {events, cursor}.');
        context.deliver(body.events.map((event) => ({ id: event.id, publishedAt: publishedAtOf(event.data) })));
        cursor = body.cursor;
        context.answered(false);
      } else {
        throw await errorFrom(response);
      }
      failures = 0;
    } catch (error) {
      if (stopped || isAbort(error)) return;
      failures += 1;
      const retryAfter = (error as { retryAfterMs?: number }).retryAfterMs ?? 0;
      waitMs = fullJitterBackoff(failures, ERROR_BACKOFF, Math.random, retryAfter).delayMs;
      context.interrupted(`A long poll failed; asking again in ${Math.round(waitMs / 100) / 10} s with cursor ${cursor}.`);
    } finally {
      controller = null;
    }
    if (stopped) return;
    if (waitMs === 0) void poll();
    else timer = context.clock.setTimeout(() => void poll(), waitMs);
  }

  return {
    start() {
      void poll();
      // A held request says nothing until it answers: it listens as soon as it is sent.
      return Promise.resolve();
    },
    stop() {
      stopped = true;
      context.clock.clearTimeout(timer);
      controller?.abort();
    },
  };
}
