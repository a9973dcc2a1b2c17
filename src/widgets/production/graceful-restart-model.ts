import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { fullJitterBackoff } from '../../protocol/backoff.ts';
import { DRAIN_LIMITS, PRODUCTION_EVENTS, type DrainBin, type DrainDone, type DrainStarted } from '../../protocol/production.ts';
import type { ServerMessage } from '../../protocol/websocket.ts';
import { READY_STATE, type EventSourceLike } from '../sse/client.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { formatMs, plural } from '../shared/format.ts';
import { ApiError, isAbort } from '../shared/http.ts';
import { closeCodeName } from '../websocket/close-codes.ts';
import type { ProductionClient } from './client.ts';
import { createHeldExperiment } from './held-experiment.ts';

/**
 * The graceful-restart widget's state, with no DOM and no JSX. The page keeps
 * three clients on its channel — an EventSource, a WebSocket and a long-poll
 * loop — and the server adds a fleet of simulated EventSource clients. The
 * drill drains the channel: each client is told, in its technique's words,
 * to come back later; the server counts the fleet's reconnects per 100 ms.
 */

export type DrillMode = 'same' | 'spread';

export const FLEET_CHOICES = [0, 50, 100, 200] as const;
export const RETRY_CHOICES = [1_000, 2_000, 5_000] as const;
/** "Spread each stream's retry": up to this much more per stream. */
export const SPREAD_MS = 3_000;
/** The WebSocket's own backoff after a close (full jitter, first attempt). */
export const WS_BACKOFF = { baseMs: 2_000, capMs: 15_000 } as const;
/** Jitter the long poll adds on top of `Retry-After`. */
export const POLL_JITTER = { baseMs: 500, capMs: 15_000 } as const;
/** The clients must be open within this time before a drill starts. */
const CONNECT_TIMEOUT_MS = 10_000;
const POLL_TIMEOUT_MS = 25_000;

export type ClientKind = 'sse' | 'websocket' | 'long-poll';
export const CLIENT_LABELS: Record<ClientKind, string> = {
  sse: 'EventSource',
  websocket: 'WebSocket',
  'long-poll': 'Long poll',
};

/** One of the page's own clients, as the table shows it. */
export interface OwnClient {
  kind: ClientKind;
  state: 'off' | 'connecting' | 'open' | 'waiting';
  /** What the server said when it drained the channel, in the technique's words. */
  told: string | null;
  /** When it lost its connection (clock ms), while waiting. */
  lostAt: number | null;
  /** How long it stayed away the last time. */
  backAfterMs: number | null;
}

export interface DrillRun {
  drain: string;
  mode: DrillMode;
  fleet: number;
  retryMs: number;
  spreadMs: number;
  bins: number[];
  back: number;
  done?: DrainDone;
}

export type DrillPhase = 'idle' | 'connecting' | 'draining';

export interface GracefulRestartModel {
  readonly channel: Signal<string>;
  readonly fleet: Signal<number>;
  readonly retryMs: Signal<number>;
  readonly spread: Signal<boolean>;
  readonly phase: ReadonlySignal<DrillPhase>;
  readonly clients: ReadonlySignal<Record<ClientKind, OwnClient>>;
  readonly runs: ReadonlySignal<Partial<Record<DrillMode, DrillRun>>>;
  readonly status: ReadonlySignal<string>;
  readonly error: ReadonlySignal<string | null>;
  /** When the server's experiment slots may free up (its `Retry-After`), or null. */
  readonly retryAt: ReadonlySignal<number | null>;
  /** The page is going away (`pagehide`): stop our drill on the server. */
  leave(): void;
  /** Connects the page's clients (if needed), then drains the channel. */
  drain(): Promise<void>;
  /** Closes the page's three clients. */
  disconnect(): void;
  dispose(): void;
}

export interface GracefulRestartOptions {
  client: ProductionClient;
  clock?: Clock;
  random?: () => number;
}

