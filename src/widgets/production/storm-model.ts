import { batch, computed, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import {
  flattenedTheStorm,
  stormsComparable,
  STORM_EXERCISE,
  PRODUCTION_EVENTS,
  STORM_LIMITS,
  STORM_STRATEGIES,
  STORM_STRATEGY_LABELS,
  peakOf,
  type StormBin,
  type StormDone,
  type StormStrategy,
} from '../../protocol/production.ts';
import { formatMs } from '../shared/format.ts';
import { placeInBin } from './bins.ts';
import type { ProductionClient } from './client.ts';
import { ExperimentFeed } from './experiment-feed.ts';
import { createHeldExperiment } from './held-experiment.ts';

/**
 * The reconnect storm widget's state, with no DOM and no JSX: node:test
 * drives it with a fake client. One storm at a time; the last run of each
 * strategy is kept, so the chart can overlay them.
 */

/** Fleet sizes the reader can choose. */
export const CLIENT_CHOICES = [10, 25, 50, 100, 200] as const;

/** The lesson's exercise, checked by this widget. */

/** One storm as the widget saw it: live while it runs, complete after `storm-done`. */
export interface StormRun {
  storm: string;
  strategy: StormStrategy;
  clients: number;
  /** Attempts per 100 ms bin, from the restart. */
  bins: number[];
  /** Clients connected at the end of the last bin received. */
  connected: number;
  done: boolean;
  peak: number;
  attempts: number;
  /** From the restart until the last client was back (null while running, or if some never came back). */
  allBackMs: number | null;
  aborted?: string;
}

export type StormPhase = 'idle' | 'starting' | 'running';

export interface StormExerciseCheck {
  none?: StormRun;
  jitter?: StormRun;
  /** Both ran, with the same fleet of at least `minClients`. */
  comparable: boolean;
  /** …and full jitter's peak is at most a third of no backoff's. */
  met: boolean;
}

export interface StormModel {
  /** The widget's channel (set after mount). */
  readonly channel: Signal<string>;
  readonly clients: Signal<number>;
  readonly strategy: Signal<StormStrategy>;
  readonly phase: ReadonlySignal<StormPhase>;
  readonly status: ReadonlySignal<string>;
  readonly error: ReadonlySignal<string | null>;
  /** The last run of each strategy. */
  readonly runs: ReadonlySignal<Partial<Record<StormStrategy, StormRun>>>;
  readonly exercise: ReadonlySignal<StormExerciseCheck>;
  /** When the server's experiment slots may free up (its `Retry-After`), or null. */
  readonly retryAt: ReadonlySignal<number | null>;
  /** Starts a storm with the chosen fleet and strategy. */
  restart(): Promise<void>;
  /** The page is going away (`pagehide`): stop our storm on the server. */
  leave(): void;
  dispose(): void;
}

export function createStormModel(client: ProductionClient): StormModel {
  const channel = signal('');
  const clients = signal<number>(STORM_LIMITS.defaultClients);
  const strategy = signal<StormStrategy>('none');
  const phase = signal<StormPhase>('idle');
  const status = signal('Pick a fleet and a strategy, then restart the fleet.');
  const error = signal<string | null>(null);
  const runs = signal<Partial<Record<StormStrategy, StormRun>>>({});
  const feed = new ExperimentFeed(client);
  const held = createHeldExperiment(client);
  /** The storm this widget started and follows; events of any other are ignored. */
  let current: string | undefined;
  /** Events that came before the answer to the POST said which storm is ours. */
  let early: { type: string; data: StormBin | StormDone }[] = [];
  let disposed = false;

  const exercise = computed(() => gradeStorms(runs.value));

  function update(strategyOfRun: StormStrategy, change: (run: StormRun) => StormRun): void {
    const run = runs.value[strategyOfRun];
    if (run) runs.value = { ...runs.value, [strategyOfRun]: change(run) };
  }

  function onBin(bin: StormBin): void {
    if (current === undefined) return void early.push({ type: PRODUCTION_EVENTS.stormBin, data: bin });
    if (bin.storm !== current) return;
    update(bin.strategy, (run) => {
      const bins = placeInBin(run.bins, bin.bin, bin.attempts);
      return { ...run, bins, connected: bin.connected, ...peakAndTotal(bins) };
    });
    const run = runs.value[bin.strategy];
    if (run && !run.done) {
      status.value = `${STORM_STRATEGY_LABELS[run.strategy]}: ${run.connected} of ${run.clients} clients back after ${formatMs((bin.bin + 1) * STORM_LIMITS.binMs)}; ${run.attempts} attempts so far.`;
    }
  }

  function onDone(done: StormDone): void {
    if (current === undefined) return void early.push({ type: PRODUCTION_EVENTS.stormDone, data: done });
    if (done.storm !== current) return;
    current = undefined;
    held.done();
    feed.close();
    batch(() => {
      update(done.strategy, (run) => ({
        ...run,
        bins: done.bins,
        peak: done.peak,
        attempts: done.attempts,
        connected: done.back,
        allBackMs: done.allBackMs,
        done: true,
        ...(done.aborted === undefined ? {} : { aborted: done.aborted }),
      }));
      phase.value = 'idle';
      status.value = describeStormDone(done);
    });
  }

  async function restart(): Promise<void> {
    if (phase.value !== 'idle' || !channel.value) return;
    const chosen = strategy.value;
    const size = clients.value;
    batch(() => {
      phase.value = 'starting';
      error.value = null;
      status.value = `Connecting ${size} clients…`;
    });
    current = undefined;
    early = [];
    try {
      // Follow the results first: the storm publishes its first bin within a second.
      await feed.follow(channel.value, {
        [PRODUCTION_EVENTS.stormBin]: (data) => onBin(data as StormBin),
        [PRODUCTION_EVENTS.stormDone]: (data) => onDone(data as StormDone),
      });
      const started = await client.startStorm({ channel: channel.value, clients: size, strategy: chosen });
      held.hold(started.id);
      if (disposed) return;
      batch(() => {
        runs.value = { ...runs.value, [chosen]: newRun(started.id, chosen, size) };
        phase.value = 'running';
        status.value = `${size} clients connected; the server restarts and refuses everyone for ${formatMs(started.outageMs)}…`;
      });
      current = started.id;
      for (const { type, data } of early.splice(0)) {
        if (type === PRODUCTION_EVENTS.stormBin) onBin(data as StormBin);
        else onDone(data as StormDone);
      }
    } catch (failure) {
      feed.close();
      batch(() => {
        phase.value = 'idle';
        error.value = held.refused(failure);
        status.value = 'The storm did not start.';
      });
    }
  }

  return {
    channel,
    clients,
    strategy,
    phase,
    status,
    error,
    runs,
    exercise,
    retryAt: held.retryAt,
    restart,
    leave: held.leave,
    dispose() {
      disposed = true;
      feed.close();
    },
  };
}

/** The exercise: full jitter's peak at most a third of no backoff's, on the same fleet of {@link STORM_EXERCISE}.minClients or more. */
function gradeStorms(runs: Partial<Record<StormStrategy, StormRun>>): StormExerciseCheck {
  const none = runs.none;
  const jitter = runs['full-jitter'];
  const comparable = none?.done === true && jitter?.done === true && stormsComparable(none, jitter);
  return { none, jitter, comparable, met: comparable && flattenedTheStorm(none, jitter) };
}

/** A storm just started: no bin yet. */
function newRun(storm: string, strategy: StormStrategy, clients: number): StormRun {
  return { storm, strategy, clients, bins: [], connected: 0, done: false, peak: 0, attempts: 0, allBackMs: null };
}

/** How a storm ended, e.g. "Full jitter: peak of 20 attempts in one 100 ms, 285 in all; every client back after 9.1 s." */
function describeStormDone(done: StormDone): string {
  if (done.aborted) return `The storm stopped early: ${done.aborted}.`;
  const back =
    done.allBackMs === null
      ? `${done.back} of ${done.clients} clients back when the storm ended.`
      : `every client back after ${formatMs(done.allBackMs)}.`;
  return `${STORM_STRATEGY_LABELS[done.strategy]}: peak of ${done.peak} attempts in one 100 ms, ${done.attempts} in all; ${back}`;
}

function peakAndTotal(bins: number[]): { peak: number; attempts: number } {
  return { peak: peakOf(bins).peak, attempts: bins.reduce((sum, count) => sum + count, 0) };
}

/** The strategies in the order the widget lists them. */
export const STRATEGIES = STORM_STRATEGIES;
