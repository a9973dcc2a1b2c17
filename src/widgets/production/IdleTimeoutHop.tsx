import { useEffect, useId, useState } from 'preact/hooks';
import { StatTile } from '../shared/StatTile.tsx';
import { formatMs, formatOffset } from '../shared/format.ts';
import { DurationOptions } from '../shared/DurationOptions.tsx';
import { productionChannel } from './channel.ts';
import { createProductionClient } from './client.ts';
import { HEARTBEAT_CHOICES, IDLE_LIMIT_CHOICES, createIdleHopModel, type HopState, type IdleHopModel } from './idle-hop-model.ts';
import { useNow } from '../shared/use-now.ts';
import '../../styles/widget.css';
import { ExperimentLog } from './ExperimentLog.tsx';
import { useHydrated } from '../../islands/use-hydrated.ts';
import { ControlsNote } from './ControlsNote.tsx';
import './production.css';

const STATE_LABELS: Record<HopState, string> = {
  closed: 'closed',
  connecting: 'connecting…',
  open: 'open',
  cut: 'cut by the hop',
  ended: 'ended',
};

/**
 * Lesson 7's idle timeout: an SSE stream read through a small proxy inside
 * the server that cuts any connection silent for longer than its limit, like
 * nginx's `proxy_read_timeout` or a load balancer's idle timeout. With
 * heartbeats more frequent than the limit, the stream lives; without, it is
 * cut, and reconnects. Renders only: state in idle-hop-model.ts.
 * Used from MDX as `<IdleTimeoutHop client:reachable />`.
 */
export default function IdleTimeoutHop({ baseUrl }: { baseUrl?: string }) {
  const hydrated = useHydrated();
  const [model] = useState(() => createIdleHopModel(createProductionClient({ baseUrl })));

  useEffect(() => {
    model.channel.value = productionChannel('idle-hop');
    return () => model.dispose();
  }, [model]);

  const state = model.state.value;
  const live = state !== 'closed' && state !== 'ended';
  const stats = model.stats.value;
  /** A change of setting while the stream is open takes effect at once: reopen with it. */
  const change = (apply: () => void) => {
    apply();
    if (live) model.open();
  };

  return (
    <section
      class="widget prod"
      data-widget="idle-hop"
      data-hop-state={state}
      data-hop-cuts={String(stats.cuts)}
      aria-label="Idle timeout through a hop"
    >
      <fieldset class="widget-controls">
        <legend class="visually-hidden">Hop and stream settings</legend>
        <HopSettings model={model} change={change} />
        <StreamButtons model={model} live={live} />
      </fieldset>
      <ControlsNote
        hydrated={hydrated}
        busy={
          !model.heartbeats.value
            ? 'The heartbeat interval is off while Heartbeats is unticked. Publish works while the stream is open.'
            : !live
              ? 'Publish works while the stream is open.'
              : null
        }
      />

      {model.error.value && (
        <p class="widget-error" role="alert">
          {model.error.value}
        </p>
      )}

      <SilenceMeter model={model} />

      <ul class="widget-stats prod-stats">
        <StatTile stat="connections" label="Connections" value={String(stats.connections)} note="through the hop, reconnects included" />
        <StatTile stat="cuts" label="Cut by the hop" value={String(stats.cuts)} note="for silence" />
        <StatTile stat="heartbeats" label="Heartbeats" value={String(stats.heartbeats)} note=": heartbeat comments received" />
        <StatTile stat="events" label="Events" value={String(stats.events)} note="received" />
      </ul>

      <ExperimentLog
        entries={model.log.value}
        label="What happened to the stream, oldest first"
        empty="What the stream goes through appears here: opens, events, and the hop's cuts."
      />
    </section>
  );
}

/** The hop's idle limit and the stream's heartbeats; `change` applies a setting (and reopens a live stream with it). */
function HopSettings({ model, change }: { model: IdleHopModel; change: (apply: () => void) => void }) {
  const ids = useId();
  return (
    <>
      <div class="widget-field">
        <label for={`${ids}-idle`}>Hop's idle limit</label>
        <select
          id={`${ids}-idle`}
          class="widget-input widget-select"
          value={String(model.idleMs.value)}
          onChange={(event) => change(() => (model.idleMs.value = Number(event.currentTarget.value)))}
        >
          <DurationOptions choices={IDLE_LIMIT_CHOICES} />
        </select>
        <p class="widget-hint">
          The hop cuts a connection that carries no byte for this long (nginx and AWS load balancers: 60 s by default).
        </p>
      </div>
      <div class="widget-field">
        <label class="widget-check">
          <input
            type="checkbox"
            checked={model.heartbeats.value}
            onChange={(event) => change(() => (model.heartbeats.value = event.currentTarget.checked))}
          />
          Heartbeats
        </label>
        <div class="widget-row">
          <label for={`${ids}-beat`} class="widget-hint">
            Heartbeat every
          </label>
          <select
            id={`${ids}-beat`}
            class="widget-input widget-select"
            value={String(model.heartbeatMs.value)}
            disabled={!model.heartbeats.value}
            onChange={(event) => change(() => (model.heartbeatMs.value = Number(event.currentTarget.value)))}
          >
            <DurationOptions choices={HEARTBEAT_CHOICES} />
          </select>
        </div>
        <p class="widget-hint">
          A <code>: heartbeat</code> comment, 13 bytes the browser ignores. Off: the stream asks for one every 60 s, too late for any limit
          here.
        </p>
      </div>
    </>
  );
}

/** Open or close the stream, publish an event, and the stream's state. */
function StreamButtons({ model, live }: { model: IdleHopModel; live: boolean }) {
  const state = model.state.value;
  return (
    <div class="widget-row widget-wide">
      {live ? (
        <button type="button" class="widget-button" onClick={() => model.close()}>
          Close the stream
        </button>
      ) : (
        <button type="button" class="widget-button widget-primary" onClick={() => model.open()}>
          Open stream through the hop
        </button>
      )}
      <button type="button" class="widget-button" disabled={!live} onClick={() => void model.publish()}>
        Publish an event
      </button>
      <span class={`widget-badge prod-state-${state}`}>
        <span class="widget-dot" aria-hidden="true" />
        {STATE_LABELS[state]}
      </span>
    </div>
  );
}

function SilenceMeter({ model }: { model: IdleHopModel }) {
  const lastByteAt = model.lastByteAt.value;
  const now = useNow(lastByteAt !== null, 100, model.clock);
  const limit = model.idleMs.value;
  const silent = lastByteAt === null ? 0 : Math.max(0, now - lastByteAt);
  const share = Math.min(1, silent / limit);
  return (
    <div class="prod-meter" data-level={share > 0.7 ? 'high' : 'low'}>
      <p class="widget-summary">
        Silence on the connection:{' '}
        <span class="widget-mono">{lastByteAt === null ? '–' : `${formatOffset(silent)} of ${formatMs(limit)}`}</span>
      </p>
      <div
        class="widget-bar"
        role="meter"
        aria-label="Silence so far, against the hop's idle limit"
        aria-valuemin={0}
        aria-valuemax={limit}
        aria-valuenow={Math.round(silent)}
      >
        <div class="widget-bar-fill" style={{ width: `${share * 100}%` }} />
      </div>
    </div>
  );
}
