import { useEffect, useId, useState } from 'preact/hooks';
import { markExerciseDone } from '../../progress/local-progress.ts';
import type { DemoProps } from '../shared/demo-props.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { formatBytes, formatMs } from '../shared/format.ts';
import { DurationOptions } from '../shared/DurationOptions.tsx';
import { lendConnections } from '../shared/lent-connections.ts';
import { StatTile } from '../shared/StatTile.tsx';
import { StatusLines } from '../shared/StatusLines.tsx';
import { useDoneBefore } from '../shared/use-done-before.ts';
import { useHydrated } from '../../islands/use-hydrated.ts';
import { useNow } from '../shared/use-now.ts';
import { useStickToEnd } from '../shared/use-stick-to-end.ts';
import { complete, type BuildTrack, type LogLine } from './build-tracker.ts';
import { widgetChannel } from './channel.ts';
import { createSseClient } from './client.ts';
import { createConnectionLimitModel, type ConnectionLimitModel } from './connection-limit.ts';
import {
  RETRY_CHOICES,
  createSseModel,
  type BroadcastEntry,
  type BuildPhase,
  type ConnectionState,
  type ReconnectRecord,
  type SseModel,
  type SseStats,
} from './model.ts';
import { EXERCISE, type ExerciseCheck } from './sse-exercise.ts';
import { SixConnectionLimit } from './SixConnectionLimit.tsx';
import { WireView } from './WireView.tsx';
import '../../styles/widget.css';
import './SseDemo.css';

export interface SseDemoProps extends DemoProps {
  /** How long each build runs; default 20 s. */
  buildDurationMs?: number;
}

/**
 * Lesson 4's live demo: a CI build streamed over Server-Sent Events to the
 * browser's own EventSource (log lines, a progress bar, a final `done`),
 * with a wire view of the raw bytes, faults to inject (kill the connection,
 * restart the stream, stop heartbeats, change `retry`), a check that nothing
 * was lost or repeated across reconnects, and the 6-connection experiment.
 * It renders only: state in model.ts and connection-limit.ts, I/O in
 * client.ts and wire-reader.ts. Used from MDX as `<SseDemo client:reachable />`.
 */
export default function SseDemo({ instance = 'default', baseUrl, buildDurationMs }: SseDemoProps) {
  const [{ model, limit }] = useState(() => createDemo(baseUrl, buildDurationMs));
  // The six-connection demo opens streams on the channel, which exists only after mount.
  const hydrated = useHydrated();

  // The channel lives in sessionStorage, which only the browser has: read it after mount.
  useEffect(() => {
    model.channel.value = widgetChannel(instance);
  }, [model, instance]);

  // Every stream, reader and timer goes when the island does.
  useEffect(
    () => () => {
      limit.dispose();
      model.dispose();
    },
    [model, limit],
  );

  const connection = model.connection.value;
  const phase = model.phase.value;
  const stats = model.stats.value;
  const connected = connection === 'open' || connection === 'reconnecting' || connection === 'connecting';
  const doneBefore = useDoneBefore(EXERCISE);

  return (
    <section class="widget sse" data-widget="sse" aria-label="Server-Sent Events demo" data-connection-state={connection}>
      <StreamControls model={model} />

      <StatusLines status={model.status.value} error={model.error.value} />

      <BuildCard
        phase={phase}
        track={model.build.value}
        verification={model.verification.value}
        channel={model.channel.value}
        connected={connected}
      />

      <LastReconnect record={model.lastReconnect.value} wireResume={model.wireResume.value} />

      <Broadcasts entries={model.broadcasts.value} />

      <StatTiles stats={stats} />

      <div class="sse-panes">
        <BuildLog lines={model.build.value?.lines ?? []} received={model.build.value?.received ?? 0} />
        <WireView entries={model.wire.value} bytes={stats.bytes} open={model.wireOpen.value} />
      </div>

      <Exercise check={model.exercise.value} phase={phase} done={model.exerciseDone.value || doneBefore} />

      <SixConnectionLimit model={limit} channel={hydrated ? model.channel.value : null} />
    </section>
  );
}

