import { useEffect, useId, useMemo, useState } from 'preact/hooks';
import { markExerciseDone } from '../../progress/local-progress.ts';
import { useProgress } from '../../progress/use-progress.ts';
import { STORM_LIMITS, STORM_STRATEGY_LABELS, type StormStrategy } from '../../protocol/production.ts';
import { ExerciseBox } from '../shared/ExerciseBox.tsx';
import { ExerciseCheckItem } from '../shared/ExerciseCheckItem.tsx';
import { formatMs } from '../shared/format.ts';
import { productionChannel } from './channel.ts';
import { createProductionClient } from './client.ts';
import { STORM_EXERCISE } from '../../protocol/production.ts';
import { CLIENT_CHOICES, STRATEGIES, createStormModel, type StormExerciseCheck, type StormRun } from './storm-model.ts';
import { type ChartSeries, TimeChart } from '../shared/TimeChart.tsx';
import { useHydrated } from '../../islands/use-hydrated.ts';
import { ControlsNote, useLeaveOnPageHide, useSecondsUntil } from './ControlsNote.tsx';
import { StatusLines } from '../shared/StatusLines.tsx';
import '../../styles/widget.css';
import './production.css';

/** The theme color of each strategy's line and key. */
export const STRATEGY_COLORS: Record<StormStrategy, string> = {
  none: '--err',
  exponential: '--warn',
  'full-jitter': '--ok',
};

const STRATEGY_NOTES: Record<StormStrategy, string> = {
  none: 'reconnect at once; on failure, at once again',
  exponential: `wait 1 s, 2 s, 4 s… (cap ${STORM_LIMITS.backoff.capMs / 1000} s), the same for every client`,
  'full-jitter': 'wait a random time below that same ceiling',
};

/**
 * Lesson 7's reconnect storm: a fleet of real clients inside the server holds
 * connections to it; "Restart the fleet" restarts the server side (every
 * connection ends, and every attempt is refused for 2 s), and the chart shows
 * the reconnect attempts the server saw per 100 ms, one line per strategy.
 * Renders only: state in storm-model.ts. Used from MDX as `<StormSimulator client:reachable />`.
 */
