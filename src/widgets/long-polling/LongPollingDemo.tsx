import { batch, effect } from '@preact/signals';
import { useEffect, useId, useState } from 'preact/hooks';
import { markExerciseDone } from '../../progress/local-progress.ts';
import type { DemoProps } from '../shared/demo-props.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { formatBytes, formatMs, plural } from '../shared/format.ts';
import { StatTile } from '../shared/StatTile.tsx';
import { StatusLines } from '../shared/StatusLines.tsx';
import { useDoneBefore } from '../shared/use-done-before.ts';
import { LongPollingControls } from './LongPollingControls.tsx';
import { keyClass, RequestTimeline } from './RequestTimeline.tsx';
import { savedCursor, saveCursor, widgetChannel } from './channel.ts';
import { createLongPollingClient, type LongPollingClient } from './client.ts';
import { createLongPollingModel, type LongPollingModel } from './model.ts';
import type { ExerciseCheck, FeedItem, LongPollStats, PublishRecord, Verification } from './records.ts';
import { EXERCISE } from './settings.ts';
import '../../styles/widget.css';
import './LongPollingDemo.css';

export type LongPollingDemoProps = DemoProps;

/**
 * Lesson 3's live demo: a notification feed fed by long polling. Each held
 * request is a bar on the timeline; the reader sends notifications, loses a
 * response, causes server errors or slows the network, and checks that every
 * notification still arrives exactly once. It renders only; the loop lives in
 * model.ts, HTTP in client.ts. Used from MDX as `<LongPollingDemo client:reachable />`.
 */
export default function LongPollingDemo({ instance = 'default', baseUrl }: LongPollingDemoProps) {
  const [{ model, client }] = useState(() => createDemo(baseUrl));
  const ids = useId();

  // The channel and the cursor reached before a reload live in sessionStorage, which only
  // the browser has: read them after mount, then keep the cursor saved as it moves.
  useEffect(() => {
    const channel = widgetChannel(instance);
    batch(() => {
      model.channel.value = channel;
      model.resumeFrom(savedCursor(instance, channel));
    });
    return effect(() => {
      const name = model.channel.value;
      const cursor = model.cursor.value;
      if (name !== null) saveCursor(instance, name, cursor);
    });
  }, [model, instance]);

  // Unmount: abort the held request, clear every timer, release the observer.
  useEffect(
    () => () => {
      model.dispose();
      client.dispose?.();
    },
    [model, client],
  );

  const phase = model.phase.value;
  const doneBefore = useDoneBefore(EXERCISE);

  return (
    <section class="widget lp" data-widget="long-polling" aria-label="Long-polling demo" data-phase={phase}>
      <LongPollingControls model={model} ids={ids} />

      <StatusLines status={model.status.value} error={model.error.value} />

      <p class="widget-facts">
        <span>
          Cursor <span class="widget-mono widget-strong">{model.cursor.value}</span>
        </span>
        <span>
          Channel <span class="widget-mono">{model.channel.value ?? '–'}</span>
        </span>
      </p>

      <StatTiles stats={model.stats.value} />

      <VerificationLine verification={model.verification.value} />

      <p class="widget-summary">{model.summary.value}</p>

      <RequestTimeline model={model} />

      <Feed feed={model.feed.value} publishes={model.publishes.value} />

      <Exercise check={model.exercise.value} verification={model.verification.value} done={model.exerciseDone.value || doneBefore} />
    </section>
  );
}

function createDemo(baseUrl: string | undefined): { model: LongPollingModel; client: LongPollingClient } {
  const client = createLongPollingClient({ baseUrl });
  const model = createLongPollingModel(client, undefined, {
    onExerciseComplete: () => markExerciseDone(EXERCISE.lesson, EXERCISE.id),
  });
  return { model, client };
}

