import { useEffect, useId, useMemo, useState } from 'preact/hooks';
import { EVENT_LIMITS } from '../../protocol/events.ts';
import { SLOW_CONSUMER_LIMITS, SLOW_CONSUMER_TRANSPORTS } from '../../protocol/production.ts';
import { StatTile } from '../shared/StatTile.tsx';
import { formatBytes, formatMs } from '../shared/format.ts';
import { productionChannel } from './channel.ts';
import { createProductionClient } from './client.ts';
import { READ_RATE_CHOICES, TRANSPORT_LABELS, createSlowConsumerModel, type SlowRun } from './slow-consumer-model.ts';
import { type ChartSeries, TimeChart } from '../shared/TimeChart.tsx';
import { useHydrated } from '../../islands/use-hydrated.ts';
import { ControlsNote, useLeaveOnPageHide, useSecondsUntil } from './ControlsNote.tsx';
import { StatusLines } from '../shared/StatusLines.tsx';
import '../../styles/widget.css';
import './production.css';

/** About how many bytes a second the publisher puts on the firehose. */
const PUBLISH_BYTES_PER_SECOND = SLOW_CONSUMER_LIMITS.publishPerSecond * SLOW_CONSUMER_LIMITS.eventBytes;

/**
 * Lesson 7's slow consumer: a fast publisher and a consumer that reads
 * slowly, both inside the server, over SSE or a WebSocket. The chart shows
 * what the server holds for the consumer in its own buffer — the number its
 * backpressure cap watches — and what is sent but not yet read; then what
 * the server does at the cap, and how the consumer resumes.
 * Renders only: state in slow-consumer-model.ts. Used from MDX as `<SlowConsumer client:reachable />`.
 */
export default function SlowConsumer({ baseUrl }: { baseUrl?: string }) {
  const hydrated = useHydrated();
  const [model] = useState(() => createSlowConsumerModel(createProductionClient({ baseUrl })));
  const ids = useId();

  useEffect(() => {
    model.channel.value = productionChannel('slow-consumer');
    return () => model.dispose();
  }, [model]);
  useLeaveOnPageHide(model.leave);
  const secondsUntilFree = useSecondsUntil(model.retryAt.value);

  const phase = model.phase.value;
  const run = model.run.value;
  const busy = phase !== 'idle';
  const state = !run ? 'idle' : run.done ? 'done' : run.cut ? 'cut' : 'running';

  return (
    <section class="widget prod" data-widget="slow-consumer" data-state={state} aria-label="Slow consumer and backpressure">
      <fieldset class="widget-controls" disabled={busy}>
        <legend class="visually-hidden">Experiment settings</legend>
        <fieldset class="widget-field widget-radios">
          <legend>Transport</legend>
          {SLOW_CONSUMER_TRANSPORTS.map((transport) => (
            <label key={transport} class="widget-check widget-radio">
              <input
                type="radio"
                name={`${ids}-transport`}
                value={transport}
                checked={model.transport.value === transport}
                onChange={() => (model.transport.value = transport)}
              />
              {TRANSPORT_LABELS[transport]}
            </label>
          ))}
        </fieldset>
        <div class="widget-field">
          <label for={`${ids}-rate`}>The consumer reads</label>
          <select
            id={`${ids}-rate`}
            class="widget-input widget-select"
            value={String(model.readBytesPerSecond.value)}
            onChange={(event) => (model.readBytesPerSecond.value = Number(event.currentTarget.value))}
          >
            {READ_RATE_CHOICES.map((choice) => (
              <option key={choice.bytesPerSecond} value={String(choice.bytesPerSecond)}>
                {choice.label}
              </option>
            ))}
          </select>
          <p class="widget-hint">
            The publisher sends {SLOW_CONSUMER_LIMITS.publishPerSecond} events a second of about{' '}
            {formatBytes(SLOW_CONSUMER_LIMITS.eventBytes)}: about {formatBytes(PUBLISH_BYTES_PER_SECOND)}/s.
          </p>
        </div>
        <div class="widget-row widget-wide">
          <button type="button" class="widget-button widget-primary" disabled={secondsUntilFree > 0} onClick={() => void model.start()}>
            Start the firehose
          </button>
        </div>
      </fieldset>
      <ControlsNote
        hydrated={hydrated}
        busy={
          busy
            ? `The settings are locked while the firehose runs; they free up when it ends (${SLOW_CONSUMER_LIMITS.maxRunMs / 1000} s at most).`
            : null
        }
        secondsUntilFree={secondsUntilFree}
      />

      <StatusLines status={model.status.value} error={model.error.value} />

      {run ? (
        <SlowRunView run={run} />
      ) : (
        <p class="widget-empty">The server's buffer for the consumer is charted here while the firehose runs.</p>
      )}
    </section>
  );
}

