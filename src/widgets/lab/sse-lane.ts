import { labQuery } from '../../protocol/lab.ts';
import { apiRoutes } from '../../protocol/api-routes.ts';
import { laneUrl, publishedAtOf, type LaneClient, type LaneContext } from './lane.ts';
import { LAB_TICK_EVENT } from '../../protocol/lab.ts';

/**
 * Server-Sent Events: one `EventSource` on `GET /api/sse/{channel}`. The
 * browser reconnects by itself after a drop and resumes with `Last-Event-ID`.
 */
export function createSseLane(context: LaneContext): LaneClient {
  const url = laneUrl(context, apiRoutes.sse.path({ channel: context.channel }), labQuery(context.labId, context.technique));
  let source: EventSource | null = null;
  let opened: (() => void) | null = null;

  return {
    start() {
      const listening = new Promise<void>((resolve) => (opened = resolve));
      source = new EventSource(url);
      source.addEventListener('open', () => {
        opened?.();
        opened = null;
      });
      source.addEventListener(LAB_TICK_EVENT, (event) => {
        const message = event as MessageEvent<string>;
        let data: unknown = null;
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        context.deliver([{ id: Number(message.lastEventId), publishedAt: publishedAtOf(data) }]);
      });
      source.addEventListener('error', () => {
        if (source?.readyState === EventSource.CONNECTING) {
          context.interrupted('The stream dropped; the browser reconnects by itself and resumes with Last-Event-ID.');
        }
      });
      return listening;
    },
    stop() {
      source?.close();
      source = null;
      opened?.();
      opened = null;
    },
  };
}
