import { useEffect, useState } from 'preact/hooks';
import { formatMs, plural } from '../shared/format.ts';
import { useStickToEnd } from '../shared/use-stick-to-end.ts';
import { describeRequest } from './describe.ts';
import type { LongPollingModel } from './model.ts';
import type { PublishRecord, RequestOutcome, RequestRecord } from './records.ts';
import { SLOW } from './settings.ts';

/** The color key of an outcome, as on the timeline's bars. */
export function keyClass(outcome: RequestOutcome): string {
  return `widget-key lp-key-${outcome}`;
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
export function RequestTimeline({ model }: { model: LongPollingModel }) {
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
