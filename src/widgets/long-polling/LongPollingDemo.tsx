import { batch, effect } from '@preact/signals';
import { useEffect, useId, useState } from 'preact/hooks';
import { markExerciseDone } from '../../progress/local-progress.ts';
import { LONG_POLL_LIMITS } from '../../protocol/long-polling.ts';
import type { DemoProps } from '../shared/demo-props.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { formatBytes, formatInterval, formatMs, plural } from '../shared/format.ts';
import { StatTile } from '../shared/StatTile.tsx';
import { StatusLines } from '../shared/StatusLines.tsx';
import { useDoneBefore } from '../shared/use-done-before.ts';
import { useStickToEnd } from '../shared/use-stick-to-end.ts';
import { savedCursor, saveCursor, widgetChannel } from './channel.ts';
import { createLongPollingClient, type LongPollingClient } from './client.ts';
import {
  BURST_SIZE,
  EXERCISE,
  HOLD,
  SERVER_ERROR_COUNT,
  SLOW,
  createLongPollingModel,
  describeRequest,
  type ExerciseCheck,
  type FeedItem,
  type LongPollingModel,
  type LongPollStats,
  type PublishRecord,
  type RequestOutcome,
  type RequestRecord,
  type Verification,
} from './model.ts';
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
  const listening = phase === 'listening';
  const faults = model.faults.value;
  // A fault stays armed on the server's channel after Stop: say when it will strike.
  const whenListening = listening ? '' : ', once you listen again';
  const hold = model.holdMs.value;
  const doneBefore = useDoneBefore(EXERCISE);

  return (
    <section class="widget lp" data-widget="long-polling" aria-label="Long-polling demo" data-phase={phase}>
      <fieldset class="widget-controls lp-controls">
        <legend class="visually-hidden">Long-polling controls</legend>
        <div class="lp-group">
          <div class="widget-row">
            <button type="button" class="widget-button widget-primary" onClick={() => model.start()} disabled={listening}>
              Start listening
            </button>
            <button type="button" class="widget-button" onClick={() => model.stop()} disabled={!listening}>
              Stop listening
            </button>
          </div>
          <div class="widget-row">
            <button type="button" class="widget-button" onClick={() => void model.send()} disabled={!listening}>
              Send a notification
            </button>
            <button type="button" class="widget-button" onClick={() => void model.sendBurst(BURST_SIZE)} disabled={!listening}>
              Send {BURST_SIZE} at once
            </button>
          </div>
        </div>

        <div class="widget-field lp-field">
          <label for={`${ids}-hold`}>Hold timeout</label>
          <div class="widget-row widget-slider">
            <input
              id={`${ids}-hold`}
              type="range"
              min={HOLD.min}
              max={HOLD.max}
              step={HOLD.step}
              value={hold}
              aria-valuetext={formatInterval(hold)}
              aria-describedby={`${ids}-hold-hint`}
              onInput={(event) => model.setHold(Number(event.currentTarget.value))}
            />
            <output for={`${ids}-hold`} class="widget-mono">
              {formatInterval(hold)}
            </output>
          </div>
          <p class="widget-hint" id={`${ids}-hold-hint`}>
            How long the server may hold a request with nothing to say (204 after that). Applies from the next request.
            {formatInterval(HOLD.initial)} to start, so a timeout comes soon; the server’s own default is{' '}
            {formatInterval(LONG_POLL_LIMITS.defaultTimeoutMs)}.
          </p>
        </div>

        <fieldset class="lp-faults">
          <legend>Break things</legend>
          <div class="widget-row">
            <button
              type="button"
              class="widget-button lp-fault"
              onClick={() => void model.loseNextResponse()}
              disabled={faults.busy}
              aria-describedby={`${ids}-loss`}
            >
              Lose the next response
            </button>
            <button
              type="button"
              class="widget-button lp-fault"
              onClick={() => void model.causeServerErrors(SERVER_ERROR_COUNT)}
              disabled={faults.busy}
              aria-describedby={`${ids}-errors`}
            >
              Cause server errors
            </button>
          </div>
          <label class="widget-check">
            <input type="checkbox" checked={faults.slow} onChange={(event) => void model.setSlow(event.currentTarget.checked)} />
            Slow network (+{formatMs(SLOW.delayMs)} per answer)
          </label>
          <ul class="lp-armed" aria-label="Armed faults">
            <li id={`${ids}-loss`} data-armed={faults.lossArmed}>
              {faults.lossArmed
                ? `Armed: the next answer with events will be lost on the way${whenListening}.`
                : 'The server takes the events, then drops the connection.'}
            </li>
            <li id={`${ids}-errors`} data-armed={faults.serverErrors > 0}>
              {faults.serverErrors > 0
                ? `Armed: ${plural(faults.serverErrors, 'more request')} will get 503${whenListening}.`
                : `The next ${SERVER_ERROR_COUNT} requests get 503 with Retry-After.`}
            </li>
          </ul>
        </fieldset>
      </fieldset>

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

      <Timeline model={model} />

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

/** The color key of an outcome, as on the timeline's bars. */
function keyClass(outcome: RequestOutcome): string {
  return `widget-key lp-key-${outcome}`;
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

/** Shortest timeline scale, and the gap to the right of the longest bar. */
const MIN_SCALE_MS = 4_000;

/**
 * One row per request, oldest first: the bar spans how long the server held
 * it, on a scale shared by all rows (so a 204 after 10 s is long, an answer
 * after 40 ms is a sliver). Notifications you sent are rings on the row of
 * the request that was open (or opened next). Each row's words say the same,
 * for screen readers and for color-blind eyes.
 */
function Timeline({ model }: { model: LongPollingModel }) {
  const records = model.requests.value;
  const publishes = model.publishes.value;
  const live = model.inFlight.value || model.waiting.value !== null;
  const slow = model.faults.value.slow;
  const [now, setNow] = useState(() => Date.now());
  const scroller = useStickToEnd<HTMLDivElement>(records.length);

  // While a request is held (or a retry is pending), move time along so the open bar grows.
  useEffect(() => {
    if (!live) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [live]);

  if (records.length === 0) {
    return (
      <figure class="lp-timeline">
        <figcaption class="lp-caption">Requests</figcaption>
        <p class="widget-empty">Start listening: each request will appear here as a bar, as long as the server held it.</p>
      </figure>
    );
  }

  const durationOf = (record: RequestRecord) => (record.receivedAt ?? now) - record.sentAt;
  const longest = Math.max(...records.map(durationOf));
  const expected = model.holdMs.value + (slow ? SLOW.delayMs : 0);
  const scaleMs = Math.ceil(Math.max(MIN_SCALE_MS, expected, longest) / 1000) * 1000;
  const tickEvery = scaleMs > 16_000 ? 5_000 : scaleMs > 8_000 ? 2_000 : 1_000;
  const ticks = Array.from({ length: Math.floor(scaleMs / tickEvery) + 1 }, (_, index) => index * tickEvery);
  const percent = (ms: number) => `${Math.min(100, Math.max(0, (ms / scaleMs) * 100))}%`;
  const marks = placePublishes(records, publishes);

  return (
    <figure class="lp-timeline">
      <figcaption class="lp-caption">
        Requests <span class="widget-hint">(a bar is how long the server held the request)</span>
      </figcaption>
      <div class="lp-scroll" ref={scroller.ref} tabIndex={0} role="region" aria-label="Requests, oldest first" onScroll={scroller.onScroll}>
        <div class="lp-axis" aria-hidden="true">
          <div class="lp-axis-inner">
            {ticks.map((at) => (
              <span key={at} class="lp-axis-tick" style={{ left: percent(at) }}>
                {at / 1000} s
              </span>
            ))}
          </div>
        </div>
        <ol class="lp-rows">
          {records.map((record) => (
            <li key={record.seq} class={`lp-row lp-row-${record.outcome}`} data-outcome={record.outcome}>
              <span class="visually-hidden">{describeRequest(record)}</span>
              <div class="lp-row-head" aria-hidden="true">
                <span class="lp-row-seq widget-mono">#{record.seq}</span>
                <span class="lp-row-cursor widget-mono">cursor {record.cursor}</span>
                <span class="lp-row-result widget-mono">{rowResult(record, now)}</span>
                {record.recovered && <span class="lp-badge lp-badge-ok">recovered</span>}
                {record.waitReason && (
                  <span class="lp-row-wait">
                    after {formatMs(record.waitedMs)} {record.waitReason === 'backoff' ? 'backoff' : 'pause'}
                  </span>
                )}
              </div>
              <div class="lp-track" aria-hidden="true">
                <span class={`lp-bar lp-bar-${record.outcome}`} style={{ width: percent(durationOf(record)) }} />
                {(marks.get(record.seq) ?? []).map((mark) => (
                  <span
                    key={mark.entry.seq}
                    class="lp-pub"
                    style={{ left: percent(mark.offsetMs) }}
                    title={`You sent “${mark.entry.text}”`}
                  />
                ))}
              </div>
            </li>
          ))}
        </ol>
      </div>
      <ul class="widget-legend" aria-label="Legend">
        <LegendItem outcome="held" text="held" />
        <LegendItem outcome="events" text="200 events" />
        <LegendItem outcome="timeout" text="204 timeout" />
        <LegendItem outcome="lost" text="lost" />
        <LegendItem outcome="error" text="503 / error" />
        <li>
          <span class="widget-key lp-key-pub" aria-hidden="true" /> you sent a notification
        </li>
      </ul>
    </figure>
  );
}

function LegendItem({ outcome, text }: { outcome: RequestOutcome; text: string }) {
  return (
    <li>
      <span class={keyClass(outcome)} aria-hidden="true" /> {text}
    </li>
  );
}

/** The row's compact result, e.g. `200 · 3 events · 1.2 s`. */
function rowResult(record: RequestRecord, now: number): string {
  const heldMs = (record.receivedAt ?? now) - record.sentAt;
  switch (record.outcome) {
    case 'held':
      return `held… ${formatMs(Math.max(0, heldMs))}`;
    case 'events': {
      const parts = [`200 · ${plural(record.fresh, 'event')}`];
      if (record.duplicates > 0) parts.push(`${record.duplicates} dup. dropped`);
      parts.push(formatMs(heldMs));
      return parts.join(' · ');
    }
    case 'timeout':
      return `204 · ${formatMs(heldMs)}`;
    case 'lost':
      return `lost · retry in ${formatMs(record.retry?.delayMs ?? 0)}`;
    case 'error':
      return `${record.status ?? 'error'}${record.retry ? ` · retry in ${formatMs(record.retry.delayMs)}` : ''}`;
    case 'cancelled':
      return 'cancelled';
  }
}

/** Each notification you sent, on the request open when you sent it, or the next one opened. */
function placePublishes(
  records: readonly RequestRecord[],
  publishes: readonly PublishRecord[],
): Map<number, { entry: PublishRecord; offsetMs: number }[]> {
  const marks = new Map<number, { entry: PublishRecord; offsetMs: number }[]>();
  for (const entry of publishes) {
    if (entry.status === 'failed') continue;
    const record = records.find((candidate) => (candidate.receivedAt ?? Infinity) >= entry.clickedAt);
    if (!record) continue;
    const list = marks.get(record.seq) ?? [];
    list.push({ entry, offsetMs: Math.max(0, entry.clickedAt - record.sentAt) });
    marks.set(record.seq, list);
  }
  return marks;
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