/** Start a build, break the stream (kill, restart), and its settings: heartbeats and the reconnect delay. */
function StreamControls({ model }: { model: SseModel }) {
  const ids = useId();
  const connection = model.connection.value;
  const building = model.phase.value === 'starting' || model.phase.value === 'running';
  const sending = model.sending.value;
  const retryMs = model.retryMs.value;
  const retryChoices = (RETRY_CHOICES as readonly number[]).includes(retryMs)
    ? RETRY_CHOICES
    : [...RETRY_CHOICES, retryMs].sort((a, b) => a - b);
  return (
    <fieldset class="widget-controls">
      <legend class="visually-hidden">Stream controls</legend>
      <div class="widget-row widget-wide">
        <button
          type="button"
          class="widget-button widget-primary"
          onClick={() => void model.startBuild()}
          disabled={building || connection === 'paused'}
        >
          Start build
        </button>
        <button type="button" class="widget-button" onClick={() => void model.kill()} disabled={connection !== 'open' || sending !== null}>
          Kill the connection
        </button>
        <button
          type="button"
          class="widget-button"
          onClick={() => void model.restart()}
          disabled={connection !== 'open' || sending !== null}
        >
          Restart the stream
        </button>
        <ConnectionBadge state={connection} />
      </div>

      <div class="widget-field">
        <label class="widget-check">
          <input
            type="checkbox"
            checked={model.heartbeats.value}
            disabled={sending === 'heartbeats'}
            onChange={(event) => void model.setHeartbeats(event.currentTarget.checked)}
          />
          Heartbeats
        </label>
        <p class="widget-hint">
          Proxies and load balancers close a connection that carries nothing for a while (often 60 s). A comment line,{' '}
          <code>: heartbeat</code> (here every {formatMs(model.heartbeatMs)}), keeps it busy; the browser ignores it.{' '}
          <HeartbeatAge at={model.lastHeartbeatAt.value} enabled={model.heartbeats.value} live={connection === 'open'} />
        </p>
      </div>

      <div class="widget-field">
        <label for={`${ids}-retry`}>Reconnect delay (retry)</label>
        <select
          id={`${ids}-retry`}
          class="widget-input widget-select sse-select"
          value={String(retryMs)}
          disabled={sending === 'retry'}
          onChange={(event) => void model.setRetry(Number(event.currentTarget.value))}
        >
          <DurationOptions choices={retryChoices} />
        </select>
        <p class="widget-hint">
          The server writes <code>retry: {retryMs}</code> to the open streams; after a loss the browser waits that long before it
          reconnects.
        </p>
      </div>
    </fieldset>
  );
}

function createDemo(baseUrl: string | undefined, buildDurationMs: number | undefined): { model: SseModel; limit: ConnectionLimitModel } {
  const client = createSseClient({ baseUrl });
  const model = createSseModel(client, undefined, {
    buildDurationMs,
    onExerciseComplete: () => markExerciseDone(EXERCISE.lesson, EXERCISE.id),
  });
  // The experiment needs all six connections: the demo's own streams and page-wide ones (a workshop's) step aside.
  const limit = createConnectionLimitModel(client, undefined, {
    pauseDemo: () => {
      model.pause();
      lendConnections(true);
    },
    resumeDemo: () => {
      lendConnections(false);
      model.resume();
    },
  });
  return { model, limit };
}

const CONNECTION_LABEL: Record<ConnectionState, string> = {
  idle: 'not connected',
  connecting: 'connecting',
  open: 'open',
  reconnecting: 'reconnecting',
  closed: 'closed',
  paused: 'paused',
};

function ConnectionBadge({ state }: { state: ConnectionState }) {
  return (
    <span class={`widget-badge sse-conn-${state}`} data-connection={state}>
      <span class="visually-hidden">EventSource: </span>
      <span class="widget-dot" aria-hidden="true" />
      {CONNECTION_LABEL[state]}
    </span>
  );
}

/** "last one 3 s ago", ticking while the stream is open. */
function HeartbeatAge({ at, enabled, live }: { at: number | null; enabled: boolean; live: boolean }) {
  const now = useNow(live && at !== null, 1_000);
  if (!live || at === null) return null;
  const seconds = Math.floor(Math.max(0, now - at) / 1000);
  return (
    <span class="widget-mono">
      Last one {seconds < 1 ? 'just now' : `${seconds} s ago`}
      {enabled ? '' : ' — the line is silent now'}.
    </span>
  );
}

const PHASE_LABEL: Record<BuildPhase, string> = {
  idle: 'No build yet',
  starting: 'Starting…',
  running: 'Running',
  passed: 'Passed',
  failed: 'Failed',
  lost: 'Lost',
};

