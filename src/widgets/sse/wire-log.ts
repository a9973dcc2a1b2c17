import { batch } from '@preact/signals';
import { isHeartbeat, resumeIdOf, type WireLine } from '../../protocol/sse-wire-parser.ts';
import { formatMs } from '../shared/format.ts';
import type { SseState } from './sse-state.ts';
import { WireReader, type WireReaderListener } from './wire-reader.ts';

/**
 * The wire view: a second reader of the channel (wire-reader.ts, over fetch)
 * that shows the stream's bytes, line by line, with the widget's own notes
 * between connections. It also counts what only the wire shows: heartbeats,
 * bytes, `retry:` and the server's resume comments.
 */

/** Lines the wire view keeps, to bound memory on a stream left open for hours. */
export const WIRE_MAX_LINES = 200;

/** One line of the wire view: a line of the stream, or the widget's own note between connections. */
export type WireEntry =
  | { seq: number; connection: number; kind: 'line'; line: WireLine }
  | { seq: number; connection: number; kind: 'note'; text: string };

type NewWireEntry = { connection: number; kind: 'line'; line: WireLine } | { connection: number; kind: 'note'; text: string };

/** Appends to the wire view, keeping the last {@link WIRE_MAX_LINES}. */
export function addWire(state: SseState, entries: NewWireEntry[]): void {
  if (entries.length === 0) return;
  const added = entries.map((entry) => ({ ...entry, seq: ++state.wireSeq }) as WireEntry);
  const next = [...state.wire.peek(), ...added];
  state.wire.value = next.length > WIRE_MAX_LINES ? next.slice(next.length - WIRE_MAX_LINES) : next;
}

/** Starts (or restarts) the wire view's reader on the widget's channel. */
export function openWire(state: SseState, resumeFrom?: string): void {
  const ch = state.channel.peek();
  if (!ch || state.disposed) return;
  const { client, heartbeatMs, clock } = state;
  state.wireReader ??= new WireReader({ client, channel: ch, listener: wireListener(state), heartbeatMs, clock });
  state.wireReader.start(resumeFrom);
}

function wireListener(state: SseState): WireReaderListener {
  const { stats } = state;
  return {
    connecting({ attempt, url, lastEventId }) {
      const path = url.replace(/^[a-z]+:\/\/[^/]+/i, '');
      const resuming = lastEventId ? ` (resuming after id ${lastEventId})` : '';
      batch(() => {
        stats.value = { ...stats.peek(), wireConnections: attempt };
        addWire(state, [{ kind: 'note', connection: attempt, text: `connection ${attempt}: GET ${path}${resuming}` }]);
      });
    },
    open({ attempt, status: code, contentType, headerBytes }) {
      batch(() => {
        state.wireOpen.value = true;
        stats.value = { ...stats.peek(), bytes: stats.peek().bytes + headerBytes };
        addWire(state, [{ kind: 'note', connection: attempt, text: `${code} OK, ${contentType}` }]);
      });
    },
    chunk: (chunk) => onChunk(state, chunk),
    closed({ attempt, reason, detail, bytes, retryInMs, lastEventId }) {
      const what = {
        ended: 'the server ended the stream',
        'network-error': `the connection broke (${detail})`,
        refused: `the server refused the stream (${detail}); not retrying, as EventSource would not`,
      }[reason];
      const then =
        retryInMs === null ? '' : `; reconnecting in ${formatMs(retryInMs)}${lastEventId ? ` with ?lastEventId=${lastEventId}` : ''}`;
      batch(() => {
        state.wireOpen.value = false;
        addWire(state, [{ kind: 'note', connection: attempt, text: `connection ${attempt} closed after ${bytes} B: ${what}${then}` }]);
      });
    },
  };
}

function onChunk(state: SseState, { attempt, bytes, lines, retryMs: retry }: Parameters<WireReaderListener['chunk']>[0]): void {
  const now = state.clock.now();
  let beats = 0;
  let resume: number | null = null;
  for (const line of lines) {
    if (isHeartbeat(line)) beats++;
    resume = resumeIdOf(line) ?? resume;
  }
  batch(() => {
    const current = state.stats.peek();
    state.stats.value = { ...current, bytes: current.bytes + bytes, heartbeats: current.heartbeats + beats };
    if (beats > 0) state.lastHeartbeatAt.value = now;
    // Faults expire on the server (after 10 min): a heartbeat long after
    // "off" was confirmed means they are back on; let the checkbox say so.
    const offAt = state.heartbeatsOffAt;
    if (beats > 0 && !state.heartbeats.peek() && offAt !== null && now - offAt > state.heartbeatMs + 1_000) {
      state.heartbeats.value = true;
      state.heartbeatsOffAt = null;
      state.status.value = 'Heartbeats are back: the server forgot the “off” fault (faults expire after a while).';
    }
    if (resume !== null) state.wireResume.value = { id: resume, at: now };
    if (retry !== null && retry > 0) state.retryMs.value = retry;
    addWire(
      state,
      lines.map((line) => ({ kind: 'line' as const, connection: attempt, line })),
    );
  });
}
