import { useEffect, useId, useState } from 'preact/hooks';
import { formatMs } from '../shared/format.ts';
import { useNow } from '../shared/use-now.ts';
import { EXPERIMENT_STREAMS, HTTP1_CONNECTIONS_PER_HOST, type ConnectionLimitModel, type StreamRow } from './connection-limit.ts';

/**
 * The "Open 7 streams" experiment, a sub-section of the SSE demo: it pauses
 * the demo's two streams (they count too), opens 7 EventSources and shows
 * which ones the browser holds back. State lives in connection-limit.ts.
 */
export function SixConnectionLimit({ model, channel }: { model: ConnectionLimitModel; channel: string | null }) {
  const running = model.running.value;
  const rows = model.rows.value;
  const protocol = usePageProtocol();
  const titleId = `${useId()}-experiment`;

  // Stalled rows show how long they have waited.
  const waiting = rows.some((row) => row.state === 'stalled' || row.state === 'connecting');
  const now = useNow(running && waiting, 500);

  return (
    <section class="sse-experiment" aria-labelledby={titleId}>
      <h3 class="sse-experiment-title" id={titleId}>
        Experiment: {HTTP1_CONNECTIONS_PER_HOST} connections per host
      </h3>
      <p>
        Over HTTP/1.1 a browser opens at most {HTTP1_CONNECTIONS_PER_HOST} connections to one host, <em>shared by all its tabs</em>, and an
        open stream keeps its connection for as long as it lives. “Open {EXPERIMENT_STREAMS} streams” first pauses this demo’s own two
        streams (the EventSource and the wire view hold two of the six), then opens {EXPERIMENT_STREAMS} EventSources to separate channels.
      </p>
      <div class="widget-row">
        <button
          type="button"
          class="widget-button widget-primary"
          onClick={() => channel && model.start(channel)}
          disabled={running || !channel}
        >
          Open {EXPERIMENT_STREAMS} streams
        </button>
        <button type="button" class="widget-button" onClick={() => model.closeOne()} disabled={!running || model.openCount.value === 0}>
          Close one
        </button>
        <button type="button" class="widget-button" onClick={() => model.stop()} disabled={!running}>
          Stop experiment
        </button>
      </div>
      {rows.length > 0 && (
        <ol class="sse-streams" aria-label="Experiment streams">
          {rows.map((row) => (
            <li key={row.index} class={`sse-stream sse-stream-${row.state}`} data-stream-state={row.state}>
              <span class="sse-stream-name widget-mono">#{row.index}</span>
              <span class="sse-stream-state">{describeRow(row, now)}</span>
            </li>
          ))}
        </ol>
      )}
      <p class="widget-hint" role="status">
        {running
          ? summary(model.openCount.value, model.stalledCount.value)
          : rows.length > 0
            ? 'Experiment stopped: the demo’s streams are back.'
            : ''}
      </p>
      <p class="widget-hint">
        {protocol ? `This page came over ${protocolName(protocol)}. ` : ''}
        HTTP/2 (and HTTP/3) carry many streams over one connection, multiplexed: servers typically allow 100 at once, so there all{' '}
        {EXPERIMENT_STREAMS} open at once and the six-connection limit no longer bites. Over HTTP/1.1, this lesson open in{' '}
        {HTTP1_CONNECTIONS_PER_HOST / 2} tabs, each with the demo’s two streams open (after a build), has already used up the six: a stream
        in one more tab waits.
      </p>
    </section>
  );
}

function describeRow(row: StreamRow, now: number): string {
  switch (row.state) {
    case 'open': {
      const after = formatMs((row.openedAt ?? row.startedAt) - row.startedAt);
      return row.openedAfterClosing !== null ? `open after ${after} (once #${row.openedAfterClosing} closed)` : `open after ${after}`;
    }
    case 'stalled':
      return `stalled: waiting for a free connection (${formatMs(now - row.startedAt)})`;
    case 'connecting':
      return row.failed ? 'retrying: the server did not answer' : 'connecting…';
    case 'closed':
      return row.failed ? 'closed: the server refused it' : 'closed';
  }
}

function summary(open: number, stalled: number): string {
  if (stalled === 0) return `${open} open, none waiting.`;
  return `${open} open, ${stalled} stalled: the browser holds the request back until a connection is free. Close one and watch.`;
}

/** The page's HTTP version from Navigation Timing (`nextHopProtocol`): `http/1.1`, `h2`, `h3`; null if unknown. */
function usePageProtocol(): string | null {
  const [protocol, setProtocol] = useState<string | null>(null);
  useEffect(() => {
    const entry = performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined;
    setProtocol(entry?.nextHopProtocol || null);
  }, []);
  return protocol;
}

function protocolName(protocol: string): string {
  if (protocol === 'h2') return 'HTTP/2';
  if (protocol === 'h3') return 'HTTP/3';
  return protocol.toUpperCase();
}