function SlowRunView({ run }: { run: SlowRun }) {
  const last = run.samples.at(-1);
  const { xs, series } = useMemo(() => {
    const xs = run.samples.map((sample) => sample.t / 1000);
    const series: ChartSeries[] = [
      {
        label: "In the server's buffer",
        colorVar: '--accent',
        values: run.samples.map((sample) => sample.serverBufferedBytes),
      },
      {
        label: 'Sent, not yet read',
        colorVar: '--warn',
        dash: [6, 4],
        values: run.samples.map((sample) => Math.max(0, sample.sentBytes - sample.readBytes)),
      },
    ];
    return { xs, series };
  }, [run.samples]);
  const cap = run.started.capBytes;

  return (
    <>
      <ul class="widget-stats prod-stats">
        <StatTile
          stat="buffer"
          label="Server's buffer"
          value={formatBytes(last?.serverBufferedBytes ?? 0)}
          raw={last?.serverBufferedBytes ?? 0}
          note={`for this consumer; the cap is ${formatCap(cap)}`}
        />
        <StatTile
          stat="unread"
          label="Sent, not read"
          value={formatBytes(last ? Math.max(0, last.sentBytes - last.readBytes) : 0)}
          note="kernel buffers on both sides, and the server's"
        />
        <StatTile
          stat="behind"
          label="Behind"
          value={String(last ? last.publishedId - last.readId : 0)}
          note={`events; the log keeps the newest ${EVENT_LIMITS.logCapacity}`}
        />
        <StatTile
          stat="read"
          label="Read"
          value={formatBytes(last?.readBytes ?? 0)}
          note={`at ${formatBytes(run.started.readBytesPerSecond)}/s`}
        />
      </ul>
      {xs.length > 1 && (
        <figure class="prod-figure">
          <TimeChart
            class="prod-chart"
            label={`Bytes the server holds for the consumer, and bytes sent but not yet read, over time; the cap is ${formatCap(cap)}.`}
            xs={xs}
            series={series}
            xLabel="seconds since the consumer connected"
            yLabel="bytes"
            formatY={(bytes) => formatBytes(bytes)}
            limit={{ y: cap, label: `cap ${formatCap(cap)}: the server gives up here` }}
          />
          <ul class="widget-legend">
            <li>
              <span class="widget-key" style={{ background: 'var(--accent)' }} aria-hidden="true" />
              In the server's buffer (what the cap watches)
            </li>
            <li>
              <span class="widget-key" style={{ background: 'var(--warn)' }} aria-hidden="true" />
              Sent, not yet read (the kernels hold most of it)
            </li>
          </ul>
        </figure>
      )}
      <Outcome run={run} />
    </>
  );
}

function Outcome({ run }: { run: SlowRun }) {
  const { cut, resumed } = run;
  if (!cut) return null;
  return (
    <ol class="prod-log prod-log-full" aria-label="What the server and the consumer did">
      <li class="prod-log-entry" data-kind="cut" data-outcome="cut">
        <span class="prod-log-time widget-mono">{formatMs(cut.t)}</span>
        <span>
          {cut.action === 'sse-stream-cut'
            ? `The server destroyed the stream: about ${formatBytes(cut.serverBufferedBytes)} waited in its buffer. That memory is freed at once, and what it held is lost to this connection.`
            : `The server closed with 1013 Try Again Later, about ${formatBytes(cut.serverBufferedBytes)} into its buffer. The close frame waits behind what is already buffered: the memory is held until the reader drains it or the close times out.`}{' '}
          {formatBytes(cut.unreadBytes)} had been sent but not read.
        </span>
      </li>
      {resumed && (
        <li class="prod-log-entry" data-kind={resumed.outcome === 'replay' ? 'back' : 'cut'} data-outcome={resumed.outcome}>
          <span class="prod-log-time widget-mono">{formatMs(resumed.t)}</span>
          <span>
            The consumer read what was already on its way, then reconnected from its cursor, event {resumed.cursor}.{' '}
            {resumed.outcome === 'replay'
              ? `The log still held everything after it: ${resumed.replayed} events replayed, no gap.`
              : `The newest event was ${resumed.latestId}: ${resumed.latestId - resumed.cursor} missed, more than the ${EVENT_LIMITS.logCapacity} the log keeps. The server answered with a reset: reload the state, then follow live.`}
          </span>
        </li>
      )}
    </ol>
  );
}

/** A cap in binary units when it is a whole number of them (1 048 576 → `1 MiB`), as the server defines it. */
function formatCap(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return formatBytes(bytes);
}
