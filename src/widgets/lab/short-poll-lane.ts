import type { ChannelLatestResponse } from '../../protocol/channel-latest.ts';
import { labQuery } from '../../protocol/lab.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import { fullJitterBackoff } from '../../protocol/backoff.ts';
import { errorFrom, isAbort } from '../shared/http.ts';
import { laneUrl, publishedAtOf, type LaneClient, type LaneContext } from './lane.ts';

/** Backoff after failed polls: never sooner than the interval, up to 30 s (as in lesson 2). */
const ERROR_BACKOFF = { baseMs: 1_000, capMs: 30_000 };

/**
 * Short polling of `GET /api/channels/{channel}/latest`: ask, wait one
 * interval after the answer, ask again. With `etag`, each request carries the
 * last `ETag` in `If-None-Match`, and "nothing new" is a 304 with no body.
 * Without, every answer is a full 200 — the newest 20 events again.
 *
 * `cache: 'no-store'` matters for the lane without ETag: a normal fetch would
 * let the browser's HTTP cache revalidate with the `ETag` by itself (the
 * answers are `no-cache`), and the lane would quietly get 304s too. With a
 * hand-set `If-None-Match`, fetch skips the cache and shows the real 304.
 */
export function createShortPollLane(context: LaneContext, options: { etag: boolean }): LaneClient {
  const url = laneUrl(context, apiRoutes.channelLatest.path({ channel: context.channel }), labQuery(context.labId, context.technique));
  let etag: string | null = null;
  let controller: AbortController | null = null;
  let timer: unknown = null;
  let failures = 0;
  let stopped = false;
  let firstAnswer: (() => void) | null = null;

  async function poll(): Promise<void> {
    timer = null;
    if (stopped) return;
    controller = new AbortController();
    let waitMs = context.intervalMs;
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (options.etag && etag) headers['if-none-match'] = etag;
      const response = await fetch(url, { headers, cache: 'no-store', signal: controller.signal });
      if (response.status === 304) {
        context.answered(true);
      } else if (response.status === 200) {
        if (options.etag) etag = response.headers.get('etag');
        const body = (await response.json()) as ChannelLatestResponse;
        const fresh = context.deliver(body.events.map((event) => ({ id: event.id, publishedAt: publishedAtOf(event.data) })));
        context.answered(fresh === 0);
      } else {
        throw await errorFrom(response);
      }
      failures = 0;
    } catch (error) {
      if (stopped || isAbort(error)) return;
      failures += 1;
      const retryAfter = (error as { retryAfterMs?: number }).retryAfterMs ?? 0;
      waitMs = Math.max(context.intervalMs, fullJitterBackoff(failures, ERROR_BACKOFF, Math.random, retryAfter).delayMs);
      context.interrupted(`A poll failed; the next one goes in ${Math.round(waitMs / 100) / 10} s.`);
    } finally {
      controller = null;
    }
    firstAnswer?.();
    firstAnswer = null;
    if (!stopped) timer = context.clock.setTimeout(() => void poll(), waitMs);
  }

  return {
    start() {
      const listening = new Promise<void>((resolve) => (firstAnswer = resolve));
      void poll();
      return listening;
    },
    stop() {
      stopped = true;
      context.clock.clearTimeout(timer);
      controller?.abort();
      firstAnswer?.();
    },
  };
}
