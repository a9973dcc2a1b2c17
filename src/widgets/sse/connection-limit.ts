import { batch, computed, signal, type ReadonlySignal } from '@preact/signals';
import { READY_STATE, type EventSourceLike, type SseClient } from './client.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { experimentChannel } from './channel.ts';

/**
 * The "6 connections per host" experiment: open 7 EventSources at once and
 * watch the 7th wait. Browsers speaking HTTP/1.1 keep at most 6 connections
 * per host (Chromium and Firefox: 6, shared by every tab of the profile); a
 * stream holds its connection for as long as it is open, so the 7th request
 * queues in the browser until one closes. HTTP/2 multiplexes streams over one
 * connection (servers typically allow 100 at once), so there all 7 open.
 *
 * State only, no DOM: node:test drives it with fake EventSources and mock timers.
 */

/** Streams the experiment opens: one more than the HTTP/1.1 limit. */
export const EXPERIMENT_STREAMS = 7;

/** The browser's per-host limit on HTTP/1.1 (Chromium, Firefox, Safari). */
export const HTTP1_CONNECTIONS_PER_HOST = 6;

/** A stream not open after this long is shown as stalled: the server answers at once, so it is waiting in the browser. */
export const STALL_AFTER_MS = 1_500;

export type StreamRowState = 'connecting' | 'open' | 'stalled' | 'closed';

export interface StreamRow {
  /** 1–7. */
  index: number;
  channel: string;
  state: StreamRowState;
  startedAt: number;
  /** When `onopen` fired. */
  openedAt: number | null;
  /** The row closed by "Close one" just before this one opened, if it was waiting. */
  openedAfterClosing: number | null;
  /** Set when the connection failed: for good when closed (an error answer), else the browser is retrying. */
  failed: boolean;
}

export interface ConnectionLimitOptions {
  /** Closes the widget's own streams: they hold connections too. */
  pauseDemo?: () => void;
  /** Reopens them when the experiment stops. */
  resumeDemo?: () => void;
  stallAfterMs?: number;
}

export interface ConnectionLimitModel {
  readonly running: ReadonlySignal<boolean>;
  readonly rows: ReadonlySignal<readonly StreamRow[]>;
  readonly openCount: ReadonlySignal<number>;
  readonly stalledCount: ReadonlySignal<number>;
  /** Opens the 7 streams on `<channel>-x1` … `-x7`, after pausing the demo's. */
  start(channel: string): void;
  /** Closes the open stream with the lowest number, freeing its connection. */
  closeOne(): void;
  /** Closes every stream and resumes the demo's. */
  stop(): void;
  /** Closes every stream, resumes nothing, clears every timer. */
  dispose(): void;
}

export function createConnectionLimitModel(
  client: Pick<SseClient, 'streamUrl' | 'openEventSource'>,
  clock: Clock = systemClock,
  options: ConnectionLimitOptions = {},
): ConnectionLimitModel {
  const stallAfterMs = options.stallAfterMs ?? STALL_AFTER_MS;
  const running = signal(false);
  const rows = signal<readonly StreamRow[]>([]);
  const openCount = computed(() => rows.value.filter((row) => row.state === 'open').length);
  const stalledCount = computed(() => rows.value.filter((row) => row.state === 'stalled').length);

  let sources: (EventSourceLike | null)[] = [];
  let timers: unknown[] = [];
  let lastClosed: number | null = null;

  function update(index: number, change: Partial<StreamRow>): void {
    rows.value = rows.value.map((row) => (row.index === index ? { ...row, ...change } : row));
  }

  function closeAll(): void {
    for (const source of sources) source?.close();
    for (const timer of timers) clock.clearTimeout(timer);
    sources = [];
    timers = [];
  }

  function start(channel: string): void {
    if (running.peek()) return;
    options.pauseDemo?.();
    lastClosed = null;
    const startedAt = clock.now();
    const fresh: StreamRow[] = [];
    for (let index = 1; index <= EXPERIMENT_STREAMS; index++) {
      fresh.push({
        index,
        channel: experimentChannel(channel, index),
        state: 'connecting',
        startedAt,
        openedAt: null,
        openedAfterClosing: null,
        failed: false,
      });
    }
    batch(() => {
      running.value = true;
      rows.value = fresh;
    });
    sources = fresh.map((row) => {
      let source: EventSourceLike;
      try {
        source = client.openEventSource(client.streamUrl(row.channel));
      } catch {
        update(row.index, { state: 'closed', failed: true });
        return null;
      }
      source.onopen = () => {
        const current = rows.peek().find((item) => item.index === row.index);
        if (!current || current.state === 'closed' || current.openedAt !== null) {
          if (current && current.state !== 'closed') update(row.index, { state: 'open', failed: false });
          return;
        }
        update(row.index, {
          state: 'open',
          failed: false,
          openedAt: clock.now(),
          openedAfterClosing: current.state === 'stalled' ? lastClosed : null,
        });
      };
      source.onerror = () => {
        if (source.readyState === READY_STATE.closed) {
          update(row.index, { state: 'closed', failed: true });
          return;
        }
        // CONNECTING: the server could not be reached, or an open stream dropped;
        // the browser retries. Not a stall: that one waits without an error.
        update(row.index, { state: 'connecting', failed: true });
      };
      return source;
    });
    timers = fresh.map((row) =>
      clock.setTimeout(() => {
        const current = rows.peek().find((item) => item.index === row.index);
        if (current?.state === 'connecting' && !current.failed) update(row.index, { state: 'stalled' });
      }, stallAfterMs),
    );
  }

  function closeOne(): void {
    const row = rows.peek().find((item) => item.state === 'open');
    if (!row) return;
    sources[row.index - 1]?.close();
    sources[row.index - 1] = null;
    lastClosed = row.index;
    update(row.index, { state: 'closed' });
  }

  function stop(): void {
    if (!running.peek()) return;
    closeAll();
    batch(() => {
      running.value = false;
      rows.value = rows.peek().map((row) => ({ ...row, state: 'closed' as const }));
    });
    options.resumeDemo?.();
  }

  function dispose(): void {
    closeAll();
    running.value = false;
  }

  return { running, rows, openCount, stalledCount, start, closeOne, stop, dispose };
}
