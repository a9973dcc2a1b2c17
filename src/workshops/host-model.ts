import { batch, computed, signal, type ReadonlySignal, type Signal } from '@preact/signals';
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
  return new HostDashboardModel(client, code, secret, options);
}

const STATE_CHANGED: Record<WorkshopState, string> = {
  open: 'Reopened: people can join again.',
  locked: 'Locked: members stay, nobody new can join.',
  closed: 'The workshop is closed.',
};

class HostDashboardModel implements HostModel {
  readonly phase: Signal<HostPhase>;
  readonly connection = signal<HostConnection>('connecting');
  readonly workshop = signal<HostWorkshop | null>(null);
  readonly roster = signal<Roster>(new Map());
  readonly counts = computed(() => countRoster(this.roster.value));
  readonly broadcasts = signal<readonly BroadcastRecord[]>([]);
  readonly lastReceipt = signal<BroadcastReceipt | null>(null);
  readonly busy = signal<HostAction | null>(null);
  readonly error = signal<string | null>(null);
  readonly status = signal('');

  readonly #client: WorkshopClient;
  readonly #code: string;
  readonly #secret: string | null;
  readonly #clock: Clock;
  readonly #openEventSource: (url: string) => HostEventSource;
  readonly #firstResyncMs: number;
  #source: HostEventSource | null = null;
  #cursor = '';
  #timer: unknown = null;
  #resyncMs: number;
  #disposed = false;

  constructor(client: WorkshopClient, code: string, secret: string | null, options: HostModelOptions) {
    this.#client = client;
    this.#code = code;
    this.#secret = secret;
    this.#clock = options.clock ?? systemClock;
    this.#openEventSource = options.openEventSource ?? ((url: string) => new EventSource(url) as HostEventSource);
    this.#firstResyncMs = options.resyncMs ?? 1_000;
    this.#resyncMs = this.#firstResyncMs;
    this.phase = signal<HostPhase>(secret ? 'starting' : 'no-key');
  }

  async start(): Promise<void> {
    if (!this.#secret) return;
    try {
      await this.#client.startHostSession(this.#code, this.#secret);
    } catch (failure) {
      if (this.#disposed || this.#refusedBy(failure)) return;
      // Unreachable: the snapshot's retry loop takes over.
    }
    await this.#sync();
  }

  goto(lesson: string): Promise<boolean> {
    return this.#act(
      'goto',
      () => this.#client.goto(this.#code, lesson),
      (result) => {
        this.workshop.value = result;
        this.status.value = 'Sent: everyone is asked to open that lesson, and every “done” was lowered.';
      },
    );
  }

  broadcast(text: string): Promise<boolean> {
    return this.#act(
      'broadcast',
      () => this.#client.broadcast(this.#code, text),
      (receipt) => {
        this.lastReceipt.value = receipt;
        this.broadcasts.value = withBroadcast(this.broadcasts.peek(), receipt);
        this.status.value = 'Broadcast sent.';
      },
    );
  }

