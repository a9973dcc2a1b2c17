import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { BUILD_EVENT_TYPES } from '../../protocol/builds.ts';
import type { ChannelEvent } from '../../protocol/events.ts';
import { fullJitterBackoff } from '../../protocol/backoff.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { formatMs } from '../shared/format.ts';
import { ApiError, isAbort } from '../shared/http.ts';
import type { ProductionClient } from './client.ts';

/**
 * The background-tabs widget's state, with no DOM and no JSX: node:test
 * drives it with a fake client, a fake clock and a fake visibility.
 *
 * A feed follows the widget's channel by long polling, with a cursor. While
 * the tab is hidden (Page Visibility API), it can stop asking altogether;
 * when the tab comes back, one poll with the cursor it kept brings every
 * event it missed, at once. A timer that ticks every 250 ms measures what
 * the browser does to timers in a hidden tab.
 */

/** Where the page's visibility comes from: `document`, or a test's fake. */
export interface VisibilitySource {
  /** `document.visibilityState`, read when asked (an e2e test overrides the property). */
  current(): 'visible' | 'hidden';
  /** Calls `listener` on every `visibilitychange`; returns the remover. */
  subscribe(listener: () => void): () => void;
  /** Page Lifecycle `freeze`/`resume` (Chromium), when the browser suspends the page; returns the remover. */
  subscribeLifecycle?(listener: (event: 'freeze' | 'resume') => void): () => void;
}

/** The browser's Page Visibility API. */
export const documentVisibility: VisibilitySource = {
  current: () => (document.visibilityState === 'hidden' ? 'hidden' : 'visible'),
  subscribe(listener) {
    document.addEventListener('visibilitychange', listener);
    return () => document.removeEventListener('visibilitychange', listener);
  },
  subscribeLifecycle(listener) {
    const freeze = () => listener('freeze');
    const resume = () => listener('resume');
    document.addEventListener('freeze', freeze);
    document.addEventListener('resume', resume);
    return () => {
      document.removeEventListener('freeze', freeze);
      document.removeEventListener('resume', resume);
    };
  },
};

/** Each long poll is held this long at most. */
export const POLL_TIMEOUT_MS = 25_000;
/** Each build feeding the channel runs this long (about one event every 2 s)… */
export const BUILD_DURATION_MS = 60_000;
/** …and the feed starts a new one when it ends, this many times at most. */
export const MAX_BUILDS = 10;
/** The probe timer's interval. */
export const TICK_MS = 250;
/** Gaps kept per visibility state. */
const MAX_GAPS = 240;
/** Events and timeline entries kept. */
const MAX_EVENTS = 6;
const MAX_LOG = 30;

export type Visibility = 'visible' | 'hidden';

export interface TabLogEntry {
  seq: number;
  t: number;
  kind: 'info' | 'visible' | 'hidden' | 'caught-up' | 'error';
  text: string;
}

export interface FeedEvent {
  id: number;
  type: string;
  text: string;
}

export interface TimerGaps {
  visible: number[];
  hidden: number[];
}

export interface BackgroundTabsModel {
  readonly channel: Signal<string>;
  readonly pauseWhenHidden: Signal<boolean>;
  readonly visibility: ReadonlySignal<Visibility>;
  readonly running: ReadonlySignal<boolean>;
  /** The id of the last event received: what the next poll asks after. */
  readonly cursor: ReadonlySignal<number>;
  readonly events: ReadonlySignal<FeedEvent[]>;
  readonly received: ReadonlySignal<number>;
  /** Events that arrived in the first answer after coming back, for the last return. */
  readonly lastCatchUp: ReadonlySignal<{ events: number; from: number; to: number; hiddenMs: number } | null>;
  readonly catchUps: ReadonlySignal<number>;
  /** Polls sent while the tab was hidden. */
  readonly pollsWhileHidden: ReadonlySignal<number>;
  readonly gaps: ReadonlySignal<TimerGaps>;
  readonly log: ReadonlySignal<TabLogEntry[]>;
  readonly error: ReadonlySignal<string | null>;
  /** Starts watching visibility and the probe timer (in the browser, after mount). */
  watch(): void;
  start(): Promise<void>;
  stop(): void;
  dispose(): void;
}

