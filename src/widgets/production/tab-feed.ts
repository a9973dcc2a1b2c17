import { batch, type ReadonlySignal, type Signal } from '@preact/signals';
import { fullJitterBackoff } from '../../protocol/backoff.ts';
import { BUILD_EVENT_TYPES } from '../../protocol/builds.ts';
import type { ChannelEvent } from '../../protocol/events.ts';
import type { Clock } from '../shared/clock.ts';
import { formatMs } from '../shared/format.ts';
import { ApiError, isAbort } from '../shared/http.ts';
import type { ProductionClient } from './client.ts';

/**
 * The background-tabs widget's feed: long polls on the widget's channel with
 * a cursor, the next sent when the previous answers; paused while the tab is
 * hidden (when the reader wants it), and caught up by one poll with the kept
 * cursor when it shows again. Builds (lesson 4's) put events on the channel.
 */

/** Each long poll is held this long at most. */
export const POLL_TIMEOUT_MS = 25_000;
/** Each build feeding the channel runs this long (about one event every 2 s)… */
export const BUILD_DURATION_MS = 60_000;
/** …and the feed starts a new one when it ends, this many times at most. */
export const MAX_BUILDS = 10;
/** Events kept. */
const MAX_EVENTS = 6;

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

/** The first answer after coming back to the tab. */
export interface CatchUp {
  events: number;
  from: number;
  to: number;
  hiddenMs: number;
}

/** The model's signals the feed reads and writes. */
export interface TabFeedContext {
  readonly client: ProductionClient;
  readonly clock: Clock;
  /** [0, 1) like Math.random, for the retry jitter. */
  readonly random: (() => number) | undefined;
  readonly channel: ReadonlySignal<string>;
  readonly pauseWhenHidden: ReadonlySignal<boolean>;
  readonly visibility: ReadonlySignal<Visibility>;
  readonly running: ReadonlySignal<boolean>;
  readonly cursor: Signal<number>;
  readonly events: Signal<FeedEvent[]>;
  readonly received: Signal<number>;
  readonly lastCatchUp: Signal<CatchUp | null>;
  readonly catchUps: Signal<number>;
  readonly pollsWhileHidden: Signal<number>;
  readonly error: Signal<string | null>;
  note(kind: TabLogEntry['kind'], text: string): void;
}

export class TabFeed {
  readonly #context: TabFeedContext;
  #controller: AbortController | undefined;
  #retryTimer: unknown;
  #failures = 0;
  #builds = 0;
  /** Set on return to the tab: the next answer is the catch-up. */
  #returning: { from: number; hiddenMs: number } | null = null;

  constructor(context: TabFeedContext) {
    this.#context = context;
  }

  /** A poll is on its way. */
  get polling(): boolean {
    return this.#controller !== undefined;
  }

  /** The feed starts (again): up to {@link MAX_BUILDS} builds from now on. */
  restartBuilds(): void {
    this.#builds = 0;
  }

  /** Back on the tab after `hiddenMs`: one poll with the kept cursor catches up. */
  catchUp(hiddenMs: number): void {
    this.#returning = { from: this.#context.cursor.value, hiddenMs };
    this.poll();
  }

  /** Aborts the poll on its way and calls off a retry. */
  pause(): void {
    this.#controller?.abort();
    this.#controller = undefined;
    if (this.#retryTimer !== undefined) this.#context.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** One long poll; the next follows its answer. */
  poll(): void {
    const context = this.#context;
    if (!context.running.value || this.#controller) return;
    if (context.visibility.value === 'hidden' && context.pauseWhenHidden.value) return;
    const ask = new AbortController();
    this.#controller = ask;
    if (context.visibility.value === 'hidden') context.pollsWhileHidden.value += 1;
    const from = context.cursor.value;
    context.client.longPoll(context.channel.value, from, POLL_TIMEOUT_MS, ask.signal).then(
      (answer) => {
        if (this.#controller !== ask) return;
        this.#controller = undefined;
        this.#failures = 0;
        if (answer.kind === 'events') this.#receive(answer.body.events, answer.body.cursor, from);
        else if (this.#returning) this.#finishCatchUp(0, from);
        this.poll();
      },
      (failure: unknown) => {
        if (this.#controller !== ask) return;
        this.#controller = undefined;
        if (isAbort(failure)) return;
        this.#failures += 1;
        const retryAfterMs = failure instanceof ApiError ? failure.retryAfterMs : undefined;
        const { delayMs } = fullJitterBackoff(this.#failures, { baseMs: 1_000, capMs: 15_000 }, context.random, retryAfterMs);
        context.note('error', `${failure instanceof Error ? failure.message : String(failure)} Retrying in ${formatMs(delayMs)}.`);
        this.#retryTimer = context.clock.setTimeout(() => {
          this.#retryTimer = undefined;
          this.poll();
        }, delayMs);
      },
    );
  }

  /** Puts events on the channel: a simulated build (lesson 4's), about one event every 2 s. */
  async startBuild(): Promise<void> {
    const context = this.#context;
    if (!context.running.value) return;
    if (this.#builds >= MAX_BUILDS) return context.note('info', `${MAX_BUILDS} builds streamed: press Start again for more.`);
    this.#builds += 1;
    try {
      await context.client.startBuild({ channel: context.channel.value, durationMs: BUILD_DURATION_MS });
      context.note(
        'info',
        this.#builds === 1 ? 'A build streams its log to the channel: an event every 2 s or so.' : 'The build ended; another one starts.',
      );
    } catch (failure) {
      context.error.value = failure instanceof Error ? failure.message : String(failure);
    }
  }

  #receive(list: ChannelEvent[], next: number, from: number): void {
    const { cursor, received, events } = this.#context;
    batch(() => {
      cursor.value = next;
      received.value += list.length;
      const shown = list.map((event) => ({ id: event.id, type: event.type, text: describe(event) }));
      events.value = [...events.value, ...shown].slice(-MAX_EVENTS);
      if (this.#returning) this.#finishCatchUp(list.length, from);
    });
    if (list.some((event) => event.type === BUILD_EVENT_TYPES.done)) void this.startBuild();
  }

  #finishCatchUp(count: number, from: number): void {
    const { cursor, lastCatchUp, catchUps, note } = this.#context;
    const { hiddenMs } = this.#returning!;
    this.#returning = null;
    lastCatchUp.value = { events: count, from, to: cursor.value, hiddenMs };
    catchUps.value += 1;
    note(
      'caught-up',
      count === 0
        ? 'Caught up: nothing was published while the tab was hidden.'
        : `Caught up: ${count} ${count === 1 ? 'event' : 'events'} missed while hidden, in one request (cursor ${from} → ${cursor.value}).`,
    );
  }
}

/** An event in one line, as the feed lists it. */
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