export function createGracefulRestartModel(options: GracefulRestartOptions): GracefulRestartModel {
  const { client } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const channel = signal('');
  const fleet = signal<number>(DRAIN_LIMITS.defaultFleet);
  const retryMs = signal<number>(DRAIN_LIMITS.defaultRetryMs);
  const spread = signal(false);
  const phase = signal<DrillPhase>('idle');
  const fresh = (kind: ClientKind): OwnClient => ({ kind, state: 'off', told: null, lostAt: null, backAfterMs: null });
  const clients = signal<Record<ClientKind, OwnClient>>({
    sse: fresh('sse'),
    websocket: fresh('websocket'),
    'long-poll': fresh('long-poll'),
  });
  const runs = signal<Partial<Record<DrillMode, DrillRun>>>({});
  const status = signal('Drain the channel: its clients are told to come back later.');
  const error = signal<string | null>(null);
  const held = createHeldExperiment(client, clock);

  let source: EventSourceLike | undefined;
  let socket: WebSocket | undefined;
  let socketTimer: unknown;
  let pollController: AbortController | undefined;
  let pollTimer: unknown;
  let pollCursor = 0;
  let socketCursor = 0;
  let connected = false;
  /** The drill this widget started, and its mode. */
  let current: { drain: string | undefined; mode: DrillMode } | undefined;
  let early: { type: string; data: { drain: string } }[] = [];
  /** The drill's settings, to describe what each client was told. */
  let told = { retryMs: 0, spreadMs: 0 };

  const set = (kind: ClientKind, change: Partial<OwnClient>) => {
    clients.value = { ...clients.value, [kind]: { ...clients.value[kind], ...change } };
  };
  /** A client lost its connection: it waits, having been told `what`. */
  const lost = (kind: ClientKind, what: string) => set(kind, { state: 'waiting', told: what, lostAt: clock.now() });
  /** A client is connected (again). */
  const opened = (kind: ClientKind) => {
    const { lostAt } = clients.value[kind];
    set(kind, { state: 'open', lostAt: null, ...(lostAt === null ? {} : { backAfterMs: clock.now() - lostAt }) });
  };

  // ── The EventSource: also the feed of the drill's results ──

  function openSource(): void {
    const stream = client.openEventSource(client.streamUrl(channel.value));
    source = stream;
    set('sse', { state: 'connecting' });
    stream.onopen = () => {
      if (source === stream) opened('sse');
    };
    stream.onerror = () => {
      if (source !== stream) return;
      if (stream.readyState === READY_STATE.closed) {
        set('sse', { state: 'off', told: 'The browser gave up (a non-200 answer).' });
        return;
      }
      // CONNECTING: the stream ended and the browser waits its `retry` before reconnecting.
      if (clients.value.sse.state === 'open') {
        const what =
          told.spreadMs > 0
            ? `retry: ${told.retryMs}–${told.retryMs + told.spreadMs} (its own, at random), then the end of the stream`
            : `retry: ${told.retryMs || '…'}, then the end of the stream`;
        lost('sse', what);
      }
    };
    const on = (type: string, handle: (data: never) => void) =>
      stream.addEventListener(type, (event) => {
        if (source !== stream) return;
        try {
          handle(JSON.parse(event.data) as never);
        } catch {
          // not a drill event
        }
      });
    on(PRODUCTION_EVENTS.drainStarted, (data: DrainStarted) => onDrillEvent(PRODUCTION_EVENTS.drainStarted, data));
    on(PRODUCTION_EVENTS.drainBin, (data: DrainBin) => onDrillEvent(PRODUCTION_EVENTS.drainBin, data));
    on(PRODUCTION_EVENTS.drainDone, (data: DrainDone) => onDrillEvent(PRODUCTION_EVENTS.drainDone, data));
  }

  // ── The WebSocket ──

  function openSocket(): void {
    socketTimer = undefined;
    let ws: WebSocket;
    try {
      ws = client.openWebSocket(client.webSocketUrl());
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
      return;
    }
    socket = ws;
    if (clients.value.websocket.state !== 'waiting') set('websocket', { state: 'connecting' });
    ws.onopen = () => {
      if (socket !== ws) return;
      ws.send(JSON.stringify({ type: 'subscribe', channel: channel.value, cursor: socketCursor }));
    };
    ws.onmessage = (message) => {
      if (socket !== ws) return;
      const parsed = JSON.parse(String(message.data)) as ServerMessage;
      if (parsed.type === 'subscribed') opened('websocket');
      if (parsed.type === 'event') socketCursor = parsed.event.id;
      if (parsed.type === 'reset') socketCursor = parsed.latestId;
    };
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = undefined;
      if (!connected) return;
      const { delayMs } = fullJitterBackoff(1, WS_BACKOFF, random);
      lost(
        'websocket',
        `close ${event.code} ${closeCodeName(event.code)}${event.reason ? ` (“${event.reason}”)` : ''}; its own backoff waits ${formatMs(delayMs)}`,
      );
      socketTimer = clock.setTimeout(openSocket, delayMs);
    };
  }

  // ── The long-poll loop ──

  function poll(): void {
    pollTimer = undefined;
    if (!connected) return;
    const ask = new AbortController();
    pollController = ask;
    // A poll on its way is the long-poll client's "connection": it is back as soon as it asks again.
    opened('long-poll');
    client.longPoll(channel.value, pollCursor, POLL_TIMEOUT_MS, ask.signal).then(
      (answer) => {
        if (pollController !== ask) return;
        if (answer.kind === 'events') pollCursor = answer.body.cursor;
        poll();
      },
      (failure: unknown) => {
        if (pollController !== ask || isAbort(failure)) return;
        const retryAfterMs = failure instanceof ApiError ? failure.retryAfterMs : undefined;
        const { delayMs } = fullJitterBackoff(1, POLL_JITTER, random, retryAfterMs);
        const status = failure instanceof ApiError && failure.status !== null ? `${failure.status}` : 'network error';
        lost(
          'long-poll',
          retryAfterMs === undefined
            ? `${status}; retrying in ${formatMs(delayMs)}`
            : `${status} with Retry-After: ${retryAfterMs / 1000}; polls again after ${formatMs(delayMs)}: Retry-After plus jitter`,
        );
        pollTimer = clock.setTimeout(poll, delayMs);
      },
    );
  }

  function connect(): void {
    if (connected) return;
    connected = true;
    openSource();
    openSocket();
    poll();
  }

  function disconnect(): void {
    connected = false;
    source?.close();
    source = undefined;
    const ws = socket;
    socket = undefined;
    ws?.close(1000);
    if (socketTimer !== undefined) clock.clearTimeout(socketTimer);
    socketTimer = undefined;
    pollController?.abort();
    pollController = undefined;
    if (pollTimer !== undefined) clock.clearTimeout(pollTimer);
    pollTimer = undefined;
    clients.value = { sse: fresh('sse'), websocket: fresh('websocket'), 'long-poll': fresh('long-poll') };
  }

  function allOpen(): boolean {
    return Object.values(clients.value).every((own) => own.state === 'open');
  }

  async function waitUntilOpen(): Promise<void> {
    const deadline = clock.now() + CONNECT_TIMEOUT_MS;
    while (!allOpen()) {
      if (clock.now() > deadline) throw new Error('The page’s clients did not all connect; is the server reachable?');
      await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 50));
    }
  }

  // ── The drill ──

  function onDrillEvent(type: string, data: { drain: string }): void {
    if (!current) return;
    if (current.drain === undefined) {
      early.push({ type, data });
      return;
    }
    if (data.drain !== current.drain) return;
    const mode = current.mode;
    const run = runs.value[mode];
    if (!run) return;
    if (type === PRODUCTION_EVENTS.drainBin) {
      const bin = data as DrainBin;
      const bins = run.bins.slice();
      while (bins.length < bin.bin) bins.push(0);
      bins[bin.bin] = bin.reconnects;
      runs.value = { ...runs.value, [mode]: { ...run, bins, back: bin.back } };
      status.value = `${bin.back} of ${run.fleet} simulated clients back after ${formatMs((bin.bin + 1) * DRAIN_LIMITS.binMs)}.`;
    } else if (type === PRODUCTION_EVENTS.drainDone) {
      const done = data as DrainDone;
      current = undefined;
      held.done();
      batch(() => {
        runs.value = { ...runs.value, [mode]: { ...run, bins: done.bins, back: done.back, done } };
        phase.value = 'idle';
        status.value = done.aborted
          ? `The drill stopped early: ${done.aborted}.`
          : `Drained ${plural(done.drained.sse, 'SSE stream')}, ${plural(done.drained.webSockets, 'WebSocket')} and ${plural(done.drained.longPolls, 'long poll')}. ` +
            (done.fleet === 0
              ? ''
              : `Peak: ${done.peak} reconnects in one 100 ms; ` +
                (done.allBackMs === null
                  ? `${done.back} of ${done.fleet} back.`
                  : `all ${done.fleet} back after ${formatMs(done.allBackMs)}.`));
      });
    }
  }

  async function drain(): Promise<void> {
    if (phase.value !== 'idle' || !channel.value) return;
    const mode: DrillMode = spread.value ? 'spread' : 'same';
    const settings = { fleet: fleet.value, retryMs: retryMs.value, spreadMs: spread.value ? SPREAD_MS : 0 };
    batch(() => {
      phase.value = 'connecting';
      error.value = null;
      status.value = 'Connecting the page’s EventSource, WebSocket and long poll…';
    });
    try {
      connect();
      await waitUntilOpen();
      told = { retryMs: settings.retryMs, spreadMs: settings.spreadMs };
      current = { drain: undefined, mode };
      early = [];
      batch(() => {
        phase.value = 'draining';
        status.value =
          settings.fleet > 0 ? `Connecting ${settings.fleet} simulated EventSource clients, then draining…` : 'Draining the channel…';
      });
      const started = await client.startDrain({ channel: channel.value, ...settings });
      held.hold(started.id);
      runs.value = { ...runs.value, [mode]: { drain: started.id, mode, ...settings, bins: [], back: 0 } };
      current = { drain: started.id, mode };
      for (const { type, data } of early.splice(0)) onDrillEvent(type, data);
    } catch (failure) {
      current = undefined;
      batch(() => {
        phase.value = 'idle';
        error.value = held.refused(failure);
        status.value = 'The drill did not start.';
      });
    }
  }

  return {
    channel,
    fleet,
    retryMs,
    spread,
    phase,
    clients,
    runs,
    status,
    error,
    retryAt: held.retryAt,
    leave: held.leave,
    drain,
    disconnect,
    dispose: disconnect,
  };
}
