import { batch, effect } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { useProgress } from '../../components/progress/use-progress.ts';
import { markExerciseDone } from '../../progress/local-progress.ts';
import { formatBytes, formatInterval, formatMs, plural } from '../shared/format.ts';
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
import './LongPollingDemo.css';

export interface LongPollingDemoProps {
  /** Tells apart several demos on one page: each keeps its own channel. */
  instance?: string;
  /** Where the companion server is; default: the page's origin. */
  baseUrl?: string;
}

/**
 * Lesson 3's live demo: a notification feed fed by long polling. Each held
 * request is a bar on the timeline; the reader sends notifications, loses a
 * response, causes server errors or slows the network, and checks that every
 * notification still arrives exactly once. It renders only; the loop lives in
 * model.ts, HTTP in client.ts. Used from MDX as `<LongPollingDemo client:visible />`.
 */
export default function LongPollingDemo({ instance = 'default', baseUrl }: LongPollingDemoProps) {
  const [{ model, client }] = useState(() => createDemo(baseUrl));
  const progress = useProgress();
  const ids = useId();
  // The server-rendered controls do nothing until hydration: keep them disabled until then,
  // so an early click is never silently lost.
  const [hydrated, setHydrated] = useState(false);

  // The channel and the cursor reached before a reload live in sessionStorage, which only
  // the browser has: read them after mount, then keep the cursor saved as it moves.
  useEffect(() => {
    const channel = widgetChannel(instance);
    batch(() => {
      model.channel.value = channel;
      model.resumeFrom(savedCursor(instance, channel));
    });
    setHydrated(true);
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
  const hold = model.holdMs.value;
  const doneBefore = progress.lessons[EXERCISE.lesson]?.exercises?.[EXERCISE.id] !== undefined;

  return (
    <section class="lp" data-widget="long-polling" aria-label="Long-polling demo" data-phase={phase}>
      <fieldset class="lp-controls" disabled={!hydrated}>
        <legend class="lp-visually-hidden">Long-polling controls</legend>
        <div class="lp-group">
          <div class="lp-buttons">
            <button type="button" class="lp-button lp-primary" onClick={() => model.start()} disabled={listening}>
              Start listening
            </button>
            <button type="button" class="lp-button" onClick={() => model.stop()} disabled={!listening}>
              Stop listening
            </button>
          </div>
          <div class="lp-buttons">
            <button type="button" class="lp-button" onClick={() => void model.send()} disabled={!listening}>
              Send a notification
            </button>
            <button type="button" class="lp-button" onClick={() => void model.sendBurst(BURST_SIZE)} disabled={!listening}>
              Send {BURST_SIZE} at once
            </button>
          </div>
        </div>

        <div class="lp-field">
          <label for={`${ids}-hold`}>Hold timeout</label>
          <div class="lp-slider">
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
            <output for={`${ids}-hold`} class="lp-mono">
              {formatInterval(hold)}
            </output>
          </div>
          <p class="lp-hint" id={`${ids}-hold-hint`}>
            How long the server may hold a request with nothing to say (204 after that). Applies from the next request.
          </p>
        </div>

        <fieldset class="lp-faults">
          <legend>Break things</legend>
          <div class="lp-buttons">
            <button
              type="button"
              class="lp-button lp-fault"
              onClick={() => void model.loseNextResponse()}
              disabled={faults.busy}
              aria-describedby={`${ids}-loss`}
            >
              Lose the next response
            </button>
            <button
              type="button"
              class="lp-button lp-fault"
              onClick={() => void model.causeServerErrors(SERVER_ERROR_COUNT)}
              disabled={faults.busy}
              aria-describedby={`${ids}-errors`}
            >
              Cause server errors
            </button>
          </div>
          <label class="lp-check">
            <input
              type="checkbox"
              checked={faults.slow}
              onChange={(event) => void model.setSlow(event.currentTarget.checked)}
            />
            Slow network (+{formatMs(SLOW.delayMs)} per answer)
          </label>
          <ul class="lp-armed" aria-label="Armed faults">
            <li id={`${ids}-loss`} data-armed={faults.lossArmed}>
              {faults.lossArmed
                ? 'Armed: the next answer with events will be lost on the way.'
                : 'The server takes the events, then drops the connection.'}
            </li>
            <li id={`${ids}-errors`} data-armed={faults.serverErrors > 0}>
              {faults.serverErrors > 0
                ? `Armed: ${plural(faults.serverErrors, 'more request')} will get 503.`
                : `The next ${SERVER_ERROR_COUNT} requests get 503 with Retry-After.`}
            </li>
          </ul>
        </fieldset>
      </fieldset>

      <p class="lp-status" role="status" aria-live="polite">
        {model.status.value}
      </p>
      {model.error.value && (
        <p class="lp-error" role="alert">
          {model.error.value}
        </p>
      )}

      <p class="lp-facts">
        <span>
          Cursor <span class="lp-mono lp-strong">{model.cursor.value}</span>
        </span>
        <span>
          Channel <span class="lp-mono">{model.channel.value ?? '–'}</span>
        </span>
      </p>

      <StatTiles stats={model.stats.value} />

      <VerificationLine verification={model.verification.value} />

      <p class="lp-summary">{model.summary.value}</p>

      <Timeline model={model} />

      <Feed feed={model.feed.value} publishes={model.publishes.value} />

      <Exercise
        check={model.exercise.value}
        verification={model.verification.value}
        done={model.exerciseDone.value || doneBefore}
      />
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
  const bytesNote = {
    measured: 'Resource Timing: body + a flat 300 B for headers',
    estimated: 'estimated: visible headers + body',
    mixed: 'Resource Timing, a few estimated',
    none: 'response headers + bodies',
  }[stats.bytesSource];
  return (
    <ul class="lp-stats" aria-label="Counters">
      <Tile stat="requests" label="Requests" value={stats.requests} note="one held at a time" />
      <Tile stat="answered" outcome="events" label="200 with events" value={stats.answered} note={stats.largestBatch > 1 ? `up to ${stats.largestBatch} events in one` : 'answered the moment an event came'} />
      <Tile stat="timeouts" outcome="timeout" label="204 timeouts" value={stats.timeouts} note="held to the end, nothing new" />
      <Tile
        stat="failed"
        outcome="lost"
        label="Lost or failed"
        value={stats.failed}
        note={stats.failed ? `${stats.lost} lost, ${stats.errors} errors` : 'no answer, or 5xx'}
      />
      <Tile
        stat="received"
        label="Events received"
        value={stats.received}
        note={stats.recoveredEvents ? `${stats.recoveredEvents} recovered by cursor` : 'shown in the feed'}
      />
      <Tile stat="duplicates" label="Duplicates dropped" value={stats.duplicates} note="ids the feed already had" />
      <Tile stat="bytes" label="Bytes received" value={stats.bytes} text={formatBytes(stats.bytes)} note={bytesNote} />
    </ul>
  );
}

function Tile(props: { stat: string; label: string; value: number; text?: string; note: string; outcome?: RequestOutcome }) {
  return (
    <li class="lp-tile" data-stat={props.stat}>
      <span class="lp-tile-label">
        {props.outcome && <span class={`lp-key lp-key-${props.outcome}`} aria-hidden="true" />}
        {props.label}
      </span>
      <span class="lp-tile-value lp-mono" data-value={props.value}>
        {props.text ?? props.value}
      </span>
      <span class="lp-tile-note">{props.note}</span>
    </li>
  );
}

function VerificationLine({ verification }: { verification: Verification }) {
  const travelling = verification.pending + verification.sending;
  const ok = verification.lost === 0 && travelling === 0 && verification.received === verification.sent;
  return (
    <div class={`lp-verify${verification.lost > 0 ? ' lp-verify-bad' : ok && verification.sent > 0 ? ' lp-verify-ok' : ''}`}>
      <span class="lp-verify-label">Check</span>
      <p class="lp-mono" data-verification>
        {verification.text}
      </p>
      {(travelling > 0 || verification.failed > 0) && (
        <p class="lp-hint">
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
  const scroller = useRef<HTMLDivElement>(null);
  const stickToEnd = useRef(true);

  // While a request is held (or a retry is pending), move time along so the open bar grows.
  useEffect(() => {
    if (!live) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [live]);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (element && stickToEnd.current) element.scrollTop = element.scrollHeight;
  }, [records.length]);

  if (records.length === 0) {
    return (
      <figure class="lp-timeline">
        <figcaption class="lp-caption">Requests</figcaption>
        <p class="lp-empty">Start listening: each request will appear here as a bar, as long as the server held it.</p>
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
        Requests <span class="lp-hint">(a bar is how long the server held the request)</span>
      </figcaption>
      <div
        class="lp-scroll"
        ref={scroller}
        tabIndex={0}
        role="region"
        aria-label="Requests, oldest first"
        onScroll={(event) => {
          const element = event.currentTarget;
          stickToEnd.current = element.scrollTop + element.clientHeight >= element.scrollHeight - 24;
        }}
      >
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
              <span class="lp-visually-hidden">{describeRequest(record)}</span>
              <div class="lp-row-head" aria-hidden="true">
                <span class="lp-row-seq lp-mono">#{record.seq}</span>
                <span class="lp-row-cursor lp-mono">cursor {record.cursor}</span>
                <span class="lp-row-result lp-mono">{rowResult(record, now)}</span>
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
      <ul class="lp-legend" aria-label="Legend">
        <LegendItem outcome="held" text="held" />
        <LegendItem outcome="events" text="200 events" />
        <LegendItem outcome="timeout" text="204 timeout" />
        <LegendItem outcome="lost" text="lost" />
        <LegendItem outcome="error" text="503 / error" />
        <li>
          <span class="lp-key lp-key-pub" aria-hidden="true" /> you sent a notification
        </li>
      </ul>
    </figure>
  );
}

function LegendItem({ outcome, text }: { outcome: RequestOutcome; text: string }) {
  return (
    <li>
      <span class={`lp-key lp-key-${outcome}`} aria-hidden="true" /> {text}
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
      {feed.length === 0 && <p class="lp-empty">Nothing yet. Start listening, then send a notification.</p>}
      <ul class="lp-feed-list" role="list" aria-label="Notifications">
        {feed.map((item) => {
          const sent = mine.get(item.key);
          const latency = sent ? `${formatMs(Math.max(0, item.receivedAt - sent.clickedAt))} after you sent it` : 'from another sender';
          return (
            <li key={item.key} class="lp-item" data-event-id={item.id}>
              <span class="lp-item-text">{item.type === 'notification' ? item.text : `${item.type}: ${item.text}`}</span>
              <span class="lp-item-meta">
                <span class="lp-mono">id {item.id}</span> · request #{item.requestSeq} · {latency}
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
    <section class="lp-exercise" aria-label="Exercise: survive a lost response">
      <p>
        <strong>Exercise: survive a lost response.</strong> Lose a response on purpose, and show that the feed still gets
        every notification exactly once. Start listening, press “Lose the next response”, then send notifications.
      </p>
      <ul class="lp-checks">
        <Check state={check.recovered ? 'met' : 'pending'}>
          A response was lost, and the retry with the same cursor brought its events back.{' '}
          {check.responsesLost > 0 && !check.recovered ? `${plural(check.responsesLost, 'response')} lost so far; waiting for the retry.` : ''}
        </Check>
        <Check state={deliveryState}>
          Every notification sent since you started listening arrived exactly once: <span class="lp-mono">{verification.text}</span>.
        </Check>
      </ul>
      {verification.lost > 0 && (
        <p class="lp-hint">
          Some notifications can never arrive now (the server forgot them). Stop and start listening to try again.
        </p>
      )}
      <p class="lp-exercise-done" role="status">
        {done ? 'Exercise complete ✓' : ''}
      </p>
    </section>
  );
}

function Check({ state, children }: { state: 'met' | 'missed' | 'pending'; children: ComponentChildren }) {
  const icon = { met: '✓', missed: '✗', pending: '…' }[state];
  const word = { met: 'met', missed: 'missed', pending: 'not yet' }[state];
  return (
    <li class={`lp-check-item lp-check-${state}`}>
      <span class="lp-check-icon" aria-hidden="true">
        {icon}
      </span>
      <span class="lp-visually-hidden">{word}: </span>
      <span>{children}</span>
    </li>
  );
}