function StatTiles({ stats }: { stats: LongPollStats }) {
  const bytesNote = stats.bytes
    ? `${formatBytes(stats.bytes - stats.bodyBytes)} status lines and headers + ${formatBytes(stats.bodyBytes)} bodies`
    : 'status lines, headers and bodies, counted from each answer';
  return (
    <ul class="widget-stats lp-stats" aria-label="Counters">
      <StatTile stat="requests" label="Requests" value={String(stats.requests)} note="one held at a time" />
      <StatTile
        stat="answered"
        keyClass={keyClass('events')}
        label="200 with events"
        value={String(stats.answered)}
        note={stats.largestBatch > 1 ? `up to ${stats.largestBatch} events in one` : 'answered the moment an event came'}
      />
      <StatTile
        stat="timeouts"
        keyClass={keyClass('timeout')}
        label="204 timeouts"
        value={String(stats.timeouts)}
        note="held to the end, nothing new"
      />
      <StatTile
        stat="failed"
        keyClass={keyClass('lost')}
        label="Lost or failed"
        value={String(stats.failed)}
        note={stats.failed ? `${stats.lost} lost, ${stats.errors} errors` : 'no answer, or 5xx'}
      />
      <StatTile
        stat="received"
        label="Events received"
        value={String(stats.received)}
        note={stats.recoveredEvents ? `${stats.recoveredEvents} recovered by cursor` : 'shown in the feed'}
      />
      <StatTile stat="duplicates" label="Duplicates dropped" value={String(stats.duplicates)} note="ids the feed already had" />
      <StatTile stat="bytes" label="Bytes received" value={formatBytes(stats.bytes)} raw={stats.bytes} note={bytesNote} />
    </ul>
  );
}

function VerificationLine({ verification }: { verification: Verification }) {
  const travelling = verification.pending + verification.sending;
  const ok = verification.lost === 0 && travelling === 0 && verification.received === verification.sent;
  return (
    <div class={`lp-verify${verification.lost > 0 ? ' lp-verify-bad' : ok && verification.sent > 0 ? ' lp-verify-ok' : ''}`}>
      <span class="lp-verify-label">Check</span>
      <p class="widget-mono" data-verification>
        {verification.text}
      </p>
      {(travelling > 0 || verification.failed > 0) && (
        <p class="widget-hint">
          {travelling > 0 && `${travelling} on the way. `}
          {verification.failed > 0 && `${plural(verification.failed, 'send')} refused by the server, not counted.`}
        </p>
      )}
    </div>
  );
}

function Feed({ feed, publishes }: { feed: readonly FeedItem[]; publishes: readonly PublishRecord[] }) {
  const mine = new Map(publishes.filter((entry) => entry.id !== null).map((entry) => [`${entry.epoch}:${entry.id}`, entry]));
  return (
    <div class="lp-feed">
      <p class="lp-caption">Notifications</p>
      {feed.length === 0 && <p class="widget-empty">Nothing yet. Start listening, then send a notification.</p>}
      <ul class="lp-feed-list" aria-label="Notifications">
        {feed.map((item) => {
          const sent = mine.get(item.key);
          const latency = sent
            ? `${formatMs(Math.max(0, item.receivedAt - sent.clickedAt))} after you sent it`
            : item.broadcast
              ? 'from your workshop’s instructor'
              : 'from another sender';
          return (
            <li key={item.key} class={item.broadcast ? 'lp-item lp-item-broadcast' : 'lp-item'} data-event-id={item.id}>
              <span class="lp-item-text">{item.type === 'notification' || item.broadcast ? item.text : `${item.type}: ${item.text}`}</span>
              <span class="lp-item-meta">
                <span class="widget-mono">id {item.id}</span> · request #{item.requestSeq} · {latency}
                {item.recovered && <span class="lp-badge lp-badge-ok">recovered</span>}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function Exercise({ check, verification, done }: { check: ExerciseCheck; verification: Verification; done: boolean }) {
  const deliveryState = verification.lost > 0 ? 'missed' : check.allReceived ? 'met' : 'pending';
  return (
    <ExerciseBox title="survive a lost response" done={done}>
      <p>
        <strong>Exercise: survive a lost response.</strong> Lose a response on purpose, and show that the feed still gets every notification
        exactly once. Start listening, press “Lose the next response”, then send notifications.
      </p>
      <ul class="widget-checks">
        <ExerciseCheckItem state={check.recovered ? 'met' : 'pending'}>
          A response was lost, and the retry with the same cursor brought its events back.{' '}
          {check.responsesLost > 0 && !check.recovered
            ? `${plural(check.responsesLost, 'response')} lost so far; waiting for the retry.`
            : ''}
        </ExerciseCheckItem>
        <ExerciseCheckItem state={deliveryState}>
          Every notification sent since you started listening arrived exactly once: <span class="widget-mono">{verification.text}</span>.
        </ExerciseCheckItem>
      </ul>
      {verification.lost > 0 && (
        <p class="widget-hint">Some notifications can never arrive now (the server forgot them). Stop and start listening to try again.</p>
      )}
    </ExerciseBox>
  );
}