export interface BackgroundTabsOptions {
  client: ProductionClient;
  visibility: VisibilitySource;
  clock?: Clock;
  /** [0, 1) like Math.random, for the retry jitter. */
  random?: () => number;
  /** setInterval and clearInterval for the probe timer; default the globals. */
  interval?: { set(callback: () => void, ms: number): unknown; clear(handle: unknown): void };
}

export function createBackgroundTabsModel(options: BackgroundTabsOptions): BackgroundTabsModel {
  const { client, visibility: source } = options;
  const clock = options.clock ?? systemClock;
  const interval = options.interval ?? {
    set: (callback: () => void, ms: number) => globalThis.setInterval(callback, ms),
    clear: (handle: unknown) => globalThis.clearInterval(handle as ReturnType<typeof setInterval>),
  };
  const channel = signal('');
  const pauseWhenHidden = signal(true);
  const visibility = signal<Visibility>('visible');
  const running = signal(false);
  const cursor = signal(0);
  const events = signal<FeedEvent[]>([]);
  const received = signal(0);
  const lastCatchUp = signal<{ events: number; from: number; to: number; hiddenMs: number } | null>(null);
  const catchUps = signal(0);
  const pollsWhileHidden = signal(0);
  const gaps = signal<TimerGaps>({ visible: [], hidden: [] });
  const log = signal<TabLogEntry[]>([]);
  const error = signal<string | null>(null);

  let origin = clock.now();
  let seq = 0;
  let controller: AbortController | undefined;
  let retryTimer: unknown;
  let failures = 0;
  let builds = 0;
  let hiddenAt: number | null = null;
  /** Set on return to the tab: the next answer is the catch-up. */
  let returning: { from: number; hiddenMs: number } | null = null;
  let lastTick = clock.now();
  let lastTickVisibility: Visibility = 'visible';

  const note = (kind: TabLogEntry['kind'], text: string) => {
    log.value = [...log.value, { seq: (seq += 1), t: clock.now() - origin, kind, text }].slice(-MAX_LOG);
  };

  let ticker: unknown;
  let unsubscribe: (() => void) | undefined;
  let unsubscribeLifecycle: (() => void) | undefined;

  // The probe timer: what the browser really does to a 250 ms interval, visible and hidden.
  const tick = () => {
    const now = clock.now();
    const gap = now - lastTick;
    lastTick = now;
    // A gap is filed under the state it was spent in (the state at its start).
    const state = lastTickVisibility;
    lastTickVisibility = visibility.value;
    const current = gaps.value;
    gaps.value = { ...current, [state]: [...current[state], gap].slice(-MAX_GAPS) };
  };

  function onVisibilityChange(): void {
    const next = source.current();
    if (next === visibility.value) return;
    const now = clock.now();
    batch(() => {
      visibility.value = next;
      if (next === 'hidden') {
        hiddenAt = now;
        if (!running.value) return note('hidden', 'Tab hidden.');
        if (pauseWhenHidden.value) {
          pause();
          note('hidden', `Tab hidden: the long poll is aborted; no request while nobody looks. Cursor kept: ${cursor.value}.`);
        } else {
          note('hidden', 'Tab hidden: the feed keeps polling in the background.');
        }
        return;
      }
      const hiddenMs = hiddenAt === null ? 0 : now - hiddenAt;
      hiddenAt = null;
      if (!running.value) return note('visible', `Tab visible again after ${formatMs(hiddenMs)}.`);
      if (controller === undefined) {
        returning = { from: cursor.value, hiddenMs };
        note('visible', `Tab visible again after ${formatMs(hiddenMs)}: one poll with cursor=${cursor.value} catches up.`);
        poll();
      } else {
        note('visible', `Tab visible again after ${formatMs(hiddenMs)}; the feed never stopped.`);
      }
    });
  }

  function pause(): void {
    controller?.abort();
    controller = undefined;
    if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
    retryTimer = undefined;
  }

  /** One long poll; the next follows its answer. */
  function poll(): void {
    if (!running.value || controller) return;
    if (visibility.value === 'hidden' && pauseWhenHidden.value) return;
    const ask = new AbortController();
    controller = ask;
    if (visibility.value === 'hidden') pollsWhileHidden.value += 1;
    const from = cursor.value;
    client.longPoll(channel.value, from, POLL_TIMEOUT_MS, ask.signal).then(
      (answer) => {
        if (controller !== ask) return;
        controller = undefined;
        failures = 0;
        if (answer.kind === 'events') receive(answer.body.events, answer.body.cursor, from);
        else if (returning) finishCatchUp(0, from);
        poll();
      },
      (failure: unknown) => {
        if (controller !== ask) return;
        controller = undefined;
        if (isAbort(failure)) return;
        failures += 1;
        const retryAfterMs = failure instanceof ApiError ? failure.retryAfterMs : undefined;
        const { delayMs } = fullJitterBackoff(failures, { baseMs: 1_000, capMs: 15_000 }, options.random, retryAfterMs);
        note('error', `${failure instanceof Error ? failure.message : String(failure)} Retrying in ${formatMs(delayMs)}.`);
        retryTimer = clock.setTimeout(() => {
          retryTimer = undefined;
          poll();
        }, delayMs);
      },
    );
  }

  function receive(list: ChannelEvent[], next: number, from: number): void {
    batch(() => {
      cursor.value = next;
      received.value += list.length;
      const shown = list.map((event) => ({ id: event.id, type: event.type, text: describe(event) }));
      events.value = [...events.value, ...shown].slice(-MAX_EVENTS);
      if (returning) finishCatchUp(list.length, from);
    });
    if (list.some((event) => event.type === BUILD_EVENT_TYPES.done)) void startBuild();
  }

  function finishCatchUp(count: number, from: number): void {
    const { hiddenMs } = returning!;
    returning = null;
    lastCatchUp.value = { events: count, from, to: cursor.value, hiddenMs };
    catchUps.value += 1;
    note(
      'caught-up',
      count === 0
        ? 'Caught up: nothing was published while the tab was hidden.'
        : `Caught up: ${count} ${count === 1 ? 'event' : 'events'} missed while hidden, in one request (cursor ${from} → ${cursor.value}).`,
    );
  }

  /** Puts events on the channel: a simulated build (lesson 4's), about one event every 2 s. */
  async function startBuild(): Promise<void> {
    if (!running.value) return;
    if (builds >= MAX_BUILDS) return note('info', `${MAX_BUILDS} builds streamed: press Start again for more.`);
    builds += 1;
    try {
      await client.startBuild({ channel: channel.value, durationMs: BUILD_DURATION_MS });
      note(
        'info',
        builds === 1 ? 'A build streams its log to the channel: an event every 2 s or so.' : 'The build ended; another one starts.',
      );
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    }
  }

  return {
    channel,
    pauseWhenHidden,
    visibility,
    running,
    cursor,
    events,
    received,
    lastCatchUp,
    catchUps,
    pollsWhileHidden,
    gaps,
    log,
    error,
    watch() {
      if (ticker !== undefined) return;
      visibility.value = source.current();
      lastTickVisibility = visibility.value;
      lastTick = clock.now();
      ticker = interval.set(tick, TICK_MS);
      unsubscribe = source.subscribe(onVisibilityChange);
      unsubscribeLifecycle = source.subscribeLifecycle?.((event) =>
        note('info', event === 'freeze' ? 'The browser froze the page: no timers, no network, until it resumes.' : 'The page resumed.'),
      );
    },
    async start() {
      if (running.value || !channel.value) return;
      if (log.value.length === 0) origin = clock.now();
      batch(() => {
        running.value = true;
        error.value = null;
        builds = 0;
      });
      note('info', `Feed started: long polls with cursor=${cursor.value}.`);
      poll();
      await startBuild();
    },
    stop() {
      if (!running.value) return;
      pause();
      running.value = false;
      note('info', 'Feed stopped.');
    },
    dispose() {
      pause();
      running.value = false;
      unsubscribe?.();
      unsubscribeLifecycle?.();
      if (ticker !== undefined) interval.clear(ticker);
      ticker = undefined;
    },
  };
}

function describe(event: ChannelEvent): string {
  if (typeof event.data === 'string') return event.data.split('\n')[0] ?? '';
  if (event.type === BUILD_EVENT_TYPES.progress && typeof event.data === 'object' && event.data) {
    const { percent, step } = event.data as { percent?: number; step?: string };
    return `${step ?? ''} ${percent ?? ''} %`.trim();
  }
  if (event.type === BUILD_EVENT_TYPES.done && typeof event.data === 'object' && event.data) {
    return `build ${(event.data as { status?: string }).status ?? 'done'}`;
  }
  return JSON.stringify(event.data) ?? '';
}

/** The median of `values`, or null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
