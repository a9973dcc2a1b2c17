import { useEffect, useId, useState } from 'preact/hooks';
import { markExerciseDone } from '../../progress/local-progress.ts';
import {
  SCALING_INSTANCES,
  SCALING_LIMITS,
  otherInstance,
  type BackplaneAvailability,
  type InstanceName,
  type ScalingExercise,
} from '../../protocol/scaling.ts';
import type { DemoProps } from '../shared/demo-props.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { formatMs } from '../shared/format.ts';
import { StatusLines } from '../shared/StatusLines.tsx';
import { useDoneBefore } from '../shared/use-done-before.ts';
import { useHydrated } from '../../islands/use-hydrated.ts';
import { useNow } from '../shared/use-now.ts';
import { useStickToEnd } from '../shared/use-stick-to-end.ts';
import { scalingChannel } from './channel.ts';
import { createScalingClient } from './client.ts';
import { InstanceCard } from './InstanceCard.tsx';
import { SCALING_EXERCISE as EXERCISE } from '../../protocol/scaling.ts';
import { createScalingModel, type ScalingModel } from './model.ts';
import type { FeedEntry, StreamConnection } from './reader-stream.ts';
import { PresencePanel } from './PresencePanel.tsx';
import '../../styles/widget.css';
import './scaling.css';

/**
 * Lesson 8's live demo: two real instances of the companion server, "A"
 * and "B", side by side, with or without a Redis backplane. Publish on one,
 * follow the feed on the other through a sticky balancer, kill or pause an
 * instance and watch the stream resume and the presence keys run out. The
 * server runs the processes and judges the exercise; this renders only
 * (state in model.ts, I/O in client.ts). Used from MDX as `<ScalingDemo client:reachable />`.
 */
export default function ScalingDemo({ instance = 'default', baseUrl }: DemoProps) {
  const [model] = useState(() =>
    createScalingModel(createScalingClient({ baseUrl }), undefined, {
      onExerciseComplete: () => markExerciseDone(EXERCISE.lesson, EXERCISE.id),
    }),
  );
  const ids = useId();
  const hydrated = useHydrated();

  // The channel lives in sessionStorage, which only the browser has: read it after mount.
  useEffect(() => {
    model.channel.value = scalingChannel(instance);
    void model.load();
    const onVisibility = () => model.setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      model.dispose();
    };
  }, [model, instance]);

  const phase = model.phase.value;
  const demo = model.demo.value;
  const busy = model.busy.value;
  const running = phase === 'running' && demo !== null;
  const now = useNow(running, 250);
  const doneBefore = useDoneBefore(EXERCISE);
  const served = model.servedBy.value;
  const enabled = hydrated && running && busy === null;

  return (
    <section class="widget scale" data-widget="scaling" aria-label="Two instances, with and without a backplane" data-phase={phase}>
      <fieldset class="widget-controls" disabled={busy !== null || phase === 'starting'}>
        <legend class="visually-hidden">The two instances</legend>
        <BackplaneChoice model={model} name={`${ids}-backplane`} />
        <div class="widget-row widget-wide">
          <button type="button" class="widget-button widget-primary" onClick={() => void model.start()}>
            {running ? 'Restart both with this backplane' : 'Start instances A and B'}
          </button>
          <button type="button" class="widget-button" disabled={!running} onClick={() => void model.stop()}>
            Stop both
          </button>
        </div>
      </fieldset>

      <StatusLines
        status={phase === 'starting' ? model.status.value : busy ? `Working: ${busy}…` : model.status.value}
        error={model.error.value}
      />

      {running ? (
        <>
          <p class="widget-facts scale-facts">
            <span>
              Backplane{' '}
              <span class="widget-mono">
                {demo.backplane ? `Redis (${demo.redis?.source === 'REDIS_URL' ? 'REDIS_URL' : 'private redis-server'})` : 'none'}
              </span>
            </span>
            {demo.redis && (
              <span>
                key prefix <span class="widget-mono">{demo.redis.prefix}</span>
              </span>
            )}
          </p>
          <p class="widget-hint">
            Both processes stop by themselves {SCALING_LIMITS.idleMs / 60_000} min after this page stops looking at them, or{' '}
            {SCALING_LIMITS.quietMs / 60_000} min after your last action.
          </p>
          <div class="scale-instances">
            {SCALING_INSTANCES.map((name) => (
              <InstanceCard
                key={name}
                instance={demo.instances[name]}
                published={demo.publishes.filter((note) => note.on === name)}
                servesYou={served?.instance === name}
                enabled={enabled}
                now={now}
                onPublish={(on) => void model.publish(on)}
                onAct={(on, action) => void model.act(on, action)}
              />
            ))}
          </div>
          <div class="widget-field">
            <label for={`${ids}-note`}>Text of the next note</label>
            <input
              id={`${ids}-note`}
              class="widget-input"
              maxLength={SCALING_LIMITS.maxTextLength}
              value={model.noteText.value}
              onInput={(event) => (model.noteText.value = event.currentTarget.value)}
            />
          </div>
          <Subscriber model={model} name={`${ids}-pin`} enabled={enabled} />
          <PresencePanel presence={demo.presence} readAt={model.readAt.value} now={now} gone={model.gone.value} />
        </>
      ) : (
        <p class="widget-empty">
          {phase === 'starting'
            ? 'Two processes are starting: each loads the server and, with the backplane, connects to Redis before it says it is ready.'
            : 'Start the two instances. Each is a real process of this server on a port of its own; this page reaches them only through this server.'}
        </p>
      )}

      <Exercise exercise={demo?.exercise ?? null} done={model.exerciseDone.value || doneBefore} />
    </section>
  );
}

