import { signal, type ReadonlySignal } from '@preact/signals';
import { fullJitterBackoff } from '../../protocol/backoff.ts';
import { PRODUCTION_EVENTS } from '../../protocol/production.ts';
import type { ServerMessage } from '../../protocol/websocket.ts';
import { READY_STATE, type EventSourceLike } from '../sse/client.ts';
import type { Clock } from '../shared/clock.ts';
import { formatMs } from '../shared/format.ts';
import { ApiError, isAbort } from '../shared/http.ts';
import { closeCodeName } from '../websocket/close-codes.ts';
import type { ProductionClient } from './client.ts';

/**
 * The graceful-restart page's own three clients on its channel — an
 * EventSource, a WebSocket and a long-poll loop — and what each was told
 * when the channel was drained, in its technique's words. The EventSource
 * also carries the drill's results.
 */

/** The WebSocket's own backoff after a close (full jitter, first attempt). */
export const WS_BACKOFF = { baseMs: 2_000, capMs: 15_000 } as const;
/** Jitter the long poll adds on top of `Retry-After`. */
export const POLL_JITTER = { baseMs: 500, capMs: 15_000 } as const;
const POLL_TIMEOUT_MS = 25_000;
/** The events of a drill on the page's channel. */
const DRILL_EVENTS = [PRODUCTION_EVENTS.drainStarted, PRODUCTION_EVENTS.drainBin, PRODUCTION_EVENTS.drainDone] as const;

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

export interface DrillClientsOptions {
  client: ProductionClient;
  clock: Clock;
  random: () => number;
  /** The page's channel. */
  channel(): string;
  /** A drill event arrived on the EventSource. */
  onDrillEvent(type: string, data: { drain: string }): void;
  /** The WebSocket could not even be created. */
  onError(message: string): void;
}

export interface DrillClients {
  readonly clients: ReadonlySignal<Record<ClientKind, OwnClient>>;
  /** Opens the three clients (no-op when connected). */
  connect(): void;
  /** Closes them and calls off their retries. */
  disconnect(): void;
  allOpen(): boolean;
  /** The drill's settings, to describe what the EventSource was told. */
  tellRetry(retryMs: number, spreadMs: number): void;
}

const fresh = (kind: ClientKind): OwnClient => ({ kind, state: 'off', told: null, lostAt: null, backAfterMs: null });
const allOff = (): Record<ClientKind, OwnClient> => ({ sse: fresh('sse'), websocket: fresh('websocket'), 'long-poll': fresh('long-poll') });

/** What the three connections share: the table's rows, and whether the page wants them connected. */
interface Board {
  readonly options: DrillClientsOptions;
  connected: boolean;
  /** The drill's settings, to describe what each client was told. */
  told: { retryMs: number; spreadMs: number };
  set(kind: ClientKind, change: Partial<OwnClient>): void;
  /** A client lost its connection: it waits, having been told `what`. */
  lost(kind: ClientKind, what: string): void;
  /** A client is connected (again). */
  opened(kind: ClientKind): void;
  state(kind: ClientKind): OwnClient['state'];
}

export function createDrillClients(options: DrillClientsOptions): DrillClients {
  const clients = signal(allOff());
  const { clock } = options;
  const board: Board = {
    options,
    connected: false,
    told: { retryMs: 0, spreadMs: 0 },
    set(kind, change) {
      clients.value = { ...clients.value, [kind]: { ...clients.value[kind], ...change } };
    },
    lost: (kind, what) => board.set(kind, { state: 'waiting', told: what, lostAt: clock.now() }),
    opened(kind) {
      const { lostAt } = clients.value[kind];
      board.set(kind, { state: 'open', lostAt: null, ...(lostAt === null ? {} : { backAfterMs: clock.now() - lostAt }) });
    },
    state: (kind) => clients.value[kind].state,
  };
  const source = new DrillEventSource(board);
  const socket = new DrillWebSocket(board);
  const longPoll = new DrillLongPoll(board);
  return {
    clients,
    connect() {
      if (board.connected) return;
      board.connected = true;
      source.open();
      socket.open();
      longPoll.poll();
    },
    disconnect() {
      board.connected = false;
      source.close();
      socket.close();
      longPoll.stop();
      clients.value = allOff();
    },
    allOpen: () => Object.values(clients.value).every((own) => own.state === 'open'),
    tellRetry(retryMs, spreadMs) {
      board.told = { retryMs, spreadMs };
    },
  };
}

/** The EventSource: also the feed of the drill's results. */
class DrillEventSource {
  readonly #board: Board;
  #source: EventSourceLike | undefined;

  constructor(board: Board) {
    this.#board = board;
  }

