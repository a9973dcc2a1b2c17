import type { SseResetData } from '../../protocol/sse.ts';
import { formatMs } from '../shared/format.ts';
import { complete, skippedEvents, type BuildTrack } from './build-tracker.ts';
import type { ReconnectRecord } from './model.ts';

/** The SSE demo's status sentences: what the reader is told after each thing that happens. */

export function reconnectedText(record: ReconnectRecord): string {
  return `The browser reconnected by itself after ${formatMs(record.afterMs)}${
    record.sentLastEventId
      ? `, sending Last-Event-ID: ${record.sentLastEventId}`
      : ', sending as Last-Event-ID the id of the server’s opening id: line (no event had arrived)'
  }.`;
}

export function connectionLostText(retryMs: number, lastDelivered: string): string {
  return `Connection lost. The browser will reconnect by itself in about ${formatMs(retryMs)}${
    lastDelivered ? `, sending Last-Event-ID: ${lastDelivered}` : ''
  }.`;
}

export function resetText(data: SseResetData | null, lastEventId: string): string {
  return `The server could not resume after the id the browser sent (${data?.reason ?? 'reset'}): events were skipped. It continues from id ${data?.latestId ?? lastEventId}.`;
}

/** How a build that sent its `done` went. */
export function buildEndText(track: BuildTrack): string {
  const done = track.done!;
  const skipped = skippedEvents(track);
  return `The build ${done.status}. ${
    complete(track)
      ? `All ${track.received} log lines arrived, each exactly once.`
      : `Lines received ${track.received} of ${track.totalLines ?? done.lines}: ${
          skipped ? `${skipped} events never arrived` : 'some are missing or repeated'
        }.`
  }`;
}

export function buildStartedText(id: string, totalLines: number, durationMs: number): string {
  return `Build ${id} started: ${totalLines} log lines to come over about ${formatMs(durationMs)}. Try “Kill the connection” while it runs.`;
}

/** After "Kill the connection" or "Restart the stream" cut `affected` streams. */
export function cutText(type: 'kill' | 'restart', affected: number, retryMs: number): string {
  const streams = affected === 1 ? '1 stream' : `${affected} streams`;
  return type === 'kill'
    ? `The server destroyed ${streams} (the EventSource and the wire view), as a dropped network would. Watch them reconnect by themselves after ${formatMs(retryMs)}.`
    : `The server ended ${streams} cleanly, as a restarting server would. An ended stream is not the end for EventSource: it reconnects after ${formatMs(retryMs)}.`;
}

export function heartbeatsText(enabled: boolean): string {
  return enabled
    ? 'Heartbeats back on: a comment every few seconds keeps the connection busy.'
    : 'Heartbeats off. Between events the connection now carries nothing; a proxy with an idle timeout would cut it, and the browser would reconnect.';
}

export function retryText(ms: number): string {
  return `The server wrote “retry: ${ms}” to the open streams (see the wire view): after a loss the browser now waits ${formatMs(ms)} before reconnecting.`;
}
