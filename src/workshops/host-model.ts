import { batch, computed, signal, type ReadonlySignal } from '@preact/signals';
import { SSE_RESET_EVENT } from '../protocol/sse.ts';
import {
  HOST_EVENTS,
  type BroadcastReceipt,
  type BroadcastRecord,
  type HostSnapshot,
  type HostWorkshop,
  type MemberView,
  type WorkshopState,
} from '../protocol/workshops.ts';
import { systemClock, type Clock } from '../widgets/shared/clock.ts';
import { ApiError, errorMessage } from '../widgets/shared/http.ts';
import type { WorkshopClient } from './client.ts';
import { countRoster, rosterOf, withBroadcast, withMember, type Roster, type RosterCounts } from './host-state.ts';

/**
 * The host dashboard's live state. Start: trade the secret for the host
 * cookie (`POST …/host/session`), fetch the snapshot, then follow the host
 * stream from the snapshot's cursor (`?lastEventId=`). The browser's
 * EventSource reconnects by itself with `Last-Event-ID`; when the server
 * answers `reset` (it cannot resume) or the stream fails for good, the
 * model fetches a fresh snapshot and opens a new stream after it.
 */

/** What the dashboard can show: no key in the link, starting, running, or refused for good. */
export type HostPhase = 'no-key' | 'starting' | 'ready' | 'refused';

/** The host stream: `live` while open; `reconnecting` while the browser or the model retries. */
export type HostConnection = 'connecting' | 'live' | 'reconnecting' | 'ended';

/** Action names, for disabling a button while its request is out. */
export type HostAction = 'goto' | 'broadcast' | 'state';

/** What the model needs of the browser's EventSource (tests pass a fake). */
export interface HostEventSource {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export interface HostModelOptions {
  clock?: Clock;
  openEventSource?: (url: string) => HostEventSource;
  /** First wait before fetching a new snapshot after the stream failed; doubles up to 15 s. */
  resyncMs?: number;
}

export interface HostModel {
  readonly phase: ReadonlySignal<HostPhase>;
  readonly connection: ReadonlySignal<HostConnection>;
  readonly workshop: ReadonlySignal<HostWorkshop | null>;
  readonly roster: ReadonlySignal<Roster>;
  readonly counts: ReadonlySignal<RosterCounts>;
  /** Newest first. */
  readonly broadcasts: ReadonlySignal<readonly BroadcastRecord[]>;
  readonly lastReceipt: ReadonlySignal<BroadcastReceipt | null>;
  readonly busy: ReadonlySignal<HostAction | null>;
  /** Why the dashboard cannot start, or why the last action failed: the server's `detail`. */
  readonly error: ReadonlySignal<string | null>;
  /** The latest change, in a sentence (an aria-live region reads it). */
  readonly status: ReadonlySignal<string>;

