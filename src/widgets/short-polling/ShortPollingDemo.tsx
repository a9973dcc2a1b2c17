import { useEffect, useId, useState } from 'preact/hooks';
import { isTerminal, JOB_LIMITS, type Job } from '../../protocol/jobs.ts';
import { markExerciseDone } from '../../progress/local-progress.ts';
import type { DemoProps } from '../shared/demo-props.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { formatBytes, formatInterval, formatMs } from '../shared/format.ts';
import { StatTile } from '../shared/StatTile.tsx';
import { StatusLines } from '../shared/StatusLines.tsx';
import { useDoneBefore } from '../shared/use-done-before.ts';
import { useStickToEnd } from '../shared/use-stick-to-end.ts';
import { widgetChannel } from './channel.ts';
import { createShortPollingClient, type ShortPollingClient } from './client.ts';
import {
  EXERCISE,
  INTERVAL,
  JOB_STEP_MS,
  createShortPollingModel,
  describePoll,
  type ExerciseCheck,
  type PollOutcome,
  type PollRecord,
  type PollStats,
  type PublishRecord,
  type ShortPollingModel,
} from './model.ts';
import '../../styles/widget.css';
import './ShortPollingDemo.css';

export type ShortPollingDemoProps = DemoProps;

/**
 * Lesson 2's live demo: start a simulated job, poll it at the reader's
 * interval, with or without ETag, and watch requests, 200s, 304s, bytes and
 * staleness add up. It renders only; the loop lives in model.ts, HTTP in
 * client.ts. Used from MDX as `<ShortPollingDemo client:reachable />`.
 */
export default function ShortPollingDemo({ instance = 'default', baseUrl }: ShortPollingDemoProps) {
  const [{ model, client }] = useState(() => createDemo(baseUrl));
  const ids = useId();
  const [note, setNote] = useState('Hello #1');

  // The channel lives in sessionStorage, which only the browser has: read it after mount.
  useEffect(() => {
    model.channel.value = widgetChannel(instance);
  }, [model, instance]);

  useEffect(() => {
    const onVisibility = () => model.setPageVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', onVisibility);
    onVisibility();
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      model.dispose();
      client.dispose?.();
    };
  }, [model, client]);

  const phase = model.phase.value;
  const job = model.job.value;
  const stats = model.stats.value;
  const interval = model.intervalMs.value;
  const polling = phase === 'polling';
  const canPublish = polling && job !== null && !isTerminal(job.state) && !model.publishing.value;
  const doneBefore = useDoneBefore(EXERCISE);

  const publish = async () => {
    const text = note;
    await model.publish(text);
    // The server ignores a note equal to the current one, so offer a fresh one each time.
    setNote((current) => (current === text ? nextNote(text) : current));
  };

  return (
    <section class="widget sp" data-widget="short-polling" aria-label="Short-polling demo" data-phase={phase}>
      <fieldset class="widget-controls">
        <legend class="visually-hidden">Poller settings</legend>
        <div class="widget-row">
          <button type="button" class="widget-button widget-primary" onClick={() => void model.start()} disabled={phase === 'starting'}>
            Start job
          </button>
          <button type="button" class="widget-button" onClick={() => model.stop()} disabled={!polling}>
            Stop polling
          </button>
        </div>

        <div class="widget-field sp-interval">
          <label for={`${ids}-interval`}>Polling interval</label>
          <div class="widget-row widget-slider">
            <input
              id={`${ids}-interval`}
              type="range"
              min={INTERVAL.min}
              max={INTERVAL.max}
              step={INTERVAL.step}
              value={interval}
              aria-valuetext={formatInterval(interval)}
              onInput={(event) => model.setInterval(Number(event.currentTarget.value))}
            />
            <output for={`${ids}-interval`} class="widget-mono">
              {formatInterval(interval)}
            </output>
          </div>
        </div>

        <div class="widget-field">
          <label class="widget-check">
            <input
              type="checkbox"
              checked={model.useEtag.value}
              onChange={(event) => (model.useEtag.value = event.currentTarget.checked)}
            />
            Use ETag (If-None-Match)
          </label>
          <p class="widget-hint">Send the last ETag back; an unchanged job then costs a body-less 304.</p>
        </div>

        <div class="widget-field sp-publish">
          <label for={`${ids}-note`}>Note to publish</label>
          <div class="widget-row sp-publish-row">
            <input
              id={`${ids}-note`}
              type="text"
              class="widget-input"
              value={note}
              maxLength={JOB_LIMITS.maxNoteLength}
              onInput={(event) => setNote(event.currentTarget.value)}
              onKeyDown={(event) => {
                if (event.key === 'Enter' && canPublish) void publish();
              }}
            />
            <button type="button" class="widget-button" onClick={() => void publish()} disabled={!canPublish}>
              Publish a change
            </button>
          </div>
          <p class="widget-hint">Sets the job’s note on the server right away. When will the poller notice?</p>
        </div>
      </fieldset>

      <StatusLines status={model.status.value} error={model.error.value} />

      <JobCard job={job} phase={phase} channel={model.channel.value} />

      <StatTiles stats={stats} interval={interval} />

      <p class="widget-summary">{model.summary.value}</p>

      <Timeline model={model} />

      <Exercise check={model.exercise.value} phase={phase} done={model.exerciseDone.value || doneBefore} />
    </section>
  );
}

