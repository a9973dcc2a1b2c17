import { useEffect, useState } from 'preact/hooks';
import { formatMs } from '../shared/format.ts';
import { useStickToEnd } from '../shared/use-stick-to-end.ts';
import { describePoll } from './describe.ts';
import type { ShortPollingModel } from './model.ts';
import type { PollOutcome, PollRecord, PublishRecord } from './records.ts';

/** The color key of an outcome, as on the timeline. */
export function keyClass(outcome: PollOutcome): string {
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
export function PollTimeline({ model }: { model: ShortPollingModel }) {
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
