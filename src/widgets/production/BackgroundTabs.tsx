import { useEffect, useState } from 'preact/hooks';
import { StatTile } from '../shared/StatTile.tsx';
import { formatMs } from '../shared/format.ts';
import { createBackgroundTabsModel, documentVisibility, median, TICK_MS, type BackgroundTabsModel } from './background-tabs-model.ts';
import { productionChannel } from './channel.ts';
import { createProductionClient } from './client.ts';
import '../../styles/widget.css';
import { ExperimentLog } from './ExperimentLog.tsx';
import { useHydrated } from '../../islands/use-hydrated.ts';
import { ControlsNote } from './ControlsNote.tsx';
import './production.css';

/**
 * Lesson 7's background tabs: a long-polling feed that stops asking while
 * the tab is hidden (Page Visibility API) and catches up with one request
 * by cursor when it is shown again, beside a 250 ms probe timer that shows
 * how the browser throttles timers in a hidden tab.
 * Renders only: state in background-tabs-model.ts. Used from MDX as `<BackgroundTabs client:reachable />`.
 */
export default function BackgroundTabs({ baseUrl }: { baseUrl?: string }) {
  const hydrated = useHydrated();
  const [model] = useState(() =>
    createBackgroundTabsModel({ client: createProductionClient({ baseUrl }), visibility: documentVisibility }),
  );

  useEffect(() => {
    model.channel.value = productionChannel('background-tabs');
    model.watch();
    return () => model.dispose();
  }, [model]);

  const running = model.running.value;
  const visibility = model.visibility.value;
  const catchUp = model.lastCatchUp.value;

  return (
    <section
      class="widget prod"
      data-widget="background-tabs"
      data-visibility={visibility}
      data-running={running ? 'true' : 'false'}
      aria-label="Background tabs and the Page Visibility API"
    >
      <fieldset class="widget-controls">
        <legend class="visually-hidden">Feed controls</legend>
        <div class="widget-field">
          <label class="widget-check">
            <input
              type="checkbox"
              checked={model.pauseWhenHidden.value}
              onChange={(event) => (model.pauseWhenHidden.value = event.currentTarget.checked)}
            />
            Pause while hidden
          </label>
          <p class="widget-hint">
            On <code>visibilitychange</code> to <code>hidden</code>, abort the long poll and send nothing more; on <code>visible</code>,
            poll at once with the cursor.
          </p>
        </div>
        <div class="widget-row">
          {running ? (
            <button type="button" class="widget-button" onClick={() => model.stop()}>
              Stop the feed
            </button>
          ) : (
            <button type="button" class="widget-button widget-primary" onClick={() => void model.start()}>
              Start the feed
            </button>
          )}
          <span class={`widget-badge prod-state-${visibility}`}>
            <span class="widget-dot" aria-hidden="true" />
            tab {visibility}
          </span>
        </div>
      </fieldset>
      <ControlsNote hydrated={hydrated} />

      <p class="widget-status" role="status" aria-live="polite">
        {!running
          ? 'Start the feed, then switch to another tab for 10 seconds or more, and come back.'
          : catchUp
            ? `Back after ${formatMs(catchUp.hiddenMs)}: ${catchUp.events} missed ${catchUp.events === 1 ? 'event' : 'events'} caught up in one request.`
            : `Following the channel by long polling, cursor ${model.cursor.value}.`}
      </p>
      {model.error.value && (
        <p class="widget-error" role="alert">
          {model.error.value}
        </p>
      )}

      <ul class="widget-stats prod-stats">
        <StatTile stat="received" label="Events" value={String(model.received.value)} note={`received; cursor ${model.cursor.value}`} />
        <StatTile
          stat="caught-up"
          label="Caught up"
          value={String(catchUp?.events ?? 0)}
          note={catchUp ? `events in one poll, after ${formatMs(catchUp.hiddenMs)} hidden` : 'events on the last return'}
        />
        <StatTile
          stat="polls-hidden"
          label="Polls while hidden"
          value={String(model.pollsWhileHidden.value)}
          note="requests nobody was looking at"
        />
        <TimerTile model={model} />
      </ul>

      <div class="prod-columns">
        <ExperimentLog
          entries={model.log.value}
          label="What the feed did, oldest first"
          empty="Visibility changes, pauses and catch-ups appear here."
        />
        <FeedList model={model} />
      </div>
    </section>
  );
}

function TimerTile({ model }: { model: BackgroundTabsModel }) {
  const { visible, hidden } = model.gaps.value;
  const visibleMedian = median(visible);
  const hiddenMedian = median(hidden);
  const show = (ms: number | null) => (ms === null ? '–' : formatMs(ms));
  return (
    <StatTile
      stat="timer"
      label={`A ${TICK_MS} ms timer ticks every`}
      value={`${show(visibleMedian)} / ${show(hiddenMedian)}`}
      note={`median while visible / hidden; longest hidden gap ${show(hidden.length ? Math.max(...hidden) : null)}`}
    />
  );
}

function FeedList({ model }: { model: BackgroundTabsModel }) {
  const events = model.events.value;
  if (events.length === 0) return <p class="widget-empty">The newest events of the channel appear here.</p>;
  return (
    <ol class="prod-log prod-feed" aria-label="The newest events">
      {events.map((event) => (
        <li key={event.id} class="prod-log-entry">
          <span class="prod-log-time widget-mono">#{event.id}</span>
          <span class="prod-feed-text">
            <span class="widget-hint">{event.type}</span> {event.text}
          </span>
        </li>
      ))}
    </ol>
  );
}
