import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { SSE_LIMITS } from '../../protocol/sse.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { formatMs } from '../shared/format.ts';
import { isHeartbeat } from '../../protocol/sse-wire-parser.ts';
import { WireReader, type WireReaderListener } from '../sse/wire-reader.ts';
import type { ProductionClient } from './client.ts';

/**
 * The idle-hop widget's state, with no DOM and no JSX. The stream is read
 * with fetch (the SSE lesson's wire reader), not EventSource, because only
 * the raw bytes show the heartbeats that keep the hop from cutting it; the
 * reader reconnects like EventSource after a cut.
 */

/** The hop's idle limits the reader can choose, in ms. */
export const IDLE_LIMIT_CHOICES = [3_000, 5_000, 10_000, 20_000] as const;
/** Heartbeat intervals the reader can choose, in ms. */
export const HEARTBEAT_CHOICES = [1_000, 2_000, 4_000, 8_000, 15_000] as const;
/**
 * "Heartbeats off": the stream asks for the longest interval the server
 * allows (60 s), longer than any idle limit offered, so none arrives in time.
 */
export const NO_HEARTBEAT_MS = SSE_LIMITS.maxHeartbeatMs;
/** A network error after at least this share of the hop's limit in silence is taken for the hop's cut. */
export const CUT_SILENCE_SHARE = 0.75;
/** Entries kept in the timeline. */
export const MAX_LOG = 40;

export type HopState = 'closed' | 'connecting' | 'open' | 'cut' | 'ended';

export interface HopLogEntry {
  seq: number;
  /** ms since the reader first opened the stream. */
  t: number;
  kind: 'info' | 'open' | 'cut' | 'error' | 'event';
  text: string;
}

export interface HopStats {
  connections: number;
  /** Connections the hop cut for silence. */
  cuts: number;
  heartbeats: number;
  events: number;
}

export interface IdleHopModel {
  readonly channel: Signal<string>;
  readonly idleMs: Signal<number>;
  readonly heartbeats: Signal<boolean>;
  readonly heartbeatMs: Signal<number>;
  readonly state: ReadonlySignal<HopState>;
  /** When the last byte arrived (clock ms), while open: what the silence meter measures from. */
  readonly lastByteAt: ReadonlySignal<number | null>;
  readonly stats: ReadonlySignal<HopStats>;
  readonly log: ReadonlySignal<HopLogEntry[]>;
  readonly error: ReadonlySignal<string | null>;
  readonly clock: Clock;
  /** Opens the stream through the hop (or reopens it with the current settings). */
  open(): void;
  close(): void;
  /** Publishes an event on the channel: real traffic resets the hop's timer too. */
  publish(): Promise<void>;
  dispose(): void;
}

export function createIdleHopModel(client: ProductionClient, clock: Clock = systemClock): IdleHopModel {
  const channel = signal('');
  const idleMs = signal<number>(5_000);
  const heartbeats = signal(true);
  const heartbeatMs = signal<number>(2_000);
  const state = signal<HopState>('closed');
  const lastByteAt = signal<number | null>(null);
  const stats = signal<HopStats>({ connections: 0, cuts: 0, heartbeats: 0, events: 0 });
  const log = signal<HopLogEntry[]>([]);
  const error = signal<string | null>(null);
  let origin: number | null = null;
  let seq = 0;
  let reader: WireReader | undefined;
  /** Settings of the open reader, to describe a cut. */
  let openedWith = { idleMs: 0, heartbeatMs: 0 };

  const note = (kind: HopLogEntry['kind'], text: string) => {
    const t = clock.now() - (origin ?? clock.now());
    log.value = [...log.value, { seq: (seq += 1), t, kind, text }].slice(-MAX_LOG);
  };
  const count = (change: Partial<HopStats>) => {
    const current = stats.value;
    stats.value = {
      connections: current.connections + (change.connections ?? 0),
      cuts: current.cuts + (change.cuts ?? 0),
      heartbeats: current.heartbeats + (change.heartbeats ?? 0),
      events: current.events + (change.events ?? 0),
    };
  };

  const listener = hopListener({ clock, state, lastByteAt, note, count, openedWith: () => openedWith });

  function open(): void {
    if (!channel.value) return;
    reader?.stop();
    origin ??= clock.now();
    openedWith = { idleMs: idleMs.value, heartbeatMs: heartbeats.value ? heartbeatMs.value : NO_HEARTBEAT_MS };
    const settings = openedWith;
    reader = new WireReader({
      client: {
        // Every (re)connection goes through the hop with the settings it was opened with.
        streamUrl: (streamChannel, options) => client.hopUrl(settings.idleMs, streamChannel, options),
        fetchStream: (url, signal) => client.fetchStream(url, signal),
      },
      channel: channel.value,
      listener,
      heartbeatMs: settings.heartbeatMs,
      clock,
    });
    error.value = null;
    reader.start();
  }

  function close(): void {
    if (!reader) return;
    reader.stop();
    reader = undefined;
    batch(() => {
      state.value = 'closed';
      lastByteAt.value = null;
      note('info', 'Closed by you.');
    });
  }

  return {
    channel,
    idleMs,
    heartbeats,
    heartbeatMs,
    state,
    lastByteAt,
    stats,
    log,
    error,
    clock,
    open,
    close,
    async publish() {
      if (!channel.value) return;
      try {
        await client.publish(channel.value, 'note', { text: 'Published from the idle-hop widget' });
      } catch (failure) {
        error.value = failure instanceof Error ? failure.message : String(failure);
      }
    },
    dispose() {
      reader?.stop();
      reader = undefined;
    },
  };
}