function createDemo(baseUrl: string | undefined): { model: ShortPollingModel; client: ShortPollingClient } {
  const client = createShortPollingClient({ baseUrl });
  const model = createShortPollingModel(client, undefined, {
    onExerciseComplete: () => markExerciseDone(EXERCISE.lesson, EXERCISE.id),
  });
  return { model, client };
}

/** `Hello #1` → `Hello #2`; other text gets ` #2`. */
function nextNote(text: string): string {
  const match = /^(.*#)(\d+)$/.exec(text);
  return match ? `${match[1]}${Number(match[2]) + 1}` : `${text} #2`;
}

const STATE_LABEL: Record<Job['state'], string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
};

function JobCard({ job, phase, channel }: { job: Job | null; phase: string; channel: string | null }) {
  const progress = job?.progress ?? 0;
  return (
    <div class="widget-card sp-job" data-job-state={job?.state ?? 'none'}>
      <div class="widget-card-head">
        <span class="widget-card-title">What the poller knows</span>
        {job ? (
          <span class={`widget-badge sp-badge-${job.state}`}>{STATE_LABEL[job.state]}</span>
        ) : (
          <span class="widget-badge">{phase === 'starting' ? 'Starting…' : 'No job yet'}</span>
        )}
      </div>
      <div class="widget-bar" role="progressbar" aria-label="Job progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress}>
        <div class={`widget-bar-fill${job?.state === 'failed' ? ' sp-bar-failed' : ''}`} style={{ width: `${progress}%` }} />
      </div>
      <dl class="sp-job-facts">
        <div>
          <dt>Progress</dt>
          <dd class="widget-mono">{job ? `${progress} %` : '–'}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd class="widget-mono">{job?.version ?? '–'}</dd>
        </div>
        <div class="sp-job-note">
          <dt>Note</dt>
          <dd>{job?.note ?? '–'}</dd>
        </div>
        <div>
          <dt>Channel</dt>
          <dd class="widget-mono">{channel ?? '–'}</dd>
        </div>
      </dl>
    </div>
  );
}

