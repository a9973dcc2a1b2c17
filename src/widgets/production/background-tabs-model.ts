import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { systemClock, type Clock } from '../shared/clock.ts';
import { formatMs } from '../shared/format.ts';
import type { ProductionClient } from './client.ts';
import { type CatchUp, type FeedEvent, TabFeed, type TabLogEntry, type Visibility } from './tab-feed.ts';

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

/** The probe timer's interval. */
export const TICK_MS = 250;
/** Gaps kept per visibility state. */
const MAX_GAPS = 240;
/** Timeline entries kept. */
const MAX_LOG = 30;

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
  readonly lastCatchUp: ReadonlySignal<CatchUp | null>;
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
  let lastTick = clock.now();
  let lastTickVisibility: Visibility = 'visible';

  const note = (kind: TabLogEntry['kind'], text: string) => {
    log.value = [...log.value, { seq: (seq += 1), t: clock.now() - origin, kind, text }].slice(-MAX_LOG);
  };
  /** What the feed shares with the view. */
  const feedState = {
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
    error,
  };
  const feed = new TabFeed({ client, clock, random: options.random, ...feedState, note });

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

  const onVisibilityChange = visibilityListener({ source, clock, visibility, running, pauseWhenHidden, cursor, feed, note });

  return {
    ...feedState,
    gaps,
    log,
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
        feed.restartBuilds();
      });
      note('info', `Feed started: long polls with cursor=${cursor.value}.`);
      feed.poll();
      await feed.startBuild();
    },
    stop() {
      if (!running.value) return;
      feed.pause();
      running.value = false;
      note('info', 'Feed stopped.');
    },
    dispose() {
      feed.pause();
      running.value = false;
      unsubscribe?.();
      unsubscribeLifecycle?.();
      if (ticker !== undefined) interval.clear(ticker);
      ticker = undefined;
    },
  };
}

/** What a change of the tab's visibility acts on. */
interface VisibilityParts {
  source: VisibilitySource;
  clock: Clock;
  visibility: Signal<Visibility>;
  running: ReadonlySignal<boolean>;
  pauseWhenHidden: ReadonlySignal<boolean>;
  cursor: ReadonlySignal<number>;
  feed: TabFeed;
  note(kind: TabLogEntry['kind'], text: string): void;
}

/** The `visibilitychange` listener: pauses the feed while hidden (when asked), catches up on return. */
function visibilityListener({ source, clock, visibility, running, pauseWhenHidden, cursor, feed, note }: VisibilityParts): () => void {
  let hiddenAt: number | null = null;
  return () => {
    const next = source.current();
    if (next === visibility.value) return;
    const now = clock.now();
    batch(() => {
      visibility.value = next;
      if (next === 'hidden') {
        hiddenAt = now;
        if (!running.value) return note('hidden', 'Tab hidden.');
        if (pauseWhenHidden.value) {
          feed.pause();
          note('hidden', `Tab hidden: the long poll is aborted; no request while nobody looks. Cursor kept: ${cursor.value}.`);
        } else {
          note('hidden', 'Tab hidden: the feed keeps polling in the background.');
        }
        return;
      }
      const hiddenMs = hiddenAt === null ? 0 : now - hiddenAt;
      hiddenAt = null;
      if (!running.value) return note('visible', `Tab visible again after ${formatMs(hiddenMs)}.`);
      if (feed.polling) return note('visible', `Tab visible again after ${formatMs(hiddenMs)}; the feed never stopped.`);
      note('visible', `Tab visible again after ${formatMs(hiddenMs)}: one poll with cursor=${cursor.value} catches up.`);
      feed.catchUp(hiddenMs);
    });
  };
}

/** The median of `values`, or null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
