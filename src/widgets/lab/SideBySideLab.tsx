import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useProgress } from '../../progress/use-progress.ts';
import { markExerciseDone } from '../../progress/local-progress.ts';
import { LAB_TECHNIQUE_LABELS, type LabTechnique } from '../../protocol/lab.ts';
import { formatBytes, formatInterval, formatMs, plural } from '../shared/format.ts';
import { ALL_LANES } from './all-lanes.ts';
import { LabChart } from './LabChart.tsx';
import { LabControls } from './LabControls.tsx';
import { LabExercise } from './LabExercise.tsx';
import { createLabApi, resolveBase } from './lab-api.ts';
import { EXERCISE } from './lab-exercise.ts';
import type { LaneFigures } from './lab-figures.ts';
import { createLabModel, type LabModel, type Phase } from './model.ts';
import { SummaryTable } from './SummaryTable.tsx';
import { LONG_POLL_HOLD_MS, formatDuration } from './settings.ts';
import { formatLatency } from './summary.ts';
import '../../styles/widget.css';
import './SideBySideLab.css';

export interface SideBySideLabProps {
  /** Where the companion server is; default: the page's origin. */
  baseUrl?: string;
}

/**
 * Lesson 6's lab: one feed of events, delivered to this page by short
 * polling (without and with ETag), long polling, SSE and a WebSocket at the
 * same time, each through the real browser API. The server publishes at the
 * reader's rate and counts the bytes of every connection; the page measures
 * latency on its own clock. It renders only: the loop is in model.ts, each
 * technique's client in its *-lane.ts. Used from MDX as `<SideBySideLab client:reachable />`.
 */
export default function SideBySideLab({ baseUrl }: SideBySideLabProps) {
  const [model] = useState(() => createDemo(baseUrl));
  const progress = useProgress();
  useEffect(() => () => model.dispose(), [model]);

  const phase = model.phase.value;
  const busy = phase === 'starting' || phase === 'running' || phase === 'finishing';
  const interval = model.intervalMs.value;
  const doneBefore = progress.lessons[EXERCISE.lesson]?.exercises?.[EXERCISE.id] !== undefined;

  return (
    <section class="widget lab" data-widget="side-by-side" data-phase={phase} aria-label="Side-by-side lab">
      <LabControls model={model} busy={busy} />

      <p class="widget-status lab-status" role="status" aria-live="polite">
        {model.status.value}
      </p>
      {model.error.value && (
        <p class="widget-error" role="alert">
          {model.error.value}
        </p>
      )}

      <RunFacts model={model} phase={phase} />

      <ul class="lab-lanes" aria-label="The five techniques">
        {model.lanes.value.map((lane) => (
          <Lane key={lane.technique} lane={lane} published={model.published.value} interval={interval} />
        ))}
      </ul>

      <div class="lab-charts">
        <figure class="lab-figure">
          <figcaption>
            <strong>Latency of each event</strong>{' '}
            <span class="widget-hint">
              one dot per event and technique, by when it was published; log scale (values under 1 ms are drawn at 1 ms)
            </span>
          </figcaption>
          <LabChart
            label="Latency of each event, by technique. The summary table holds the same figures."
            data={model.latencySeries}
            version={model.chartVersion.value}
            scale="log"
            style="points"
            formatY={formatAxisMs}
          />
        </figure>
        <figure class="lab-figure">
          <figcaption>
            <strong>Bytes on the wire</strong>{' '}
            <span class="widget-hint">up and down, added up since the lab opened, as counted by the server each second</span>
          </figcaption>
          <LabChart
            label="Cumulative bytes on the wire, by technique. The summary table holds the totals."
            data={model.bytesSeries}
            version={model.chartVersion.value}
            scale="linear"
            style="lines"
            formatY={formatBytes}
          />
        </figure>
      </div>

      <SummaryTable model={model} phase={phase} />

      <Conclusions items={model.conclusions.value} />

      <LabExercise check={model.exercise.value} done={model.exerciseDone.value || doneBefore} />
    </section>
  );
}

function createDemo(baseUrl: string | undefined): LabModel {
  return createLabModel({
    api: createLabApi({ baseUrl }),
    baseUrl: () => resolveBase(baseUrl),
    lanes: ALL_LANES,
    onExerciseComplete: () => markExerciseDone(EXERCISE.lesson, EXERCISE.id),
  });
}

function formatAxisMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${ms / 1000} s`;
}

function RunFacts({ model, phase }: { model: LabModel; phase: Phase }) {
  const run = model.run.value;
  const published = model.published.value;
  const offset = model.offset.value;
  if (phase === 'idle' && !run) return null;
  return (
    <p class="widget-facts">
      <span>
        Published{' '}
        <span class="widget-mono widget-strong" data-published={published}>
          {published}
        </span>
      </span>
      <span>
        Elapsed <span class="widget-mono">{formatDuration(Math.floor(model.elapsedMs.value / 1000) * 1000)}</span>
      </span>
      <span title="Server clock minus your clock, from the stats request with the shortest round trip (NTP-style).">
        Clock offset <span class="widget-mono">{offset ? `${signed(offset.offsetMs)} ± ${precise(offset.roundTripMs / 2)}` : '–'}</span>
      </span>
    </p>
  );
}

/** `+3.1 ms`, `-120 ms`, `+2.5 s`: one decimal below 10 ms, where a clock offset's precision lies on a LAN. */
function signed(ms: number): string {
  return `${ms > 0 ? '+' : ms < 0 ? '−' : ''}${precise(Math.abs(ms))}`;
}

function precise(ms: number): string {
  return ms < 10 ? `${Math.round(ms * 10) / 10} ms` : formatMs(ms);
}

/** What each lane does, in one line. */
const HOW: Record<LabTechnique, (interval: number) => string> = {
  'short-polling': (interval) => `GET …/latest every ${formatInterval(interval)}; every answer is a full 200.`,
  'short-polling-etag': (interval) => `The same every ${formatInterval(interval)}, with If-None-Match: 304 when nothing changed.`,
  'long-polling': () => `GET /api/long-poll, held until an event or ${formatDuration(LONG_POLL_HOLD_MS)}; asks again at once.`,
  sse: () => 'One EventSource: the server writes each event into a response that never ends.',
  websocket: () => 'One socket to /ws, subscribed to the channel: one small frame per event.',
};

function Lane({ lane, published, interval }: { lane: LaneFigures; published: number; interval: number }) {
  const push = lane.technique === 'sse' || lane.technique === 'websocket';
  const { traffic, latency } = lane;
  const emptyNote = {
    'short-polling': 'full 200s with nothing new',
    'short-polling-etag': '304 Not Modified: headers, no body',
    'long-polling': `204 No Content after the ${formatDuration(LONG_POLL_HOLD_MS)} hold`,
    sse: 'none: nothing is asked',
    websocket: 'none: nothing is asked',
  }[lane.technique];
  const requestNote = push
    ? traffic.requests > 1
      ? `${traffic.requests - 1} after drops: reconnects`
      : lane.technique === 'sse'
        ? 'one request opened the stream'
        : 'one handshake upgraded the connection'
    : lane.technique === 'long-polling'
      ? 'one per answer, sent at once'
      : `one per ${formatInterval(interval)} plus the answer's time`;
  return (
    <li class="lab-lane" data-lane={lane.technique}>
      <h3 class="lab-lane-title">
        <span class="lab-swatch" aria-hidden="true" />
        {LAB_TECHNIQUE_LABELS[lane.technique]}
      </h3>
      <p class="widget-hint">{HOW[lane.technique](interval)}</p>
      <dl class="lab-figures">
        <Figure name="received" label="Events received" value={String(lane.received)} note={`of ${published} published`} />
        <Figure
          name="latency-median"
          label="Latency, median"
          value={formatLatency(latency.median)}
          note={latency.count ? `p95 ${formatLatency(latency.p95)} · max ${formatLatency(latency.max)}` : 'publish → arrival, your clock'}
        />
        <Figure name="requests" label="Requests" value={String(traffic.requests)} note={requestNote} />
        <Figure name="empty" label="Empty answers" value={push ? '–' : String(lane.empty)} note={emptyNote} />
        <Figure
          name="bytes-down"
          label="Bytes down"
          value={formatBytes(traffic.bytesDown)}
          note="server → page, headers and framing included"
        />
        <Figure
          name="bytes-up"
          label="Bytes up"
          value={formatBytes(traffic.bytesUp)}
          note="page → server: request lines, headers, frames"
        />
        <Figure
          name="connections"
          label="Connections held"
          value={String(traffic.connectionsHeld)}
          note={`${plural(traffic.connectionsUsed, 'TCP connection')} used in all`}
        />
      </dl>
      {lane.interruptions > 0 && (
        <p class="lab-interrupted">
          {plural(lane.interruptions, 'interruption')}. {lane.lastInterruption}
        </p>
      )}
    </li>
  );
}

function Figure({ name, label, value, note }: { name: string; label: string; value: string; note: ComponentChildren }) {
  return (
    <div class="lab-figure-row" data-figure={name}>
      <dt>{label}</dt>
      <dd>
        <span class="lab-value widget-mono">{value}</span>
        <span class="widget-stat-note lab-note">{note}</span>
      </dd>
    </div>
  );
}

function Conclusions({ items }: { items: readonly string[] }) {
  if (items.length === 0) return null;
  return (
    <section class="lab-conclusions" aria-label="What your numbers say">
      <p>
        <strong>What your numbers say</strong>
      </p>
      <ul>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </section>
  );
}
