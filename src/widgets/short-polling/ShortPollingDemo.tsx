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
import { widgetChannel } from './channel.ts';
import { keyClass, PollTimeline } from './PollTimeline.tsx';
import { createShortPollingClient, type ShortPollingClient } from './client.ts';
import { createShortPollingModel, type ShortPollingModel } from './model.ts';
import type { ExerciseCheck, PollStats } from './records.ts';
import { EXERCISE, INTERVAL, JOB_STEP_MS } from './settings.ts';
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

      <PollTimeline model={model} />

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