function StatTiles({ stats, interval }: { stats: PollStats; interval: number }) {
  const answered = stats.requests - stats.errors;
  // Counted from each response: status line, headers, body (see countResponseBytes).
  const bytesNote =
    answered > 0
      ? `per answer ≈ ${formatBytes((stats.bytes - stats.bodyBytes) / answered)} status line and headers + ${formatBytes(stats.bodyBytes / answered)} body`
      : 'status line, headers and body, counted from each answer';
  return (
    <ul class="widget-stats sp-stats" aria-label="Counters">
      <StatTile
        stat="requests"
        label="Requests"
        value={String(stats.requests)}
        note={stats.errors > 0 ? `${stats.errors} failed` : `one per ${formatInterval(interval)} + round trip`}
      />
      <StatTile stat="changed" keyClass={keyClass('changed')} label="200 changed" value={String(stats.changed)} note="a new version" />
      <StatTile
        stat="unchanged"
        keyClass={keyClass('unchanged')}
        label="200 nothing changed"
        value={String(stats.unchanged)}
        note={stats.unchanged ? `${formatBytes(stats.repeatedBodyBytes)} of bodies you had` : 'same version, whole body'}
      />
      <StatTile
        stat="not-modified"
        keyClass={keyClass('not-modified')}
        label="304 Not Modified"
        value={String(stats.notModified)}
        note="headers only, no body"
      />
      <StatTile stat="bytes" label="Bytes received" value={formatBytes(stats.bytes)} raw={stats.bytes} note={bytesNote} />
      <StatTile
        stat="step-staleness"
        label="Staleness: job steps"
        value={stats.steps === null ? '–' : formatMs(stats.steps.avgMs)}
        raw={stats.steps === null ? undefined : Math.round(stats.steps.avgMs)}
        note={
          stats.steps === null
            ? `a step every ${formatInterval(JOB_STEP_MS)}, in time with your polls`
            : `average; worst ${formatMs(stats.steps.maxMs)}. A step every ${formatInterval(JOB_STEP_MS)}, in time with your polls`
        }
      />
      <StatTile
        stat="note-staleness"
        label="Staleness: your changes"
        value={stats.notes === null ? '–' : formatMs(stats.notes.avgMs)}
        raw={stats.notes === null ? undefined : Math.round(stats.notes.avgMs)}
        note={
          stats.notes === null
            ? `publish a change; half the interval is ${formatMs(interval / 2)}`
            : `average of ${stats.notes.count}; half the interval is ${formatMs(interval / 2)}`
        }
      />
    </ul>
  );
}

/** The color key of an outcome, as on the timeline. */
function keyClass(outcome: PollOutcome): string {
  return `widget-key sp-key-${outcome}`;
}

/** Horizontal scale of the timeline. Fixed, so intervals compare by eye. */
const PX_PER_SECOND = 48;
const TRACK_PADDING_PX = 12;

/**
 * The polls on a time axis: server changes on top, each joined by a bar to
 * the poll that finally saw it (the staleness), polls below, colored and
 * sized by outcome. One mark is in the tab order; arrow keys move between
 * marks (a roving tabindex), so 80 polls are not 80 tab stops.
 */
