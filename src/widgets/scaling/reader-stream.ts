import { signal, type ReadonlySignal } from '@preact/signals';
import { SCALING_NOTE_TYPE, type InstanceName, type ScalingNote } from '../../protocol/scaling.ts';
import { SSE_RESET_EVENT, type SseResetData } from '../../protocol/sse.ts';
import type { Clock } from '../shared/clock.ts';
import { errorMessage } from '../shared/http.ts';
import { READY_STATE, type EventSourceLike } from '../sse/client.ts';
import type { ScalingClient } from './client.ts';

/** The heartbeat the reader's stream asks for, so an idle stream shows it is alive. */
export const DEMO_HEARTBEAT_MS = 5_000;

/** After the EventSource gave up for good (no instance could serve it), a new one opens this much later. */
export const REOPEN_MS = 3_000;

/** Entries the feed keeps (the newest). */
export const MAX_FEED = 40;

export type StreamConnection =
  | 'idle'
  | 'connecting'
  | 'open'
  /** Lost; the browser waits `retry` and reconnects by itself (through the balancer). */
  | 'reconnecting'
  /** The browser gave up (no instance could answer 200); a new stream opens shortly. */
  | 'closed';

/** One line of the reader's feed: a note, a reset, or where the stream came back. */
export type FeedEntry =
  | { key: string; kind: 'note'; id: number; text: string; on: InstanceName; at: number; gap: boolean }
  | { key: string; kind: 'reset'; reason: string; latestId: number; at: number }
  | { key: string; kind: 'reconnect'; at: number; afterMs: number };

type NewFeedEntry = { [K in FeedEntry['kind']]: Omit<Extract<FeedEntry, { kind: K }>, 'key'> }[FeedEntry['kind']];

export interface ReaderStreamOptions {
  client: ScalingClient;
  clock: Clock;
  /** The demo's channel, the instance the stream is pinned to, and whether the demo runs now. */
  channel: () => string | null;
  pinned: () => InstanceName;
  running: () => boolean;
  /** With the backplane, note ids are the feed's: a skipped one is a gap. */
  backplaneOn: () => boolean;
  onError: (message: string) => void;
}

/**
 * The reader's own EventSource on the demo's feed, through the sticky
 * balancer: when its instance dies, the browser's own reconnect lands on the
 * other one with `Last-Event-ID`, and the feed shows where it came back and
 * whether a note was missed.
 */
export class ReaderStream {
  readonly #connection = signal<StreamConnection>('idle');
  readonly #feed = signal<readonly FeedEntry[]>([]);
  readonly connection: ReadonlySignal<StreamConnection> = this.#connection;
  readonly feed: ReadonlySignal<readonly FeedEntry[]> = this.#feed;
  readonly #options: ReaderStreamOptions;
  #source: EventSourceLike | null = null;
  #lastNoteId: number | null = null;
  #lostAt: number | null = null;
  #reopenTimer: unknown = null;
  #entrySeq = 0;
  /** The id of the last note or reset delivered: where a new stream resumes. */
  lastDelivered = '';

  constructor(options: ReaderStreamOptions) {
    this.#options = options;
  }

  /** Opens a new stream (closing any), resuming after `resumeFrom` (a new EventSource cannot send Last-Event-ID: it goes in the URL). */
  open(resumeFrom?: string): void {
    this.close();
    const { client, clock, channel, pinned, running } = this.#options;
    const ch = channel();
    if (!ch || !running()) return;
    let es: EventSourceLike;
    try {
      es = client.openEventSource(client.streamUrl(ch, pinned(), { heartbeatMs: DEMO_HEARTBEAT_MS, lastEventId: resumeFrom }));
    } catch (failure) {
      this.#connection.value = 'closed';
      this.#options.onError(errorMessage(failure));
      return;
    }
    this.#source = es;
    this.#connection.value = 'connecting';
    es.onopen = () => {
      if (this.#source !== es) return;
      if (this.#lostAt !== null) this.#add({ kind: 'reconnect', at: clock.now(), afterMs: clock.now() - this.#lostAt });
      this.#lostAt = null;
      this.#connection.value = 'open';
    };
    es.onerror = () => {
      if (this.#source !== es) return;
      this.#lostAt ??= clock.now();
      if (es.readyState === READY_STATE.closed) {
        // A 502 (no instance to serve it) or a 404 (the demo stopped) ends an EventSource for good (WHATWG HTML §9.2.2).
        this.#connection.value = 'closed';
        this.#scheduleReopen();
      } else {
        this.#connection.value = 'reconnecting';
      }
    };
    es.addEventListener(SCALING_NOTE_TYPE, (event) => {
      if (this.#source === es) this.#onNote(JSON.parse(event.data) as ScalingNote, event.lastEventId);
    });
    es.addEventListener(SSE_RESET_EVENT, (event) => {
      if (this.#source !== es) return;
      const data = JSON.parse(event.data) as SseResetData;
      this.lastDelivered = event.lastEventId;
      this.#lastNoteId = data.latestId;
      this.#add({ kind: 'reset', reason: data.reason, latestId: data.latestId, at: clock.now() });
    });
  }

  /** Pinned elsewhere: a new stream, from the last id seen, that is not a reconnect. */
  repin(): void {
    this.#lostAt = null;
    this.open(this.lastDelivered || undefined);
  }

  close(): void {
    this.#options.clock.clearTimeout(this.#reopenTimer);
    this.#reopenTimer = null;
    this.#source?.close();
    this.#source = null;
  }

  /** Closed, and nothing remembered: for a new pair of instances. */
  reset(): void {
    this.close();
    this.lastDelivered = '';
    this.#lastNoteId = null;
    this.#lostAt = null;
    this.#connection.value = 'idle';
    this.#feed.value = [];
  }

  /** The demo ended: closed, and said so. */
  end(): void {
    this.close();
    this.#connection.value = 'idle';
  }

  #onNote(note: ScalingNote, lastEventId: string): void {
    const id = Number(lastEventId);
    const gap = this.#options.backplaneOn() && this.#lastNoteId !== null && id !== this.#lastNoteId + 1;
    this.lastDelivered = lastEventId;
    this.#lastNoteId = id;
    this.#add({ kind: 'note', id, text: note.text, on: note.on, at: this.#options.clock.now(), gap });
  }

  #scheduleReopen(): void {
    const { clock, running } = this.#options;
    clock.clearTimeout(this.#reopenTimer);
    this.#reopenTimer = clock.setTimeout(() => {
      this.#reopenTimer = null;
      if (running()) this.open(this.lastDelivered || undefined);
    }, REOPEN_MS);
  }

  #add(entry: NewFeedEntry): void {
    this.#entrySeq += 1;
    this.#feed.value = [...this.#feed.value, { ...entry, key: String(this.#entrySeq) } as FeedEntry].slice(-MAX_FEED);
  }
}