  setState(state: WorkshopState): Promise<boolean> {
    return this.#act(
      'state',
      () => this.#client.setState(this.#code, state),
      (result) => {
        this.workshop.value = result;
        this.status.value = STATE_CHANGED[state];
        if (state === 'closed') this.#ended();
      },
    );
  }

  dispose(): void {
    this.#disposed = true;
    this.#closeStream();
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #adopt(snapshot: HostSnapshot): void {
    this.#cursor = String(snapshot.cursor);
    batch(() => {
      this.workshop.value = snapshot.workshop;
      this.roster.value = rosterOf(snapshot.members);
      this.broadcasts.value = [...snapshot.broadcasts].sort((a, b) => b.at - a.at);
    });
  }

  /** Snapshot, then stream. A 401 means the cookie expired or was never set: get a new one with the secret. */
  async #sync(): Promise<void> {
    const secret = this.#secret;
    if (this.#disposed || !secret) return;
    let snapshot: HostSnapshot;
    try {
      try {
        snapshot = await this.#client.snapshot(this.#code);
      } catch (failure) {
        if (!(failure instanceof ApiError) || failure.status !== 401) throw failure;
        await this.#client.startHostSession(this.#code, secret);
        snapshot = await this.#client.snapshot(this.#code);
      }
    } catch (failure) {
      if (this.#disposed || this.#refusedBy(failure)) return;
      this.connection.value = 'reconnecting';
      this.status.value = `${errorMessage(failure)} Trying again…`;
      this.#scheduleResync();
      return;
    }
    if (this.#disposed) return;
    batch(() => {
      this.#adopt(snapshot);
      this.phase.value = 'ready';
      this.error.value = null;
    });
    this.#openStream();
  }

  #scheduleResync(): void {
    if (this.#timer !== null || this.#disposed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      void this.#sync();
    }, this.#resyncMs);
    this.#resyncMs = Math.min(this.#resyncMs * 2, 15_000);
  }

  #closeStream(): void {
    this.#source?.close();
    this.#source = null;
  }

  /** The workshop closed: its stream ends for good. */
  #ended(): void {
    this.#closeStream();
    this.connection.value = 'ended';
  }

  #openStream(): void {
    this.#closeStream();
    if (this.workshop.peek()?.state === 'closed') {
      this.connection.value = 'ended';
      return;
    }
    let es: HostEventSource;
    try {
      es = this.#openEventSource(this.#client.hostStreamUrl(this.#code, this.#cursor || undefined));
    } catch (failure) {
      this.error.value = errorMessage(failure);
      return;
    }
    this.#source = es;
    this.connection.value = 'connecting';
    es.onopen = () => {
      if (this.#source !== es) return;
      this.#resyncMs = this.#firstResyncMs;
      this.connection.value = 'live';
    };
    es.onerror = () => {
      if (this.#source !== es) return;
      if (es.readyState === CLOSED) {
        // Refused (the cookie expired, the server restarted without the workshop…): start over from a snapshot.
        this.#closeStream();
        this.connection.value = 'reconnecting';
        this.#scheduleResync();
      } else {
        this.connection.value = 'reconnecting'; // The browser reconnects by itself, sending Last-Event-ID.
      }
    };
    this.#listen(es);
  }

  /** The dashboard's events: a member's row, the workshop, a broadcast; and a `reset` when the server cannot resume. */
  #listen(es: HostEventSource): void {
    const on = (type: string, handle: (data: unknown) => void) =>
      es.addEventListener(type, (event) => {
        if (this.#source !== es) return;
        if (event.lastEventId) this.#cursor = event.lastEventId;
        let data: unknown;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        handle(data);
      });
    on(HOST_EVENTS.member, (data) => {
      this.roster.value = withMember(this.roster.peek(), data as MemberView);
    });
    on(HOST_EVENTS.workshop, (data) => {
      this.workshop.value = data as HostWorkshop;
      if ((data as HostWorkshop).state === 'closed') this.#ended();
    });
    on(HOST_EVENTS.broadcast, (data) => {
      this.broadcasts.value = withBroadcast(this.broadcasts.peek(), data as BroadcastRecord);
    });
    es.addEventListener(SSE_RESET_EVENT, () => {
      if (this.#source !== es) return;
      // The server cannot resume after our cursor: what we hold may be stale.
      this.#closeStream();
      this.connection.value = 'reconnecting';
      void this.#sync();
    });
  }

  /** A 4xx (wrong key, unknown code) will not change by retrying: say why and stop. Returns whether it was one. */
  #refusedBy(failure: unknown): boolean {
    if (!(failure instanceof ApiError) || failure.status === null || failure.status >= 500) return false;
    batch(() => {
      this.phase.value = 'refused';
      this.connection.value = 'ended';
      this.error.value = errorMessage(failure);
    });
    return true;
  }

  async #act<T>(action: HostAction, call: () => Promise<T>, done: (result: T) => void): Promise<boolean> {
    if (this.busy.peek() !== null) return false;
    batch(() => {
      this.busy.value = action;
      this.error.value = null;
    });
    try {
      const result = await call();
      if (!this.#disposed) batch(() => done(result));
      return true;
    } catch (failure) {
      if (!this.#disposed) this.error.value = errorMessage(failure);
      return false;
    } finally {
      if (!this.#disposed) this.busy.value = null;
    }
  }
}
