import { EventSource } from 'eventsource';
import { waitUntil } from '../../harness/wait-until.ts';

/** One event an {@link EventSourceLog} received. */
export interface LoggedEvent {
  /** Which base URL served the connection that delivered it (index into `baseUrls`). */
  via: number;
  id: string;
  type: string;
  data: unknown;
}

/** What {@link EventSourceLog.open} needs. */
export interface EventSourceLogOptions {
  /** The instances, tried in turn: connection n goes to `baseUrls[n % length]`, as a round-robin balancer would send it. */
  baseUrls: readonly string[];
  /** The stream's path (and query). */
  path: string;
  /** The event types to keep (JSON data). */
  types: readonly string[];
  /** Headers every connection sends (a cookie, the host secret, a first `Last-Event-ID`). */
  headers?: Record<string, string>;
}

/**
 * A real `EventSource` (the `eventsource` package: reconnects and resumes
 * with `Last-Event-ID` as a browser does) that keeps the events it receives.
 */
export class EventSourceLog {
  readonly events: LoggedEvent[] = [];
  /** Connections opened so far (the first, then one per reconnect). */
  connections = 0;
  readonly #source: EventSource;

  private constructor(options: EventSourceLogOptions) {
    const { baseUrls, path, headers = {} } = options;
    this.#source = new EventSource(`${baseUrls[0]}${path}`, {
      fetch: (input, init) => {
        const via = this.connections % baseUrls.length;
        this.connections += 1;
        const url = new URL(String(input));
        const target = new URL(baseUrls[via]!);
        url.protocol = target.protocol;
        url.host = target.host;
        return fetch(url, { ...init, headers: { ...headers, ...(init?.headers as Record<string, string>) } });
      },
    });
    for (const type of options.types) {
      this.#source.addEventListener(type, (event) => {
        this.events.push({
          via: (this.connections - 1) % baseUrls.length,
          id: event.lastEventId,
          type,
          data: JSON.parse(event.data) as unknown,
        });
      });
    }
  }

  /** Opens the stream and resolves once it is open. */
  static async open(options: EventSourceLogOptions): Promise<EventSourceLog> {
    const log = new EventSourceLog(options);
    await new Promise<void>((resolve, reject) => {
      log.#source.addEventListener('open', () => resolve(), { once: true });
      log.#source.addEventListener('error', (error) => reject(new Error(`The stream did not open: ${error.message}`)), {
        once: true,
      });
    });
    return log;
  }

  /** The data of the kept events of `type`. */
  of<T>(type: string): T[] {
    return this.events.filter((event) => event.type === type).map((event) => event.data as T);
  }

  /** Resolves once an event of `type` passes `test` (bounded wait), with its data. */
  async waitFor<T>(type: string, test: (data: T) => boolean, what: string, timeoutMs?: number): Promise<T> {
    let found: T | undefined;
    await waitUntil(
      () => {
        found = this.of<T>(type).find(test);
        return found !== undefined;
      },
      () => `${what}; received ${JSON.stringify(this.events.map(({ type, data }) => ({ type, data }))).slice(-1_500)}`,
      timeoutMs,
    );
    return found!;
  }

  /** 0 connecting, 1 open, 2 closed for good. */
  get readyState(): number {
    return this.#source.readyState;
  }

  close(): void {
    this.#source.close();
  }
}
