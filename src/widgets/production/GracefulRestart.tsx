import { useEffect, useId, useMemo, useState } from 'preact/hooks';
import { DRAIN_LIMITS } from '../../protocol/production.ts';
import { formatMs } from '../shared/format.ts';
import { DurationOptions } from '../shared/DurationOptions.tsx';
import { productionChannel } from './channel.ts';
import { createProductionClient } from './client.ts';
import { CLIENT_LABELS, type ClientKind, type OwnClient } from './drill-clients.ts';
import {
  FLEET_CHOICES,
  RETRY_CHOICES,
  SPREAD_MS,
  createGracefulRestartModel,
  type DrillMode,
  type DrillRun,
} from './graceful-restart-model.ts';
import { type ChartSeries, TimeChart } from '../shared/TimeChart.tsx';
import { useHydrated } from '../../islands/use-hydrated.ts';
import { ControlsNote, useLeaveOnPageHide, useSecondsUntil } from './ControlsNote.tsx';
import { StatusLines } from '../shared/StatusLines.tsx';
import '../../styles/widget.css';
import './production.css';

const MODES: readonly DrillMode[] = ['same', 'spread'];
const MODE_LABELS: Record<DrillMode, string> = {
  same: 'Same retry for every stream',
  spread: `Retry spread per stream (+0–${SPREAD_MS / 1000} s)`,
};
const MODE_COLORS: Record<DrillMode, string> = { same: '--warn', spread: '--ok' };
const KINDS: readonly ClientKind[] = ['sse', 'websocket', 'long-poll'];
const STATE_WORDS: Record<OwnClient['state'], string> = {
  off: 'not connected',
  connecting: 'connecting…',
  open: 'connected',
  waiting: 'waiting to come back',
};

/**
 * Lesson 7's graceful restart, for one channel: the page's own EventSource,
 * WebSocket and long poll, plus a fleet of simulated EventSource clients on
 * the server, are told to come back later (SSE `retry:` then the end of the
 * stream, WebSocket 1012, long poll 503 with `Retry-After`); the chart shows
 * the fleet's reconnects per 100 ms. Renders only: state in graceful-restart-model.ts.
 * Used from MDX as `<GracefulRestart client:reachable />`.
 */
export default function GracefulRestart({ baseUrl }: { baseUrl?: string }) {
  const hydrated = useHydrated();
  const [model] = useState(() => createGracefulRestartModel({ client: createProductionClient({ baseUrl }) }));
  const ids = useId();

  useEffect(() => {
    model.channel.value = productionChannel('graceful-restart');
    return () => model.dispose();
  }, [model]);
  useLeaveOnPageHide(model.leave);
  const secondsUntilFree = useSecondsUntil(model.retryAt.value);

  const phase = model.phase.value;
  const busy = phase !== 'idle';
  const clients = model.clients.value;
  const connected = KINDS.some((kind) => clients[kind].state !== 'off');

  return (
    <section class="widget prod" data-widget="graceful-restart" data-phase={phase} aria-label="Graceful restart of one channel">
      <fieldset class="widget-controls">
        <legend class="visually-hidden">Drill settings</legend>
        <div class="widget-field">
          <label for={`${ids}-fleet`}>Simulated EventSource clients</label>
          <select
            id={`${ids}-fleet`}
            class="widget-input widget-select"
            value={String(model.fleet.value)}
            disabled={busy}
            onChange={(event) => (model.fleet.value = Number(event.currentTarget.value))}
          >
            {FLEET_CHOICES.map((count) => (
              <option key={count} value={String(count)}>
                {count}
              </option>
            ))}
          </select>
          <p class="widget-hint">Readers the server adds to the channel, each behaving as EventSource does.</p>
        </div>
        <div class="widget-field">
          <label for={`${ids}-retry`}>Come back after (retry)</label>
          <select
            id={`${ids}-retry`}
            class="widget-input widget-select"
            value={String(model.retryMs.value)}
            disabled={busy}
            onChange={(event) => (model.retryMs.value = Number(event.currentTarget.value))}
          >
            <DurationOptions choices={RETRY_CHOICES} />
          </select>
          <label class="widget-check">
            <input
              type="checkbox"
              checked={model.spread.value}
              disabled={busy}
              onChange={(event) => (model.spread.value = event.currentTarget.checked)}
            />
            Spread each stream's retry
          </label>
          <p class="widget-hint">
            Each stream then gets its own <code>retry:</code>, up to {SPREAD_MS / 1000} s more.
          </p>
        </div>
        <div class="widget-row widget-wide">
          <button
            type="button"
            class="widget-button widget-primary"
            disabled={busy || secondsUntilFree > 0}
            onClick={() => void model.drain()}
          >
            Drain this channel
          </button>
          <button type="button" class="widget-button" disabled={busy || !connected} onClick={() => model.disconnect()}>
            Disconnect the page's clients
          </button>
        </div>
      </fieldset>
      <ControlsNote
        hydrated={hydrated}
        busy={
          busy
            ? `The controls are locked while the drill runs; they free up when its fleet is back (${DRAIN_LIMITS.maxRecordMs / 1000} s at most).`
            : !connected
              ? 'Nothing to disconnect yet: the page’s three clients connect when you drain the channel.'
              : null
        }
        secondsUntilFree={secondsUntilFree}
      />

      <StatusLines status={model.status.value} error={model.error.value} />

      <OwnClients clients={clients} />
      <DrillChart runs={model.runs.value} />
    </section>
  );
}