function Timeline({ model }: { model: ShortPollingModel }) {
  const origin = model.startedAt.value;
  const polls = model.polls.value;
  const publishes = model.publishes.value;
  const live = model.phase.value === 'polling' || model.phase.value === 'starting';
  const [now, setNow] = useState<number | null>(null);
  const [active, setActive] = useState<number | null>(null);

  // While polling, move a "now" line along, so the wait between polls is visible.
  useEffect(() => {
    if (!live) {
      setNow(null);
      return;
    }
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(timer);
  }, [live]);

  const last = polls.at(-1);
  const end = Math.max(now ?? 0, last?.receivedAt ?? 0, origin ?? 0);
  const x = (time: number) => TRACK_PADDING_PX + ((time - (origin ?? 0)) / 1000) * PX_PER_SECOND;
  const widthPx = Math.max(320, x(end) + 3 * PX_PER_SECOND);
  const scroller = useStickToEnd<HTMLDivElement>(widthPx, 'x');

  useEffect(() => {
    setActive(null);
    scroller.stick();
  }, [origin]);

  if (origin === null) {
    return (
      <figure class="sp-timeline">
        <figcaption class="sp-timeline-caption">Timeline of polls</figcaption>
        <p class="widget-empty">Start a job: each poll will appear here as a mark, each server change as a tick above it.</p>
      </figure>
    );
  }

  const activePoll = active === null ? undefined : polls[active];
  const focusIndex = active ?? polls.length - 1;
  const seconds = Math.floor((end - origin) / 1000) + 3;

  const move = (event: KeyboardEvent) => {
    if (polls.length === 0) return;
    const keys: Record<string, number> = {
      ArrowLeft: focusIndex - 1,
      ArrowRight: focusIndex + 1,
      Home: 0,
      End: polls.length - 1,
    };
    const target = keys[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const index = Math.min(polls.length - 1, Math.max(0, target));
    setActive(index);
    scroller.ref.current?.querySelector<HTMLButtonElement>(`[data-poll="${index}"]`)?.focus();
  };

  return (
    <figure class="sp-timeline">
      <figcaption class="sp-timeline-caption">
        Timeline of polls <span class="widget-hint">(hover, or focus and use ← →, for details)</span>
      </figcaption>
      <div class="sp-scroll" ref={scroller.ref} onScroll={scroller.onScroll}>
        <div class="sp-track" style={{ width: `${widthPx}px` }} role="group" aria-label="Polls, oldest first" onKeyDown={move}>
          {Array.from({ length: seconds }, (_, second) => (
            <span key={second} class="sp-tick" style={{ left: `${x(origin + second * 1000)}px` }} aria-hidden="true">
              <span class="sp-tick-label">{second} s</span>
            </span>
          ))}
          {polls.map((poll) =>
            poll.outcome === 'changed' && poll.changedAt !== null ? <ChangeMark key={`c${poll.seq}`} poll={poll} x={x} /> : null,
          )}
          {publishes.map((entry) => (
            <PublishMark key={`p${entry.seq}`} entry={entry} x={x} now={now} />
          ))}
          {polls.map((poll, index) => (
            <button
              type="button"
              key={poll.seq}
              data-poll={index}
              data-outcome={poll.outcome}
              class={`sp-poll sp-poll-${poll.outcome}${active === index ? ' sp-poll-active' : ''}`}
              style={{ left: `${x(poll.sentAt)}px`, width: `${Math.max(5, x(poll.receivedAt) - x(poll.sentAt))}px` }}
              tabIndex={index === focusIndex ? 0 : -1}
              aria-label={describePoll(poll, origin)}
              onFocus={() => setActive(index)}
              onMouseEnter={() => setActive(index)}
              onClick={() => setActive(index)}
            />
          ))}
          {now !== null && <span class="sp-now" style={{ left: `${x(now)}px` }} aria-hidden="true" />}
        </div>
      </div>
      <p class="sp-detail">
        {activePoll ? describePoll(activePoll, origin) : last ? `Latest: ${describePoll(last, origin)}` : 'Waiting for the first answer…'}
      </p>
      <ul class="widget-legend" aria-label="Legend">
        <LegendItem outcome="changed" text="200 changed" />
        <LegendItem outcome="unchanged" text="200 nothing changed" />
        <LegendItem outcome="not-modified" text="304" />
        <LegendItem outcome="error" text="failed" />
        <li>
          <span class="widget-key sp-key-change" aria-hidden="true" /> server change
        </li>
        <li>
          <span class="widget-key sp-key-publish" aria-hidden="true" /> your note
        </li>
        <li>
          <span class="widget-key sp-key-gap" aria-hidden="true" /> waiting to be seen
        </li>
      </ul>
    </figure>
  );
}

function LegendItem({ outcome, text }: { outcome: PollOutcome; text: string }) {
  return (
    <li>
      <span class={keyClass(outcome)} aria-hidden="true" /> {text}
    </li>
  );
}

function ChangeMark({ poll, x }: { poll: PollRecord; x: (time: number) => number }) {
  const from = x(poll.changedAt!);
  const to = x(poll.receivedAt);
  return (
    <>
      <span class="sp-gap" style={{ left: `${from}px`, width: `${Math.max(1, to - from)}px` }} aria-hidden="true" />
      <span
        class="sp-change"
        style={{ left: `${from}px` }}
        title={`Version ${poll.version}: seen ${formatMs(poll.stalenessMs ?? 0)} later`}
        aria-hidden="true"
      />
    </>
  );
}

function PublishMark({ entry, x, now }: { entry: PublishRecord; x: (time: number) => number; now: number | null }) {
  if (entry.changedAt === null) return null;
  const from = x(entry.changedAt);
  const until = entry.seenAt ?? (entry.status === 'pending' ? now : null);
  return (
    <>
      {until !== null && (
        <span class="sp-gap sp-gap-publish" style={{ left: `${from}px`, width: `${Math.max(1, x(until) - from)}px` }} aria-hidden="true" />
      )}
      <span
        class="sp-publish-mark"
        style={{ left: `${from}px` }}
        title={`Your note “${entry.text}”: ${publishText(entry)}`}
        aria-hidden="true"
      />
    </>
  );
}

function publishText(entry: PublishRecord): string {
  switch (entry.status) {
    case 'seen':
      return `seen ${formatMs(entry.stalenessMs ?? 0)} after the server stored it`;
    case 'pending':
      return 'waiting for the next poll';
    case 'overwritten':
      return 'replaced by a later note before any poll saw it';
    case 'not-applied':
      return 'arrived after the job had finished';
    case 'no-change':
      return 'the job already had this note';
    default:
      return entry.status;
  }
}

/** What a screen reader hears for a check not decided yet: the run decides it when the job ends. */
const PENDING_WORD = 'not decided yet';

function Exercise({ check, phase, done }: { check: ExerciseCheck; phase: string; done: boolean }) {
  const ended = phase === 'finished';
  const finish =
    check.finishWorstCaseMs === null
      ? 'Not finished yet.'
      : `Seen ${formatMs(check.finishStalenessMs ?? 0)} after it happened; it could have waited up to ${formatMs(check.finishWorstCaseMs)}.`;
  return (
    <ExerciseBox title="tune the poller" done={done}>
      <p class="sp-exercise-title">
        <strong>Exercise: tune the poller.</strong> Run a job to the end so that the poller is sure to see the finish within{' '}
        {formatMs(EXERCISE.maxFinishWorstCaseMs)} (one interval plus the round trip, at worst), while re-downloading under{' '}
        {formatBytes(EXERCISE.maxRepeatedBodyBytes)} of bodies it already had.
      </p>
      <ul class="widget-checks">
        <ExerciseCheckItem state={!ended ? 'pending' : check.finishOk ? 'met' : 'missed'} pendingWord={PENDING_WORD}>
          Finish within {formatMs(EXERCISE.maxFinishWorstCaseMs)} at worst. {finish}
        </ExerciseCheckItem>
        <ExerciseCheckItem state={!check.bytesOk ? 'missed' : ended ? 'met' : 'pending'} pendingWord={PENDING_WORD}>
          Repeated bodies under {formatBytes(EXERCISE.maxRepeatedBodyBytes)}: {formatBytes(check.repeatedBodyBytes)}
          {ended ? '.' : ' so far.'}
        </ExerciseCheckItem>
      </ul>
      {ended && !check.passed && (
        <p class="sp-exercise-hint">
          {!check.finishOk && 'The finish could wait a whole interval for the next poll: shorten the interval. '}
          {!check.bytesOk && 'Most polls found nothing new, and each brought the whole body again: make them cheap. '}
          Then start another job.
        </p>
      )}
    </ExerciseBox>
  );
}
