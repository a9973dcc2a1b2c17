import { READY_STATE, type EventSourceLike } from '../sse/client.ts';
import type { ProductionClient } from './client.ts';

/** Called with each event of a followed type: its parsed `data` and its id. */
export type FeedHandler = (data: unknown, id: number) => void;

/**
 * Follows an experiment's results on the widget's channel with the browser's
 * own EventSource — the workbook uses what it teaches. Opened just before an
 * experiment starts and closed once it has ended, so an idle widget holds no
 * connection (the browser has 6 per host on HTTP/1.1, for every tab).
 *
 * A first connection gets only what is published from then on (the server
 * stamps it with the newest id); after a drop, the browser resumes with
 * `Last-Event-ID`, so no result is lost.
 */
export class ExperimentFeed {
  readonly #client: Pick<ProductionClient, 'streamUrl' | 'openEventSource'>;
  #source: EventSourceLike | undefined;

  constructor(client: Pick<ProductionClient, 'streamUrl' | 'openEventSource'>) {
    this.#client = client;
  }

  get open(): boolean {
    return this.#source !== undefined;
  }

  /**
   * Opens the stream and resolves once it is open (the experiment may start:
   * nothing it publishes can be missed). Rejects if the browser gives up.
   */
  follow(channel: string, handlers: Record<string, FeedHandler>): Promise<void> {
    this.close();
    const source = this.#client.openEventSource(this.#client.streamUrl(channel));
    this.#source = source;
    for (const [type, handler] of Object.entries(handlers)) {
      source.addEventListener(type, (event) => {
        if (this.#source !== source) return;
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch {
          return; // not one of ours
        }
        handler(data, Number(event.lastEventId));
      });
    }
    return new Promise((resolve, reject) => {
      source.onopen = () => resolve();
      source.onerror = () => {
        // CONNECTING: the browser retries by itself. CLOSED: it gave up for good.
        if (source.readyState !== READY_STATE.closed) return;
        if (this.#source === source) this.#source = undefined;
        reject(new Error('The results stream could not be opened.'));
      };
    });
  }

  close(): void {
    this.#source?.close();
    this.#source = undefined;
  }
}
