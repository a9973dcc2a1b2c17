import { WS_LIMITS } from '../../protocol/websocket.ts';
import { formatMs } from '../shared/format.ts';
import type { FloodReport } from './flood.ts';
import type { CloseInfo, ConnectionState } from './connection-state.ts';

/** The chat demo's sentences: what the badge, the status line, the typing line and the flood report say. */

const BADGE: Record<ConnectionState['status'], string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  open: 'Open',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
  closed: 'Closed',
};

/** The connection badge's word. */
export function badgeLabel(state: ConnectionState): string {
  return BADGE[state.status];
}

/** `1012 Service Restart` (and the reason, when the server gave one). */
export function describeClose(close: CloseInfo): string {
  const reason = close.reason && close.reason !== close.name ? ` (“${close.reason}”)` : '';
  // "close code" in words: a bare 4000 next to "after" reads like a duration.
  return `close code ${close.code} ${close.name}${reason}`;
}

/**
 * The sentence under the badge. It changes only when the state does (it sits in
 * a live region: a ticking countdown there would be read out every second);
 * {@link describeCountdown} gives the countdown.
 */
export function describeConnection(state: ConnectionState, close: CloseInfo | null): string {
  switch (state.status) {
    case 'idle':
      return 'Not connected yet.';
    case 'connecting':
      return state.attempt === 0 ? 'Opening the WebSocket (HTTP Upgrade)…' : `Reconnecting now (attempt ${state.attempt})…`;
    case 'open':
      return close ? `Connected again after ${describeClose(close)}.` : 'Connected.';
    case 'reconnecting': {
      const why = close ? `Closed (${describeClose(close)}). ` : '';
      return `${why}Reconnecting after a random wait of ${formatMs(state.delayMs)} (attempt ${state.attempt}).`;
    }
    case 'offline':
      return 'Offline (simulated): no connection, no reconnecting. Messages you send wait in the outbox.';
    case 'closed':
      return close ? `Closed (${describeClose(close)}). ${state.reason}` : state.reason;
  }
}

/** What is left of a wait at time `now`: `in 0.4 s` while reconnecting, `back in 7 s` while offline; '' otherwise. */
export function describeCountdown(state: ConnectionState, now: number): string {
  if (state.status === 'reconnecting') return `in ${formatMs(Math.max(0, state.at - now))}`;
  if (state.status === 'offline') return `back in ${Math.max(0, Math.ceil((state.until - now) / 1000))} s`;
  return '';
}

/** "Grace is typing…", "Ada and Grace are typing…", or "" when nobody is. */
export function describeTyping(names: readonly string[]): string {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`;
}

/** The flood's result in a sentence. */
export function describeFlood(report: FloodReport, limits: { ratePerSecond: number; burst: number } = WS_LIMITS): string {
  const unanswered = report.sent - report.delivered - report.refused;
  const tail = report.done ? (unanswered > 0 ? `; ${unanswered} got no answer (the connection ended).` : '.') : ', waiting for the rest…';
  return (
    `Flood: ${report.sent} messages sent at once → ${report.delivered} got through, ${report.refused} refused as rate-limited` +
    `${tail} The server allows a burst of ${limits.burst}, then ${limits.ratePerSecond} per second.`
  );
}
