import type { ComponentChildren } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { useProgress } from '../../components/progress/use-progress.ts';
import { markExerciseDone } from '../../progress/local-progress.ts';
import { LAB_TECHNIQUE_LABELS, type LabTechnique } from '../../protocol/lab.ts';
import { formatBytes, formatInterval, formatMs, plural } from '../shared/format.ts';
import { ALL_LANES } from './all-lanes.ts';
import { LabChart } from './LabChart.tsx';
import { createLabApi, resolveBase } from './lab-api.ts';
import { EXERCISE, EXERCISE_MIN_RUN_MS, type ExerciseCheck, type RunRecord } from './lab-exercise.ts';
import type { LaneFigures } from './lab-figures.ts';
import { createLabModel, type LabModel, type Phase } from './model.ts';
import { DURATION_STEPS, INTERVAL_STEPS, LONG_POLL_HOLD_MS, RATE_STEPS, formatDuration, maxDurationFor } from './settings.ts';
import { TABLE_HEADER, formatLatency, tableCells, tableHtml, tableMarkdown } from './summary.ts';
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
  const ids = useId();
  useEffect(() => () => model.dispose(), [model]);

  const phase = model.phase.value;
  const busy = phase === 'starting' || phase === 'running' || phase === 'finishing';
  const rate = RATE_STEPS[model.rateIndex.value]!;
  const interval = model.intervalMs.value;
  const duration = model.durationMs.value;
  const cappedDuration = Math.min(duration, maxDurationFor(rate.perMinute));
  const intervalIndex = Math.max(0, INTERVAL_STEPS.indexOf(interval));
  const durationIndex = Math.max(0, DURATION_STEPS.indexOf(duration));
  const doneBefore = progress.lessons[EXERCISE.lesson]?.exercises?.[EXERCISE.id] !== undefined;

  return (
    <section class="widget lab" data-widget="side-by-side" data-phase={phase} aria-label="Side-by-side lab">
      <fieldset class="widget-controls lab-controls">
        <legend class="lab-visually-hidden">Lab settings</legend>
        <Slider
          id={`${ids}-rate`}
          label="Event rate"
          min={0}
          max={RATE_STEPS.length - 1}
          value={model.rateIndex.value}
          text={rate.label}
          hint="How often the server publishes, on average (each gap is random, between half and 1.5 times the average)."
          disabled={busy}
          onInput={(value) => model.setRateIndex(value)}
        />
        <Slider
          id={`${ids}-interval`}
          label="Polling interval"
          min={0}
          max={INTERVAL_STEPS.length - 1}
          value={intervalIndex}
          text={formatInterval(interval)}
          hint="Both short pollers wait this long after each answer. Long polling never waits: the server holds its request."
          disabled={busy}
          onInput={(value) => model.setIntervalMs(INTERVAL_STEPS[value]!)}
        />
        <Slider
          id={`${ids}-duration`}
          label="Duration"
          min={0}
          max={DURATION_STEPS.length - 1}
          value={durationIndex}
          text={formatDuration(duration)}
          hint={
            cappedDuration < duration
              ? `At ${rate.label}, a run stops at ${formatDuration(cappedDuration)} (30 000 events at most).`
              : `About ${expectedEvents(rate.perMinute, duration)} published.`
          }
          disabled={busy}
          onInput={(value) => model.setDurationMs(DURATION_STEPS[value]!)}
        />
        <div class="widget-row widget-wide lab-actions">
          <button type="button" class="widget-button widget-primary" onClick={() => void model.start()} disabled={busy}>
            Start
          </button>
          <button type="button" class="widget-button" onClick={() => void model.stop()} disabled={!busy}>
            Stop
          </button>
          <button
            type="button"
            class="widget-button lab-fault"
            onClick={() => void model.dropConnections()}
            disabled={phase !== 'running'}
            aria-describedby={`${ids}-drop`}
          >
            Drop every connection
          </button>
          <p class="widget-hint" id={`${ids}-drop`}>
            {model.dropped.value === null
              ? 'Break it: the server cuts every connection of the lab at once, with no goodbye.'
              : `The server cut ${plural(model.dropped.value, 'connection')}. Watch each lane recover, and the latency chart.`}
          </p>
        </div>
      </fieldset>

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

      <Exercise check={model.exercise.value} done={model.exerciseDone.value || doneBefore} />
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

function expectedEvents(perMinute: number, durationMs: number): string {
  const expected = (perMinute * durationMs) / 60_000;
  if (expected < 1) return `about ${expected.toFixed(2)} events on average: likely none`;
  return `${Math.round(expected).toLocaleString('en-US')} event${Math.round(expected) === 1 ? '' : 's'}`;
}

function formatAxisMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${ms / 1000} s`;
}

function Slider(props: {
  id: string;
  label: string;
  min: number;
  max: number;
  value: number;
  text: string;
  hint: string;
  disabled: boolean;
  onInput: (value: number) => void;
}) {
  return (
    <div class="widget-field lab-field">
      <label for={props.id}>{props.label}</label>
      <div class="widget-row widget-slider lab-slider">
        <input
          id={props.id}
          type="range"
          min={props.min}
          max={props.max}
          step={1}
          value={props.value}
          aria-valuetext={props.text}
          aria-describedby={`${props.id}-hint`}
          disabled={props.disabled}
          onInput={(event) => props.onInput(Number(event.currentTarget.value))}
        />
        <output for={props.id} class="widget-mono">
          {props.text}
        </output>
      </div>
      <p class="widget-hint" id={`${props.id}-hint`}>
        {props.hint}
      </p>
    </div>
  );
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

function SummaryTable({ model, phase }: { model: LabModel; phase: Phase }) {
  const [copied, setCopied] = useState<string | null>(null);
  const description = model.description.value;
  const rows = model.rows.value;
  if (!description) {
    return (
      <section class="lab-summary" aria-label="Summary table">
        <p class="lab-empty">The summary table appears here once a run has started.</p>
      </section>
    );
  }
  const cells = tableCells(rows, description.published);
  const copy = async () => {
    const markdown = tableMarkdown(description, rows);
    setCopied(await copyTable(markdown, tableHtml(description, rows)));
  };
  return (
    <section class="lab-summary" aria-label="Summary table">
      <div class="lab-summary-head">
        <p>
          <strong>{phase === 'done' ? 'Summary' : 'Summary so far'}</strong>{' '}
          <span class="widget-hint">
            {description.rate.label}, polling every {formatInterval(description.intervalMs)},{' '}
            {formatDuration(Math.round(description.ranMs / 1000) * 1000)}
            {description.stoppedEarly ? ' (stopped early)' : ''}
          </span>
        </p>
        <button type="button" class="widget-button" onClick={() => void copy()}>
          Copy table
        </button>
      </div>
      <p class="widget-hint" role="status">
        {copied ?? ''}
      </p>
      <div class="lab-table-scroll" tabIndex={0} role="region" aria-label="Summary table, scrolls sideways">
        <table class="lab-table">
          <thead>
            <tr>
              {TABLE_HEADER.map((cell) => (
                <th key={cell} scope="col">
                  {cell}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {cells.map((row, index) => (
              <tr key={rows[index]!.technique} data-row={rows[index]!.technique}>
                {row.map((cell, column) =>
                  column === 0 ? (
                    <th key={column} scope="row">
                      <span class="lab-swatch" data-swatch={rows[index]!.technique} aria-hidden="true" />
                      {cell}
                    </th>
                  ) : (
                    <td key={column} class="widget-mono">
                      {cell}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/**
 * Copies the table: as an HTML table (what spreadsheets and documents paste
 * as a table) and as Markdown text. Falls back to plain text, then to a
 * selected textarea, where the async clipboard is missing (plain HTTP on a LAN).
 */
async function copyTable(markdown: string, html: string): Promise<string> {
  try {
    if (typeof ClipboardItem !== 'undefined' && navigator.clipboard?.write) {
      await navigator.clipboard.write([
        new ClipboardItem({
          'text/plain': new Blob([markdown], { type: 'text/plain' }),
          'text/html': new Blob([html], { type: 'text/html' }),
        }),
      ]);
      return 'Copied: paste into a spreadsheet or a document for a table, or into a text editor for Markdown.';
    }
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(markdown);
      return 'Copied as Markdown.';
    }
  } catch {
    // Permission refused or not a secure context: try the old way.
  }
  const area = document.createElement('textarea');
  area.value = markdown;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok ? 'Copied as Markdown.' : 'This browser refused to copy; select the table and copy it by hand.';
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

function Exercise({ check, done }: { check: ExerciseCheck; done: boolean }) {
  return (
    <section class="widget-exercise" aria-label="Exercise: find the crossover">
      <p>
        <strong>Exercise: find the crossover.</strong> Find one setting where long polling sends fewer requests than short polling with
        ETag, and one where it sends more. Each run must last at least {formatDuration(EXERCISE_MIN_RUN_MS)}.
      </p>
      <ul class="widget-checks">
        <Check met={check.fewer !== null}>Long polling sent fewer requests. {describeRecord(check.fewer)}</Check>
        <Check met={check.more !== null}>Long polling sent more requests. {describeRecord(check.more)}</Check>
      </ul>
      <p class="widget-exercise-done" role="status">
        {done ? 'Exercise complete ✓' : ''}
      </p>
    </section>
  );
}

function describeRecord(record: RunRecord | null): string {
  if (!record) return '';
  return `(${record.rateLabel}, polling every ${formatInterval(record.intervalMs)}: ${record.longPollRequests} against ${record.shortPollRequests})`;
}

function Check({ met, children }: { met: boolean; children: ComponentChildren }) {
  return (
    <li class={`widget-check-item widget-check-${met ? 'met' : 'pending'}`}>
      <span class="widget-check-icon" aria-hidden="true">
        {met ? '✓' : '…'}
      </span>
      <span class="lab-visually-hidden">{met ? 'met' : 'not yet'}: </span>
      <span>{children}</span>
    </li>
  );
}