function OwnClients({ clients }: { clients: Record<ClientKind, OwnClient> }) {
  return (
    <section class="prod-clients" aria-label="This page's clients of the channel">
      <p class="widget-summary prod-caption">This page's clients of the channel</p>
      <ul class="prod-client-list">
        {KINDS.map((kind) => {
          const own = clients[kind];
          return (
            <li key={kind} class="prod-client" data-client={kind} data-state={own.state}>
              <p class="prod-client-head">
                <strong>{CLIENT_LABELS[kind]}</strong>
                <span class={`widget-badge prod-state-${own.state === 'open' ? 'open' : own.state === 'waiting' ? 'waiting' : 'closed'}`}>
                  <span class="widget-dot" aria-hidden="true" />
                  {STATE_WORDS[own.state]}
                </span>
                <span class="widget-hint" data-away={own.backAfterMs ?? ''}>
                  {own.backAfterMs === null ? '' : `away for ${formatMs(own.backAfterMs)}`}
                </span>
              </p>
              <p class="widget-hint" data-told>
                {own.told === null ? 'Told nothing yet.' : `Told: ${own.told}`}
              </p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function DrillChart({ runs }: { runs: Partial<Record<DrillMode, DrillRun>> }) {
  const { xs, series } = useMemo(() => {
    const shown = MODES.flatMap((mode) => (runs[mode] && runs[mode]!.fleet > 0 ? [runs[mode]!] : []));
    const length = Math.max(30, ...shown.map((run) => run.bins.length));
    const xs = Array.from({ length }, (_, bin) => (bin * DRAIN_LIMITS.binMs) / 1000);
    const series: ChartSeries[] = shown.map((run) => ({
      label: MODE_LABELS[run.mode],
      colorVar: MODE_COLORS[run.mode],
      stepped: true,
      values: xs.map((_, bin) => (bin < run.bins.length ? run.bins[bin]! : null)),
    }));
    return { xs, series };
  }, [runs]);

  return (
    <>
      {series.length === 0 ? (
        <p class="widget-empty">With simulated clients, the chart of their reconnects per 100 ms after the drain appears here.</p>
      ) : (
        <figure class="prod-figure">
          <TimeChart
            class="prod-chart"
            label="Reconnects of the simulated clients per 100 ms after the drain, one line per way of setting retry; the table gives each peak."
            xs={xs}
            series={series}
            xLabel="seconds since the drain"
            yLabel="reconnects per 100 ms"
            minYMax={5}
          />
        </figure>
      )}
      <div class="prod-table-wrap">
        <table class="prod-table">
          <caption class="visually-hidden">
            The last drill of each kind: its peak (the most reconnects in one 100 ms) and when the last simulated client was back
          </caption>
          <thead>
            <tr>
              <th scope="col">Drill</th>
              <th scope="col">Clients</th>
              <th scope="col">
                Peak<span class="visually-hidden"> reconnects per 100 ms</span>
              </th>
              <th scope="col">All back</th>
            </tr>
          </thead>
          <tbody>
            {MODES.map((mode) => {
              const run = runs[mode];
              return (
                <tr key={mode} data-mode={mode} data-done={run?.done ? 'true' : 'false'}>
                  <th scope="row">
                    <span class="widget-key" style={{ background: `var(${MODE_COLORS[mode]})` }} aria-hidden="true" />
                    {MODE_LABELS[mode]}
                  </th>
                  <td class="widget-mono">{run ? run.fleet : '–'}</td>
                  <td class="widget-mono" data-peak={run?.done ? String(run.done.peak) : ''}>
                    {run?.done ? run.done.peak : run ? '…' : '–'}
                  </td>
                  <td class="widget-mono">
                    {!run?.done
                      ? run
                        ? 'running…'
                        : '–'
                      : run.done.allBackMs === null
                        ? `${run.done.back} of ${run.fleet}`
                        : formatMs(run.done.allBackMs)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