function BackplaneChoice({ model, name }: { model: ScalingModel; name: string }) {
  const availability = model.availability.value?.backplane ?? null;
  const chosen = model.backplane.value;
  return (
    <fieldset class="widget-radios widget-wide">
      <legend>Backplane</legend>
      <label class="widget-check widget-radio">
        <input
          type="radio"
          name={name}
          checked={chosen}
          disabled={availability?.available === false}
          onChange={() => (model.backplane.value = true)}
        />
        <span>
          Redis: one Pub/Sub channel and one shared log for both instances
          {availability?.available && <span class="widget-hint"> — {availability.detail}</span>}
        </span>
      </label>
      <label class="widget-check widget-radio">
        <input type="radio" name={name} checked={!chosen} onChange={() => (model.backplane.value = false)} />
        <span>None: each instance has its own in-memory bus and log</span>
      </label>
      {availability?.available === false && <MissingRedis availability={availability} />}
    </fieldset>
  );
}

function MissingRedis({ availability }: { availability: Extract<BackplaneAvailability, { available: false }> }) {
  return (
    <div class="widget-card scale-missing" role="note">
      <p>
        <strong>The backplane half cannot run here.</strong> {availability.detail} Get one with the command for your machine, then restart
        the workbook:
      </p>
      <ul class="scale-install">
        {availability.install.map((way) => (
          <li key={way.command}>
            {way.where}: <code>{way.command}</code>
          </li>
        ))}
      </ul>
      <p class="widget-hint">Without it, the half with no backplane still runs, and shows what breaks.</p>
    </div>
  );
}

const CONNECTION_LABEL: Record<StreamConnection, string> = {
  idle: 'not connected',
  connecting: 'connecting',
  open: 'open',
  reconnecting: 'reconnecting',
  closed: 'gave up — reopening',
};

/** The color of each connection state, always beside its word. */
const CONNECTION_TONE: Record<StreamConnection, 'ok' | 'warn' | 'err' | null> = {
  idle: null,
  connecting: 'warn',
  open: 'ok',
  reconnecting: 'warn',
  closed: 'err',
};

function Subscriber({ model, name, enabled }: { model: ScalingModel; name: string; enabled: boolean }) {
  const pinned = model.pinned.value;
  const served = model.servedBy.value;
  const connection = model.connection.value;
  const feed = model.feed.value;
  const scroller = useStickToEnd<HTMLOListElement>(feed.length);
  return (
    <section class="widget-card scale-subscriber" aria-label="Your EventSource" data-connection={connection}>
      <div class="widget-card-head">
        <span class="widget-card-title">Your EventSource on the feed</span>
        <span class={`widget-badge scale-conn${CONNECTION_TONE[connection] ? ` scale-tone-${CONNECTION_TONE[connection]}` : ''}`}>
          <span class="widget-dot" aria-hidden="true" />
          {CONNECTION_LABEL[connection]}
        </span>
      </div>
      <fieldset class="widget-radios scale-pin" disabled={!enabled}>
        <legend>Sticky to</legend>
        {(['a', 'b'] as InstanceName[]).map((instance) => (
          <label key={instance} class="widget-check widget-radio">
            <input type="radio" name={name} checked={pinned === instance} onChange={() => model.pin(instance)} />
            Instance {instance.toUpperCase()}
          </label>
        ))}
      </fieldset>
      <p class="widget-hint" data-served-by={served?.instance ?? ''}>
        {served
          ? `Served by ${served.instance.toUpperCase()}${served.instance === pinned ? '' : ` — ${pinned.toUpperCase()} is down, so the balancer sent it to ${served.instance.toUpperCase()}`}${served.lastEventId ? `; the request carried Last-Event-ID: ${served.lastEventId}` : ''}.`
          : `The balancer sends your stream to ${pinned.toUpperCase()}, or to ${otherInstance(pinned).toUpperCase()} while ${pinned.toUpperCase()} is down.`}
      </p>
      <ol
        class="scale-feed widget-mono"
        ref={scroller.ref}
        onScroll={scroller.onScroll}
        aria-label="Events your EventSource received"
        aria-live="polite"
        tabIndex={0}
      >
        {feed.length === 0 ? (
          <li class="widget-hint">Notes will appear here as your EventSource receives them.</li>
        ) : (
          feed.map((entry) => <FeedLine key={entry.key} entry={entry} />)
        )}
      </ol>
    </section>
  );
}