  open(): void {
    const board = this.#board;
    const { client, channel, onDrillEvent } = board.options;
    const stream = client.openEventSource(client.streamUrl(channel()));
    this.#source = stream;
    board.set('sse', { state: 'connecting' });
    stream.onopen = () => {
      if (this.#source === stream) board.opened('sse');
    };
    stream.onerror = () => {
      if (this.#source !== stream) return;
      if (stream.readyState === READY_STATE.closed) {
        board.set('sse', { state: 'off', told: 'The browser gave up (a non-200 answer).' });
        return;
      }
      // CONNECTING: the stream ended and the browser waits its `retry` before reconnecting.
      if (board.state('sse') === 'open') {
        const { retryMs, spreadMs } = board.told;
        const what =
          spreadMs > 0
            ? `retry: ${retryMs}–${retryMs + spreadMs} (its own, at random), then the end of the stream`
            : `retry: ${retryMs || '…'}, then the end of the stream`;
        board.lost('sse', what);
      }
    };
    for (const type of DRILL_EVENTS) {
      stream.addEventListener(type, (event) => {
        if (this.#source !== stream) return;
        try {
          onDrillEvent(type, JSON.parse(event.data) as { drain: string });
        } catch {
          // not a drill event
        }
      });
    }
  }

  close(): void {
    this.#source?.close();
    this.#source = undefined;
  }
}

/** The WebSocket: subscribed to the channel from its cursor, reconnecting after its own backoff. */
class DrillWebSocket {
  readonly #board: Board;
  #socket: WebSocket | undefined;
  #timer: unknown;
  #cursor = 0;

  constructor(board: Board) {
    this.#board = board;
  }

  open(): void {
    this.#timer = undefined;
    const board = this.#board;
    const { client, channel, clock, random } = board.options;
    let ws: WebSocket;
    try {
      ws = client.openWebSocket(client.webSocketUrl());
    } catch (failure) {
      board.options.onError(failure instanceof Error ? failure.message : String(failure));
      return;
    }
    this.#socket = ws;
    if (board.state('websocket') !== 'waiting') board.set('websocket', { state: 'connecting' });
    ws.onopen = () => {
      if (this.#socket !== ws) return;
      ws.send(JSON.stringify({ type: 'subscribe', channel: channel(), cursor: this.#cursor }));
    };
    ws.onmessage = (message) => {
      if (this.#socket !== ws) return;
      const parsed = JSON.parse(String(message.data)) as ServerMessage;
      if (parsed.type === 'subscribed') board.opened('websocket');
      if (parsed.type === 'event') this.#cursor = parsed.event.id;
      if (parsed.type === 'reset') this.#cursor = parsed.latestId;
    };
    ws.onclose = (event) => {
      if (this.#socket !== ws) return;
      this.#socket = undefined;
      if (!board.connected) return;
      const { delayMs } = fullJitterBackoff(1, WS_BACKOFF, random);
      board.lost(
        'websocket',
        `close ${event.code} ${closeCodeName(event.code)}${event.reason ? ` (“${event.reason}”)` : ''}; its own backoff waits ${formatMs(delayMs)}`,
      );
      this.#timer = clock.setTimeout(() => this.open(), delayMs);
    };
  }

  close(): void {
    const ws = this.#socket;
    this.#socket = undefined;
    ws?.close(1000);
    if (this.#timer !== undefined) this.#board.options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The long-poll loop: asks again after each answer, or after `Retry-After` plus jitter. */
class DrillLongPoll {
  readonly #board: Board;
  #controller: AbortController | undefined;
  #timer: unknown;
  #cursor = 0;

  constructor(board: Board) {
    this.#board = board;
  }

  poll(): void {
    this.#timer = undefined;
    const board = this.#board;
    if (!board.connected) return;
    const { client, channel, clock, random } = board.options;
    const ask = new AbortController();
    this.#controller = ask;
    // A poll on its way is the long-poll client's "connection": it is back as soon as it asks again.
    board.opened('long-poll');
    client.longPoll(channel(), this.#cursor, POLL_TIMEOUT_MS, ask.signal).then(
      (answer) => {
        if (this.#controller !== ask) return;
        if (answer.kind === 'events') this.#cursor = answer.body.cursor;
        this.poll();
      },
      (failure: unknown) => {
        if (this.#controller !== ask || isAbort(failure)) return;
        const retryAfterMs = failure instanceof ApiError ? failure.retryAfterMs : undefined;
        const { delayMs } = fullJitterBackoff(1, POLL_JITTER, random, retryAfterMs);
        const status = failure instanceof ApiError && failure.status !== null ? `${failure.status}` : 'network error';
        board.lost(
          'long-poll',
          retryAfterMs === undefined
            ? `${status}; retrying in ${formatMs(delayMs)}`
            : `${status} with Retry-After: ${retryAfterMs / 1000}; polls again after ${formatMs(delayMs)}: Retry-After plus jitter`,
        );
        this.#timer = clock.setTimeout(() => this.poll(), delayMs);
      },
    );
  }

  stop(): void {
    this.#controller?.abort();
    this.#controller = undefined;
    if (this.#timer !== undefined) this.#board.options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
