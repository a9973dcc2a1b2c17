import { batch, computed, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import {
  SCALING_NOTE_TYPE,
  type InstanceAction,
  type InstanceName,
  type PresenceKey,
  type ScalingAvailability,
  type ScalingDemoState,
  type ScalingNote,
} from '../../protocol/scaling.ts';
import { SSE_RESET_EVENT, type SseResetData } from '../../protocol/sse.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { ApiError, errorMessage } from '../shared/http.ts';
import { READY_STATE, type EventSourceLike } from '../sse/client.ts';
import type { ScalingClient } from './client.ts';

/**
 * Lesson 8's widget's state, with no DOM and no JSX, so node:test can drive
 * it with a fake client and mock timers. The server runs the two instances
 * and judges the exercise; this model starts and steers them, reads their
 * state every second while the page is visible, and keeps the reader's own
 * EventSource on the feed — through the demo's sticky balancer, so when the
 * instance it is pinned to dies, the browser's own reconnect lands on the
 * other one with `Last-Event-ID`.
 */

/** How often the demo's state (instances, streams, presence keys, exercise) is read while the page is visible. */
export const POLL_MS = 1_000;

/** The heartbeat the reader's stream asks for, so an idle stream shows it is alive. */
export const DEMO_HEARTBEAT_MS = 5_000;

/** After the EventSource gave up for good (no instance could serve it), the model opens a new one this much later. */
export const REOPEN_MS = 3_000;

/** Entries the feed keeps (the newest). */
export const MAX_FEED = 40;

/** A presence key that left the index stays on show this long, marked gone. */
export const GONE_SHOWN_MS = 20_000;

/** The lesson's exercise, checked by the server. */
export const EXERCISE = { lesson: 'scaling-out', id: 'resume-across-instances' } as const;

export type DemoPhase = 'idle' | 'starting' | 'running' | 'stopped';

export type StreamConnection =
  | 'idle'
  | 'connecting'
  | 'open'
  /** Lost; the browser waits `retry` and reconnects by itself (through the balancer). */
  | 'reconnecting'
  /** The browser gave up (no instance could answer 200); the model opens a new stream shortly. */
  | 'closed';

/** One line of the reader's feed: a note, a reset, or where the stream came back. */
export type FeedEntry =
  | { key: string; kind: 'note'; id: number; text: string; on: InstanceName; at: number; gap: boolean }
  | { key: string; kind: 'reset'; reason: string; latestId: number; at: number }
  | { key: string; kind: 'reconnect'; at: number; afterMs: number };

type NewFeedEntry = { [K in FeedEntry['kind']]: Omit<Extract<FeedEntry, { kind: K }>, 'key'> }[FeedEntry['kind']];

/** A presence key that was in the index at the last read but one, and is not any more. */
export interface GoneKey extends PresenceKey {
  goneAt: number;
}

export interface ScalingModelOptions {
  /** Called once, when the server first reports the exercise passed. */
  onExerciseComplete?: () => void;
}

export interface ScalingModel {
  /** The reader's channel; set by the view after mount. */
  readonly channel: Signal<string | null>;
  readonly availability: ReadonlySignal<ScalingAvailability | null>;
  /** The reader's choice for the next start: a shared Redis, or none. */
  readonly backplane: Signal<boolean>;
  /** What "Publish" sends. */
  readonly noteText: Signal<string>;
  /** The instance the reader's stream is pinned to. */
  readonly pinned: ReadonlySignal<InstanceName>;
  readonly phase: ReadonlySignal<DemoPhase>;
  /** The demo as last read, and when (this page's clock). */
  readonly demo: ReadonlySignal<ScalingDemoState | null>;
  readonly readAt: ReadonlySignal<number>;
  /** What is being done now ("kill b"), if anything. */
  readonly busy: ReadonlySignal<string | null>;
  readonly status: ReadonlySignal<string>;
  readonly error: ReadonlySignal<string | null>;
  readonly connection: ReadonlySignal<StreamConnection>;
  readonly feed: ReadonlySignal<readonly FeedEntry[]>;
  /** Keys that left the index lately, newest first. */
  readonly gone: ReadonlySignal<readonly GoneKey[]>;
  /** The stream serving the reader now, as the server saw it: on which instance, with which Last-Event-ID. */
  readonly servedBy: ReadonlySignal<{ instance: InstanceName; lastEventId: string | null } | null>;
  readonly exerciseDone: ReadonlySignal<boolean>;

  /** Reads whether the backplane can run here, and picks up a demo this tab already runs (after a reload). */
  load(): Promise<void>;
  /** Starts (or restarts) the pair with the chosen backplane, then opens the reader's stream. */
  start(): Promise<void>;
  stop(): Promise<void>;
  act(instance: InstanceName, action: InstanceAction): Promise<void>;
  publish(on: InstanceName): Promise<void>;
  /** Pins the reader's stream to `instance` (a new stream, resuming from the last id seen). */
  pin(instance: InstanceName): void;
  /** The page's visibility: polling stops while it is hidden. */
  setVisible(visible: boolean): void;
  dispose(): void;
}

/** How long a presence key has left at `now`, counted down from the `pttlMs` read at `readAt` (negative: gone). */
export function remainingMs(pttlMs: number, readAt: number, now: number): number {
  if (pttlMs < 0) return pttlMs;
  return Math.max(0, pttlMs - Math.max(0, now - readAt));
}

/** Keys of `before` whose member is not in `after` (they left the index), stamped `goneAt`. */
export function departedKeys(before: readonly PresenceKey[] | null, after: readonly PresenceKey[] | null, goneAt: number): GoneKey[] {
  if (!before) return [];
  const present = new Set((after ?? []).map((key) => key.memberId));
  return before.filter((key) => !present.has(key.memberId)).map((key) => ({ ...key, pttlMs: -2, goneAt }));
}

const ACTION_DONE: Record<InstanceAction, (name: string) => string> = {
  kill: (name) => `Killed ${name} with SIGKILL: no goodbye, no drain. Its streams broke; its members’ keys are no longer renewed.`,
  restart: (name) => `${name} is running again: a new process on a new port, with nothing in memory.`,
  pause: (name) => `Paused ${name} with SIGSTOP: it holds its sockets but runs nothing, so it renews no presence key.`,
  resume: (name) => `${name} runs again (SIGCONT): its overdue timers fire, and it renews its members.`,
};

/** Creates the model. Opens nothing by itself: `load()` reads, `start()` starts. */
export function createScalingModel(client: ScalingClient, clock: Clock = systemClock, options: ScalingModelOptions = {}): ScalingModel {
  const channel = signal<string | null>(null);
  const availability = signal<ScalingAvailability | null>(null);
  const backplane = signal(true);
  const noteText = signal('hello');
  const pinned = signal<InstanceName>('b');
  const phase = signal<DemoPhase>('idle');
  const demo = signal<ScalingDemoState | null>(null);
  const readAt = signal(0);
  const busy = signal<string | null>(null);
  const status = signal('');
  const error = signal<string | null>(null);
  const connection = signal<StreamConnection>('idle');
  const feed = signal<readonly FeedEntry[]>([]);
  const gone = signal<readonly GoneKey[]>([]);
  const exerciseDone = signal(false);

  let source: EventSourceLike | null = null;
  let lastDelivered = '';
  let lastNoteId: number | null = null;
  let lostAt: number | null = null;
  let pollTimer: unknown = null;
  let reopenTimer: unknown = null;
  let visible = true;
  let disposed = false;
  let entrySeq = 0;
  /** Member id → the name its key held, while it had one. */
  const knownNames = new Map<string, string>();

  const servedBy = computed(() => {
    const open = demo.value?.streams.filter((stream) => stream.end === 'open').at(-1);
    return open ? { instance: open.instance, lastEventId: open.lastEventId } : null;
  });

  function addEntry(entry: NewFeedEntry): void {
    entrySeq += 1;
    feed.value = [...feed.value, { ...entry, key: String(entrySeq) } as FeedEntry].slice(-MAX_FEED);
  }

  // ---- The reader's EventSource -------------------------------------------

  function openStream(resumeFrom?: string): void {
    closeStream();
    const ch = channel.peek();
    if (!ch || disposed || phase.peek() !== 'running') return;
    let es: EventSourceLike;
    try {
      es = client.openEventSource(client.streamUrl(ch, pinned.peek(), { heartbeatMs: DEMO_HEARTBEAT_MS, lastEventId: resumeFrom }));
    } catch (failure) {
      connection.value = 'closed';
      error.value = errorMessage(failure);
      return;
    }
    source = es;
    connection.value = 'connecting';
    es.onopen = () => {
      if (source !== es) return;
      if (lostAt !== null) addEntry({ kind: 'reconnect', at: clock.now(), afterMs: clock.now() - lostAt });
      lostAt = null;
      connection.value = 'open';
    };
    es.onerror = () => {
      if (source !== es) return;
      lostAt ??= clock.now();
      if (es.readyState === READY_STATE.closed) {
        // A 502 (no instance to serve it) or a 404 (the demo stopped) ends an EventSource for good (WHATWG HTML §9.2.2).
        connection.value = 'closed';
        scheduleReopen();
      } else {
        connection.value = 'reconnecting';
      }
    };
    es.addEventListener(SCALING_NOTE_TYPE, (event) => {
      if (source !== es) return;
      const note = JSON.parse(event.data) as ScalingNote;
      const id = Number(event.lastEventId);
      // With the backplane, ids are the feed's: one more than the last, or something was missed.
      const gap = backplaneOn() && lastNoteId !== null && id !== lastNoteId + 1;
      lastDelivered = event.lastEventId;
      lastNoteId = id;
      addEntry({ kind: 'note', id, text: note.text, on: note.on, at: clock.now(), gap });
    });
    es.addEventListener(SSE_RESET_EVENT, (event) => {
      if (source !== es) return;
      const data = JSON.parse(event.data) as SseResetData;
      lastDelivered = event.lastEventId;
      lastNoteId = data.latestId;
      addEntry({ kind: 'reset', reason: data.reason, latestId: data.latestId, at: clock.now() });
    });
  }

  function closeStream(): void {
    clock.clearTimeout(reopenTimer);
    reopenTimer = null;
    source?.close();
    source = null;
  }

  function scheduleReopen(): void {
    clock.clearTimeout(reopenTimer);
    reopenTimer = clock.setTimeout(() => {
      reopenTimer = null;
      // A new EventSource cannot send Last-Event-ID: the id goes in the URL.
      if (phase.peek() === 'running') openStream(lastDelivered || undefined);
    }, REOPEN_MS);
  }

  function backplaneOn(): boolean {
    return demo.peek()?.backplane ?? false;
  }

  function resetStream(): void {
    closeStream();
    lastDelivered = '';
    lastNoteId = null;
    lostAt = null;
    connection.value = 'idle';
    feed.value = [];
    gone.value = [];
  }

  // ---- The demo's state ---------------------------------------------------

  function adopt(next: ScalingDemoState): void {
    const now = clock.now();
    // An expired key has no name left to read: show the name it had.
    for (const key of next.presence.keys ?? []) {
      if (key.name !== null) knownNames.set(key.memberId, key.name);
      else key.name = knownNames.get(key.memberId) ?? null;
    }
    batch(() => {
      const departed = departedKeys(demo.peek()?.presence.keys ?? null, next.presence.keys, now);
      gone.value = [...departed, ...gone.peek()].filter((key) => now - key.goneAt < GONE_SHOWN_MS);
      demo.value = next;
      readAt.value = now;
    });
    if (next.exercise.passed && !exerciseDone.peek()) {
      exerciseDone.value = true;
      options.onExerciseComplete?.();
    }
  }

  function schedulePoll(delayMs = POLL_MS): void {
    clock.clearTimeout(pollTimer);
    pollTimer = null;
    if (disposed || !visible || phase.peek() !== 'running') return;
    pollTimer = clock.setTimeout(() => void poll(), delayMs);
  }

  async function poll(): Promise<void> {
    pollTimer = null;
    const ch = channel.peek();
    if (!ch || phase.peek() !== 'running') return;
    try {
      const next = await client.state(ch);
      if (phase.peek() !== 'running' || disposed) return;
      adopt(next);
      if (error.peek()?.startsWith('Could not read the demo')) error.value = null;
      schedulePoll();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) {
        ended('The two instances were stopped: nobody looked at them for a while, or the server restarted. Start them again.');
        return;
      }
      error.value = `Could not read the demo: ${errorMessage(failure)}`;
      schedulePoll(POLL_MS * 3);
    }
  }

  function ended(message: string): void {
    closeStream();
    batch(() => {
      phase.value = 'stopped';
      connection.value = 'idle';
      status.value = message;
    });
    clock.clearTimeout(pollTimer);
    pollTimer = null;
  }

  async function run(label: string, task: () => Promise<void>): Promise<void> {
    if (busy.peek() !== null) return;
    batch(() => {
      busy.value = label;
      error.value = null;
    });
    try {
      await task();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404 && phase.peek() === 'running') {
        ended('The two instances were stopped meanwhile. Start them again.');
      } else {
        error.value = errorMessage(failure);
      }
    } finally {
      busy.value = null;
    }
  }

  return {
    channel,
    availability,
    backplane,
    noteText,
    pinned,
    phase,
    demo,
    readAt,
    busy,
    status,
    error,
    connection,
    feed,
    gone,
    servedBy,
    exerciseDone,

    async load() {
      const ch = channel.peek();
      if (!ch) return;
      try {
        const found = await client.availability();
        batch(() => {
          availability.value = found;
          if (!found.backplane.available) backplane.value = false;
        });
      } catch (failure) {
        error.value = errorMessage(failure);
        return;
      }
      try {
        const running = await client.state(ch);
        if (disposed) return;
        batch(() => {
          phase.value = 'running';
          backplane.value = running.backplane;
          status.value = 'Your two instances are still running from before.';
        });
        adopt(running);
        openStream();
        schedulePoll();
      } catch (failure) {
        if (!(failure instanceof ApiError && failure.status === 404)) error.value = errorMessage(failure);
      }
    },

    start: () =>
      run('start', async () => {
        const ch = channel.peek();
        if (!ch) return;
        const withRedis = backplane.peek();
        resetStream();
        batch(() => {
          phase.value = 'starting';
          demo.value = null;
          status.value = withRedis
            ? 'Starting instances A and B, both on one Redis…'
            : 'Starting instances A and B, each with its own in-memory bus…';
        });
        try {
          const started = await client.start(ch, { backplane: withRedis });
          if (disposed) return;
          batch(() => {
            phase.value = 'running';
            status.value = `A and B are running (two processes), ${started.backplane ? 'sharing one Redis' : 'sharing nothing'}. Your stream is pinned to ${pinned.peek().toUpperCase()}.`;
          });
          adopt(started);
          openStream();
          schedulePoll();
        } catch (failure) {
          phase.value = 'idle';
          status.value = '';
          throw failure;
        }
      }),

    stop: () =>
      run('stop', async () => {
        const ch = channel.peek();
        if (!ch) return;
        await client.stop(ch);
        ended('Stopped: both processes are gone.');
      }),

    act: (instance, action) =>
      run(`${action} ${instance}`, async () => {
        const ch = channel.peek();
        if (!ch) return;
        const next = await client.act(ch, instance, action);
        adopt(next);
        status.value = ACTION_DONE[action](instance.toUpperCase());
      }),

    publish: (on) =>
      run(`publish ${on}`, async () => {
        const ch = channel.peek();
        if (!ch) return;
        const text = noteText.peek().trim() || 'hello';
        const published = await client.publish(ch, on, text);
        status.value = `Published note #${published.id} on ${on.toUpperCase()}.`;
      }),

    pin(instance) {
      if (pinned.peek() === instance) return;
      pinned.value = instance;
      if (phase.peek() !== 'running') return;
      lostAt = null;
      openStream(lastDelivered || undefined);
      status.value = `Your stream is pinned to ${instance.toUpperCase()} now: a new EventSource, resuming after ${lastDelivered ? `id ${lastDelivered}` : 'nothing yet'}.`;
    },

    setVisible(next) {
      visible = next;
      if (next) schedulePoll(0);
      else {
        clock.clearTimeout(pollTimer);
        pollTimer = null;
      }
    },

    dispose() {
      disposed = true;
      closeStream();
      clock.clearTimeout(pollTimer);
      pollTimer = null;
    },
  };
}
