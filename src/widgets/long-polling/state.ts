import { signal, type Signal } from '@preact/signals';
import { appendKept, updateBySeq } from '../shared/record-list.ts';
import type { FeedItem, LongPollStats, Phase, PublishRecord, RequestRecord, Waiting } from './records.ts';
import { HOLD, MAX_REQUESTS_KEPT } from './settings.ts';

/**
 * The long-polling widget's signals, in one place: the loop, the publisher
 * and the fault controls write them; the model hands them to the view read-only.
 */
export interface LongPollState {
  readonly holdMs: Signal<number>;
  readonly channel: Signal<string | null>;
  readonly phase: Signal<Phase>;
  /** The highest event id the feed has shown: the cursor the next request sends. */
  readonly cursor: Signal<number>;
  /** Bumped when the server's ids began again (it restarted). */
  readonly epoch: Signal<number>;
  readonly startedAt: Signal<number | null>;
  readonly requests: Signal<readonly RequestRecord[]>;
  /** Newest first. */
  readonly feed: Signal<readonly FeedItem[]>;
  readonly publishes: Signal<readonly PublishRecord[]>;
  readonly inFlight: Signal<boolean>;
  readonly waiting: Signal<Waiting | null>;
  readonly publishing: Signal<number>;
  /** The counters as counted; `failed` is derived by the model. */
  readonly counters: Signal<LongPollStats>;
  readonly status: Signal<string>;
  readonly error: Signal<string | null>;
}

export const EMPTY_STATS: LongPollStats = {
  requests: 0,
  answered: 0,
  timeouts: 0,
  lost: 0,
  errors: 0,
  failed: 0,
  received: 0,
  duplicates: 0,
  bytes: 0,
  bodyBytes: 0,
  recoveries: 0,
  recoveredEvents: 0,
  largestBatch: 0,
};

export function createLongPollState(): LongPollState {
  return {
    holdMs: signal<number>(HOLD.initial),
    channel: signal<string | null>(null),
    phase: signal<Phase>('idle'),
    cursor: signal(0),
    epoch: signal(0),
    startedAt: signal<number | null>(null),
    requests: signal<readonly RequestRecord[]>([]),
    feed: signal<readonly FeedItem[]>([]),
    publishes: signal<readonly PublishRecord[]>([]),
    inFlight: signal(false),
    waiting: signal<Waiting | null>(null),
    publishing: signal(0),
    counters: signal<LongPollStats>(EMPTY_STATS),
    status: signal(''),
    error: signal<string | null>(null),
  };
}

/** Adds to the counters: `change` edits a copy. */
export function count(state: LongPollState, change: (draft: LongPollStats) => void): void {
  const next = { ...state.counters.peek() };
  change(next);
  state.counters.value = next;
}

/** A new row on the timeline (only the newest {@link MAX_REQUESTS_KEPT} are kept). */
export function addRequest(state: LongPollState, record: RequestRecord): void {
  state.requests.value = appendKept(state.requests.peek(), record, MAX_REQUESTS_KEPT);
}

export function updateRequest(state: LongPollState, seq: number, change: Partial<RequestRecord>): void {
  state.requests.value = updateBySeq(state.requests.peek(), seq, change);
}

export function updatePublish(state: LongPollState, seq: number, change: Partial<PublishRecord>): void {
  state.publishes.value = updateBySeq(state.publishes.peek(), seq, change);
}