function FeedLine({ entry }: { entry: FeedEntry }) {
  if (entry.kind === 'reconnect') {
    return <li class="scale-feed-marker">— reconnected by the browser after {formatMs(entry.afterMs)} —</li>;
  }
  if (entry.kind === 'reset') {
    return (
      <li class="scale-feed-reset" data-reset={entry.reason}>
        reset ({entry.reason}): this instance cannot continue from your id; its newest is {entry.latestId}
      </li>
    );
  }
  return (
    <li class={`scale-feed-note${entry.gap ? ' scale-feed-gap' : ''}`} data-note-id={entry.id}>
      <span class="scale-feed-id">#{entry.id}</span> {entry.text} <span class="widget-hint">(published on {entry.on.toUpperCase()})</span>
      {entry.gap && <span class="scale-feed-gap-note"> ← an id was skipped</span>}
    </li>
  );
}

function Exercise({ exercise, done }: { exercise: ScalingExercise | null; done: boolean }) {
  const cross = exercise?.crossDelivery ?? null;
  const kill = exercise?.killUnderStream ?? null;
  const resumed = exercise?.resumed ?? null;
  return (
    <ExerciseBox title="resume on the other instance" done={done}>
      <p>
        <strong>Exercise: resume on the other instance.</strong> With the Redis backplane, make a note published on one instance reach your
        stream on the other. Then kill the instance your stream is on, publish again on the survivor, and let the browser reconnect by
        itself. The server checks what passed through it: the note crossing, the kill, and a stream on the other instance that carried your{' '}
        <code>Last-Event-ID</code> and delivered every id after it, none missing, none twice.
      </p>
      <ul class="widget-checks">
        <ExerciseCheckItem state={exercise?.backplane ? 'met' : 'pending'}>Running with the Redis backplane.</ExerciseCheckItem>
        <ExerciseCheckItem state={cross ? 'met' : 'pending'}>
          {cross
            ? `Note #${cross.id}, published on ${cross.publishedOn.toUpperCase()}, reached your stream on ${cross.deliveredOn.toUpperCase()}.`
            : 'A note published on one instance reaches your stream on the other.'}
        </ExerciseCheckItem>
        <ExerciseCheckItem state={kill ? 'met' : 'pending'}>
          {kill
            ? `Instance ${kill.instance.toUpperCase()} was killed under your stream (last id ${kill.lastId ?? 'none'}).`
            : 'The instance under your stream is killed.'}
        </ExerciseCheckItem>
        <ExerciseCheckItem
          state={resumed === null ? 'pending' : !resumed.gapless ? 'missed' : resumed.firstId === null ? 'pending' : 'met'}
        >
          {resumed === null
            ? 'Your stream comes back on the other instance with Last-Event-ID, and misses nothing.'
            : !resumed.gapless
              ? `It came back on ${resumed.on.toUpperCase()} with Last-Event-ID ${resumed.lastEventId}, but with a gap or a reset: kill again to retry.`
              : resumed.firstId === null
                ? `It came back on ${resumed.on.toUpperCase()} with Last-Event-ID ${resumed.lastEventId}; publish a note to see what follows.`
                : `It came back on ${resumed.on.toUpperCase()} with Last-Event-ID ${resumed.lastEventId} and went on with #${resumed.firstId}${resumed.replayed ? `, ${resumed.replayed} replayed from the shared log` : ''}: no gap.`}
        </ExerciseCheckItem>
      </ul>
    </ExerciseBox>
  );
}