export default function StormSimulator({ baseUrl }: { baseUrl?: string }) {
  const hydrated = useHydrated();
  const [model] = useState(() => createStormModel(createProductionClient({ baseUrl })));
  const progress = useProgress();
  const ids = useId();

  useEffect(() => {
    model.channel.value = productionChannel('storm');
    return () => model.dispose();
  }, [model]);
  useLeaveOnPageHide(model.leave);
  const secondsUntilFree = useSecondsUntil(model.retryAt.value);

  const exercise = model.exercise.value;
  const doneBefore = progress.lessons[STORM_EXERCISE.lesson]?.exercises?.[STORM_EXERCISE.id] !== undefined;
  useEffect(() => {
    if (exercise.met && !doneBefore) markExerciseDone(STORM_EXERCISE.lesson, STORM_EXERCISE.id);
  }, [exercise.met, doneBefore]);

  const runs = model.runs.value;
  const phase = model.phase.value;
  const busy = phase !== 'idle';
  const busyNote = busy
    ? `The controls are locked while this storm runs; they free up when its last client is back (${STORM_LIMITS.maxRecordMs / 1000} s at most).`
    : null;

  return (
    <section class="widget prod" data-widget="reconnect-storm" data-phase={phase} aria-label="Reconnect storm simulator">
      <fieldset class="widget-controls">
        <legend class="visually-hidden">Storm controls</legend>
        <div class="widget-field">
          <label for={`${ids}-clients`}>Clients</label>
          <select
            id={`${ids}-clients`}
            class="widget-input widget-select"
            value={String(model.clients.value)}
            disabled={busy}
            onChange={(event) => (model.clients.value = Number(event.currentTarget.value))}
          >
            {CLIENT_CHOICES.map((count) => (
              <option key={count} value={String(count)}>
                {count}
              </option>
            ))}
          </select>
          <p class="widget-hint">
            Real HTTP clients inside the server, each holding a connection to it (at most {STORM_LIMITS.maxClients}).
          </p>
        </div>
        <fieldset class="widget-field widget-radios" disabled={busy}>
          <legend>Reconnect strategy</legend>
          {STRATEGIES.map((strategy) => (
            <label key={strategy} class="widget-check widget-radio">
              <input
                type="radio"
                name={`${ids}-strategy`}
                value={strategy}
                checked={model.strategy.value === strategy}
                onChange={() => (model.strategy.value = strategy)}
              />
              <span>
                <span class="widget-key" style={{ background: `var(${STRATEGY_COLORS[strategy]})` }} aria-hidden="true" />
                {STORM_STRATEGY_LABELS[strategy]}
                <span class="widget-hint prod-radio-note"> — {STRATEGY_NOTES[strategy]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div class="widget-row widget-wide">
          <button
            type="button"
            class="widget-button widget-primary"
            disabled={busy || secondsUntilFree > 0}
            onClick={() => void model.restart()}
          >
            Restart the fleet
          </button>
        </div>
      </fieldset>
      <ControlsNote hydrated={hydrated} busy={busyNote} secondsUntilFree={secondsUntilFree} />

      <StatusLines status={model.status.value} error={model.error.value} />

      <StormChart runs={runs} />
      <StormTable runs={runs} />
      <p class="widget-hint">
        Peak: the most attempts the server saw in one 100 ms. All back: from the restart until the last client was connected again.
      </p>
      <StormExercise check={exercise} done={exercise.met || doneBefore} />
    </section>
  );
}

function StormChart({ runs }: { runs: Partial<Record<StormStrategy, StormRun>> }) {
  const { xs, series } = useMemo(() => {
    const shown = STRATEGIES.flatMap((strategy) => (runs[strategy] ? [runs[strategy]!] : []));
    const length = Math.max(20, ...shown.map((run) => run.bins.length));
    const xs = Array.from({ length }, (_, bin) => (bin * STORM_LIMITS.binMs) / 1000);
    const series: ChartSeries[] = shown.map((run) => ({
      label: STORM_STRATEGY_LABELS[run.strategy],
      colorVar: STRATEGY_COLORS[run.strategy],
      stepped: true,
      values: xs.map((_, bin) => (bin < run.bins.length ? run.bins[bin]! : null)),
    }));
    return { xs, series };
  }, [runs]);

  if (series.length === 0) {
    return <p class="widget-empty">The chart of reconnect attempts per 100 ms appears here once the fleet restarts.</p>;
  }
  return (
    <figure class="prod-figure">
      <TimeChart
        class="prod-chart"
        label="Reconnect attempts the server saw per 100 ms after the restart, one line per strategy; the table below gives each peak."
        xs={xs}
        series={series}
        xLabel="seconds since the restart"
        yLabel="attempts per 100 ms"
        band={{ from: 0, to: STORM_LIMITS.outageMs / 1000, label: 'outage: every attempt refused' }}
        minYMax={10}
      />
      <figcaption class="widget-hint">
        Reconnect attempts reaching the server per 100 ms (each one a new TCP connection and an HTTP request), counted by the server.
      </figcaption>
    </figure>
  );
}

function StormTable({ runs }: { runs: Partial<Record<StormStrategy, StormRun>> }) {
  return (
    <div class="prod-table-wrap">
      <table class="prod-table">
        <caption class="visually-hidden">
          The last storm of each strategy: its peak (the most attempts in one 100 ms), all attempts, and when the last client was back
        </caption>
        <thead>
          <tr>
            <th scope="col">Strategy</th>
            <th scope="col">Clients</th>
            <th scope="col">
              Peak<span class="visually-hidden"> attempts per 100 ms</span>
            </th>
            <th scope="col">Attempts</th>
            <th scope="col">All back</th>
          </tr>
        </thead>
        <tbody>
          {STRATEGIES.map((strategy) => {
            const run = runs[strategy];
            return (
              <tr key={strategy} data-strategy={strategy} data-done={run?.done ? 'true' : 'false'}>
                <th scope="row">
                  <span class="widget-key" style={{ background: `var(${STRATEGY_COLORS[strategy]})` }} aria-hidden="true" />
                  {STORM_STRATEGY_LABELS[strategy]}
                </th>
                <td class="widget-mono">{run ? run.clients : '–'}</td>
                <td class="widget-mono" data-peak={run ? String(run.peak) : ''}>
                  {run ? run.peak : '–'}
                </td>
                <td class="widget-mono">{run ? run.attempts : '–'}</td>
                <td class="widget-mono">
                  {!run
                    ? '–'
                    : !run.done
                      ? 'running…'
                      : run.allBackMs === null
                        ? `${run.connected} of ${run.clients} back`
                        : formatMs(run.allBackMs)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function StormExercise({ check, done }: { check: StormExerciseCheck; done: boolean }) {
  const { none, jitter } = check;
  const sameFleet = none?.done && jitter?.done && none.clients === jitter.clients;
  return (
    <ExerciseBox title="flatten the storm" done={done}>
      <p>
        <strong>Exercise: flatten the storm.</strong> With a fleet of at least {STORM_EXERCISE.minClients} clients, restart it once with no
        backoff and once with full jitter. You are done when full jitter's peak is at most a third of no backoff's.
      </p>
      <ul class="widget-checks">
        <ExerciseCheckItem state={sameFleet && none!.clients >= STORM_EXERCISE.minClients ? 'met' : 'pending'}>
          Both strategies ran with the same fleet of {STORM_EXERCISE.minClients} or more
          {none?.done || jitter?.done
            ? ` (no backoff: ${none?.done ? none.clients : '–'}, full jitter: ${jitter?.done ? jitter.clients : '–'})`
            : ''}
          .
        </ExerciseCheckItem>
        <ExerciseCheckItem state={check.met ? 'met' : check.comparable ? 'missed' : 'pending'}>
          Full jitter's peak ≤ ⅓ of no backoff's
          {check.comparable ? `: ${jitter!.peak} against ${none!.peak}` : ''}.
        </ExerciseCheckItem>
      </ul>
    </ExerciseBox>
  );
}