/** What the stream's listener updates. */
interface HopParts {
  clock: Clock;
  state: Signal<HopState>;
  lastByteAt: Signal<number | null>;
  note(kind: HopLogEntry['kind'], text: string): void;
  count(change: Partial<HopStats>): void;
  /** The settings the open reader was opened with. */
  openedWith(): { idleMs: number; heartbeatMs: number };
}

/** Follows the wire reader: open, bytes, and how each connection ended (the hop's cut, or something else). */
function hopListener({ clock, state, lastByteAt, note, count, openedWith }: HopParts): WireReaderListener {
  return {
    connecting({ attempt, lastEventId }) {
      batch(() => {
        state.value = 'connecting';
        if (attempt > 1) note('info', `Reconnecting through the hop${lastEventId ? ` with lastEventId=${lastEventId}` : ''}…`);
      });
    },
    open() {
      const opened = openedWith();
      batch(() => {
        state.value = 'open';
        lastByteAt.value = clock.now();
        count({ connections: 1 });
        const beat = opened.heartbeatMs === NO_HEARTBEAT_MS ? 'no heartbeats' : `a heartbeat every ${formatMs(opened.heartbeatMs)}`;
        note('open', `Stream open through a hop that cuts after ${formatMs(opened.idleMs)} of silence; ${beat}.`);
      });
    },
    chunk({ lines, events }) {
      const beats = lines.filter(isHeartbeat).length;
      batch(() => {
        lastByteAt.value = clock.now();
        count({ heartbeats: beats, events: events.length });
        for (const event of events) note('event', `Event ${event.lastEventId} (${event.type}) arrived: the hop's timer starts over.`);
      });
    },
    closed({ reason, retryInMs }) {
      const opened = openedWith();
      const silentMs = lastByteAt.value === null ? 0 : clock.now() - lastByteAt.value;
      batch(() => {
        lastByteAt.value = null;
        // The hop says nothing when it cuts (no real proxy does): a network error after most of its
        // limit in silence is its doing. The page's clock starts late (the hop's timer starts when the
        // request reaches it), and a busy page reads late, so the measured silence runs a little short.
        if (reason === 'network-error' && silentMs >= opened.idleMs * CUT_SILENCE_SHARE) {
          count({ cuts: 1 });
          state.value = 'cut';
          note(
            'cut',
            `Cut by the hop after ${formatMs(silentMs)} of silence (its limit: ${formatMs(opened.idleMs)}).` +
              (retryInMs === null ? '' : ` Reconnecting in ${formatMs(retryInMs)}, as EventSource would.`),
          );
        } else if (reason === 'refused') {
          state.value = 'ended';
          note('error', 'The hop refused the stream; not reconnecting.');
        } else {
          state.value = 'ended';
          note('info', `The stream ended (${reason === 'ended' ? 'cleanly' : 'network error'}).`);
        }
      });
    },
  };
}