function BuildCard(props: {
  phase: BuildPhase;
  track: BuildTrack | null;
  verification: string;
  channel: string | null;
  connected: boolean;
}) {
  const { phase, track } = props;
  const percent = track?.done ? 100 : (track?.progress?.percent ?? 0);
  // `starting` is the first moment of a run: tests and styles see it as running.
  const state = phase === 'starting' ? 'running' : phase;
  const gaps = track?.gaps ?? [];
  const exact = track !== null && complete(track);
  return (
    <div class="widget-card sse-build" data-build-state={state}>
      <div class="widget-card-head">
        <span class="widget-card-title">Build{track?.buildId ? <span class="widget-mono"> {track.buildId}</span> : null}</span>
        <span class={`widget-badge sse-badge-${state}`}>{PHASE_LABEL[phase]}</span>
      </div>
      <div class="widget-bar" role="progressbar" aria-label="Build progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div class="widget-bar-fill" style={{ width: `${percent}%` }} />
      </div>
      <p class="sse-step">
        <span class="widget-mono">{percent} %</span> {track?.progress?.step ?? (phase === 'idle' ? '' : 'waiting for the first step…')}
      </p>
      <p class={`sse-verification widget-mono${exact ? ' sse-verification-ok' : ''}`} data-verification>
        {props.verification || 'Lines received 0 of ? · missing 0 · repeated 0'}
      </p>
      {gaps.length > 0 && (
        <p class="widget-error sse-warning">
          Never arrived: {gaps.map((gap) => (gap.from === gap.to ? `event ${gap.from}` : `events ${gap.from}–${gap.to}`)).join(', ')}
          {track?.reset ? ' (the server could not resume and sent a reset)' : ''}.
        </p>
      )}
      {track && track.repeatedEvents > 0 && (
        <p class="widget-error sse-warning">{track.repeatedEvents} events came twice (their ids had been seen).</p>
      )}
      <p class="widget-hint">
        Channel <span class="widget-mono">{props.channel ?? '–'}</span>. The log numbers each line as it arrives; the event ids (strictly
        increasing) show any gap or repeat, and the build’s line count says whether all arrived.
        {!props.connected && phase === 'idle' ? ' “Start build” opens the stream, then starts the build.' : ''}
      </p>
    </div>
  );
}

function LastReconnect({ record, wireResume }: { record: ReconnectRecord | null; wireResume: { id: number; at: number } | null }) {
  if (!record) {
    return (
      <div class="widget-card sse-reconnect" data-last-reconnect>
        No reconnect yet. Kill the connection during a build and watch the browser come back by itself.
      </div>
    );
  }
  const sent = record.sentLastEventId;
  const confirmed = wireResume !== null && wireResume.at >= record.lostAt ? wireResume.id : null;
  const sentId = sent ? Number(sent) : null;
  const cause = { kill: 'you killed the connection', restart: 'you restarted the stream', network: 'the connection dropped' }[record.cause];
  let next: string;
  if (record.nextEventId === null) next = 'No event since.';
  else if (sentId === null) next = `The first event after it was id ${record.nextEventId}.`;
  else if (record.nextEventId === sentId + 1) next = `The next event was id ${record.nextEventId}: nothing lost, nothing repeated.`;
  else if (record.nextEventId <= sentId) next = `The next event was id ${record.nextEventId}: already seen, a repeat.`;
  else next = `The next event was id ${record.nextEventId}: ids ${sentId + 1}–${record.nextEventId - 1} were lost.`;
  return (
    <div class="widget-card sse-reconnect" data-last-reconnect>
      <p class="sse-reconnect-main">
        Reconnected after {Math.round(record.afterMs)} ms,{' '}
        {sent
          ? `sent Last-Event-ID: ${sent}`
          : 'sent as Last-Event-ID the id of the server’s opening “id:” line (no event had arrived; a page never sees that id)'}
      </p>
      <p class="widget-hint">
        Reconnect {record.n}: {cause}.{' '}
        {confirmed !== null ? `The wire view’s reconnect was answered “: resuming after Last-Event-ID ${confirmed}”. ` : ''}
        {next}
      </p>
    </div>
  );
}

/** Texts the instructor of a workshop sent into the demo's stream: events like the build's, on the same channel. */
function Broadcasts({ entries }: { entries: readonly BroadcastEntry[] }) {
  if (entries.length === 0) return null;
  return (
    <div class="widget-card sse-broadcasts" data-broadcasts>
      <p class="widget-card-title">From your workshop</p>
      <ul aria-live="polite">
        {entries.map((entry) => (
          <li key={entry.key} class="sse-broadcast">
            {entry.line}
          </li>
        ))}
      </ul>
      <p class="widget-hint">
        Delivered by this demo’s EventSource, as an event of type <code>workshop-broadcast</code>.
      </p>
    </div>
  );
}