  start(): Promise<void>;
  goto(lesson: string): Promise<boolean>;
  broadcast(text: string): Promise<boolean>;
  setState(state: WorkshopState): Promise<boolean>;
  dispose(): void;
}

const CLOSED = 2;

export function createHostModel(client: WorkshopClient, code: string, secret: string | null, options: HostModelOptions = {}): HostModel {
  const clock = options.clock ?? systemClock;
  const openEventSource = options.openEventSource ?? ((url: string) => new EventSource(url) as HostEventSource);
  const firstResyncMs = options.resyncMs ?? 1_000;

  const phase = signal<HostPhase>(secret ? 'starting' : 'no-key');
  const connection = signal<HostConnection>('connecting');
  const workshop = signal<HostWorkshop | null>(null);
  const roster = signal<Roster>(new Map());
  const broadcasts = signal<readonly BroadcastRecord[]>([]);
  const lastReceipt = signal<BroadcastReceipt | null>(null);
  const busy = signal<HostAction | null>(null);
  const error = signal<string | null>(null);
  const status = signal('');
  const counts = computed(() => countRoster(roster.value));

  let source: HostEventSource | null = null;
  let cursor = '';
  let timer: unknown = null;
  let resyncMs = firstResyncMs;
  let disposed = false;

  function adopt(snapshot: HostSnapshot): void {
    cursor = String(snapshot.cursor);
    batch(() => {
      workshop.value = snapshot.workshop;
      roster.value = rosterOf(snapshot.members);
      broadcasts.value = [...snapshot.broadcasts].sort((a, b) => b.at - a.at);
    });
  }

  /** Snapshot, then stream. A 401 means the cookie expired or was never set: get a new one with the secret. */
  async function sync(): Promise<void> {
    if (disposed || !secret) return;
    let snapshot: HostSnapshot;
    try {
      try {
        snapshot = await client.snapshot(code);
      } catch (failure) {
        if (!(failure instanceof ApiError) || failure.status !== 401) throw failure;
        await client.startHostSession(code, secret);
        snapshot = await client.snapshot(code);
      }
    } catch (failure) {
      if (disposed || refusedBy(failure)) return;
      connection.value = 'reconnecting';
      status.value = `${errorMessage(failure)} Trying again…`;
      scheduleResync();
      return;
    }
    if (disposed) return;
    batch(() => {
      adopt(snapshot);
      phase.value = 'ready';
      error.value = null;
    });
    openStream();
  }

  function scheduleResync(): void {
    if (timer !== null || disposed) return;
    timer = clock.setTimeout(() => {
      timer = null;
      void sync();
    }, resyncMs);
    resyncMs = Math.min(resyncMs * 2, 15_000);
  }

  function closeStream(): void {
    source?.close();
    source = null;
  }

  function openStream(): void {
    closeStream();
    if (workshop.peek()?.state === 'closed') {
      connection.value = 'ended';
      return;
    }
    let es: HostEventSource;
    try {
      es = openEventSource(client.hostStreamUrl(code, cursor || undefined));
    } catch (failure) {
      error.value = errorMessage(failure);
      return;
    }
    source = es;
    connection.value = 'connecting';
    es.onopen = () => {
      if (source !== es) return;
      resyncMs = firstResyncMs;
      connection.value = 'live';
    };
    es.onerror = () => {
      if (source !== es) return;
      if (es.readyState === CLOSED) {
        // Refused (the cookie expired, the server restarted without the workshop…): start over from a snapshot.
        closeStream();
        connection.value = 'reconnecting';
        scheduleResync();
      } else {
        connection.value = 'reconnecting'; // The browser reconnects by itself, sending Last-Event-ID.
      }
    };
    const on = (type: string, handle: (data: unknown) => void) =>
      es.addEventListener(type, (event) => {
        if (source !== es) return;
        if (event.lastEventId) cursor = event.lastEventId;
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        handle(data);
      });
    on(HOST_EVENTS.member, (data) => {
      roster.value = withMember(roster.peek(), data as MemberView);
    });
    on(HOST_EVENTS.workshop, (data) => {
      workshop.value = data as HostWorkshop;
      if ((data as HostWorkshop).state === 'closed') {
        closeStream();
        connection.value = 'ended';
      }
    });
    on(HOST_EVENTS.broadcast, (data) => {
      broadcasts.value = withBroadcast(broadcasts.peek(), data as BroadcastRecord);
    });
    es.addEventListener(SSE_RESET_EVENT, () => {
      if (source !== es) return;
      // The server cannot resume after our cursor: what we hold may be stale.
      closeStream();
      connection.value = 'reconnecting';
      void sync();
    });
  }

  /** A 4xx (wrong key, unknown code) will not change by retrying: say why and stop. Returns whether it was one. */
  function refusedBy(failure: unknown): boolean {
    if (!(failure instanceof ApiError) || failure.status === null || failure.status >= 500) return false;
    batch(() => {
      phase.value = 'refused';
      connection.value = 'ended';
      error.value = errorMessage(failure);
    });
    return true;
  }

  async function start(): Promise<void> {
    if (!secret) return;
    try {
      await client.startHostSession(code, secret);
    } catch (failure) {
      if (disposed || refusedBy(failure)) return;
      // Unreachable: the snapshot's retry loop takes over.
    }
    await sync();
  }

  async function act<T>(action: HostAction, call: () => Promise<T>, done: (result: T) => void): Promise<boolean> {
    if (busy.peek() !== null) return false;
    batch(() => {
      busy.value = action;
      error.value = null;
    });
    try {
      const result = await call();
      if (!disposed) batch(() => done(result));
      return true;
    } catch (failure) {
      if (!disposed) error.value = errorMessage(failure);
      return false;
    } finally {
      if (!disposed) busy.value = null;
    }
  }

  return {
    phase,
    connection,
    workshop,
    roster,
    counts,
    broadcasts,
    lastReceipt,
    busy,
    error,
    status,
    start,
    goto: (lesson) =>
      act(
        'goto',
        () => client.goto(code, lesson),
        (result) => {
          workshop.value = result;
          status.value = 'Sent: everyone is asked to open that lesson, and every “done” was lowered.';
        },
      ),
    broadcast: (text) =>
      act(
        'broadcast',
        () => client.broadcast(code, text),
        (receipt) => {
          lastReceipt.value = receipt;
          broadcasts.value = withBroadcast(broadcasts.peek(), receipt);
          status.value = 'Broadcast sent.';
        },
      ),
    setState: (state) =>
      act(
        'state',
        () => client.setState(code, state),
        (result) => {
          workshop.value = result;
          status.value = {
            open: 'Reopened: people can join again.',
            locked: 'Locked: members stay, nobody new can join.',
            closed: 'The workshop is closed.',
          }[state];
          if (state === 'closed') {
            closeStream();
            connection.value = 'ended';
          }
        },
      ),
    dispose() {
      disposed = true;
      closeStream();
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
  };
}