function StatTiles({ stats }: { stats: SseStats }) {
  return (
    <ul class="widget-stats sse-stats" aria-label="Counters">
      <StatTile stat="events" label="Events" value={String(stats.events)} note="log, progress and done, as EventSource dispatched them" />
      <StatTile stat="reconnects" label="Reconnects" value={String(stats.reconnects)} note="made by the browser itself" />
      <StatTile stat="heartbeats" label="Heartbeats seen" value={String(stats.heartbeats)} note="comments, in the wire view" />
      <StatTile
        stat="bytes"
        label="Bytes on the wire"
        value={formatBytes(stats.bytes)}
        raw={stats.bytes}
        note={`headers and stream, ${stats.wireConnections} ${stats.wireConnections === 1 ? 'connection' : 'connections'} of the wire view`}
      />
    </ul>
  );
}

function BuildLog({ lines, received }: { lines: readonly LogLine[]; received: number }) {
  const scroller = useStickToEnd<HTMLDivElement>(received);
  const hidden = received - lines.length;
  return (
    <figure class="sse-pane sse-log">
      <figcaption class="sse-pane-caption">
        <span>
          Build log <span class="widget-hint">(delivered by EventSource)</span>
        </span>
        <span class="widget-hint widget-mono">{received} lines</span>
      </figcaption>
      <div
        class="sse-scroll widget-mono"
        ref={scroller.ref}
        role="region"
        aria-label="Build log lines"
        tabIndex={0}
        onScroll={scroller.onScroll}
      >
        {hidden > 0 && <p class="sse-log-more">… {hidden} earlier lines not shown</p>}
        {lines.length === 0 ? (
          <p class="sse-empty">Log lines will appear here, numbered as they arrive.</p>
        ) : (
          <ol class="sse-log-lines" start={lines[0]!.n}>
            {lines.map((line) => (
              <li key={line.n} class="sse-log-line" value={line.n}>
                <span class="sse-log-n" aria-hidden="true">
                  {line.n}
                </span>
                <span class="sse-log-text">{line.text || '\u00a0'}</span>
                <span class="sse-log-id" title={`event id ${line.eventId}`}>
                  #{line.eventId}
                </span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </figure>
  );
}

/** What a screen reader hears for a check not decided yet: the build decides it when it ends. */
const PENDING_WORD = 'not decided yet';

function Exercise({ check, phase, done }: { check: ExerciseCheck; phase: BuildPhase; done: boolean }) {
  const ended = phase === 'passed' || phase === 'failed' || phase === 'lost';
  const building = phase === 'starting' || phase === 'running';
  return (
    <ExerciseBox title="resume without gaps" done={done}>
      <p>
        <strong>Exercise: resume without gaps.</strong> Start a build and, while it streams, kill the connection at least once. Do not
        reload: let the browser reconnect by itself. You are done when the build finishes with every log line received exactly once — as
        many lines as the build announced, none missing, none repeated.
      </p>
      <ul class="widget-checks">
        <ExerciseCheckItem
          state={check.kills > 0 && check.reconnects > 0 ? 'met' : ended ? 'missed' : 'pending'}
          pendingWord={PENDING_WORD}
        >
          Connection killed during the build and reconnected: {check.kills} {check.kills === 1 ? 'kill' : 'kills'}, {check.reconnects}{' '}
          {check.reconnects === 1 ? 'reconnect' : 'reconnects'}.
        </ExerciseCheckItem>
        <ExerciseCheckItem
          state={!check.finished ? (ended ? 'missed' : 'pending') : check.exact ? 'met' : 'missed'}
          pendingWord={PENDING_WORD}
        >
          Every line exactly once
          {check.finished
            ? check.exact
              ? '.'
              : ': some lines are missing or repeated.'
            : building
              ? ' (checked when the build ends).'
              : '.'}
        </ExerciseCheckItem>
      </ul>
      {ended && !check.passed && (
        <p class="widget-hint">
          {check.kills === 0 ? 'Kill the connection while the build is still running. ' : ''}
          Then start another build.
        </p>
      )}
    </ExerciseBox>
  );
}
