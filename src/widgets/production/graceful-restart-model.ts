import { batch, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import { DRAIN_LIMITS, PRODUCTION_EVENTS, type DrainBin, type DrainDone } from '../../protocol/production.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { formatMs, plural } from '../shared/format.ts';
import { placeInBin } from './bins.ts';
import type { ProductionClient } from './client.ts';
import { createDrillClients, type ClientKind, type OwnClient } from './drill-clients.ts';
import { createHeldExperiment } from './held-experiment.ts';

/**
 * The graceful-restart widget's state, with no DOM and no JSX. The page keeps
 * three clients on its channel (drill-clients.ts) — an EventSource, a
 * WebSocket and a long-poll loop — and the server adds a fleet of simulated
 * EventSource clients. The drill drains the channel: each client is told, in
 * its technique's words, to come back later; the server counts the fleet's
 * reconnects per 100 ms.
 */

export type DrillMode = 'same' | 'spread';

export const FLEET_CHOICES = [0, 50, 100, 200] as const;
export const RETRY_CHOICES = [1_000, 2_000, 5_000] as const;
/** "Spread each stream's retry": up to this much more per stream. */
export const SPREAD_MS = 3_000;
/** The clients must be open within this time before a drill starts. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface DrillRun {
  drain: string;
  mode: DrillMode;
  fleet: number;
  retryMs: number;
  spreadMs: number;
  bins: number[];
  back: number;
  done?: DrainDone;
}

export type DrillPhase = 'idle' | 'connecting' | 'draining';

export interface GracefulRestartModel {
  readonly channel: Signal<string>;
  readonly fleet: Signal<number>;
  readonly retryMs: Signal<number>;
  readonly spread: Signal<boolean>;
  readonly phase: ReadonlySignal<DrillPhase>;
  readonly clients: ReadonlySignal<Record<ClientKind, OwnClient>>;
  readonly runs: ReadonlySignal<Partial<Record<DrillMode, DrillRun>>>;
  readonly status: ReadonlySignal<string>;
  readonly error: ReadonlySignal<string | null>;
  /** When the server's experiment slots may free up (its `Retry-After`), or null. */
  readonly retryAt: ReadonlySignal<number | null>;
  /** The page is going away (`pagehide`): stop our drill on the server. */
  leave(): void;
  /** Connects the page's clients (if needed), then drains the channel. */
  drain(): Promise<void>;
  /** Closes the page's three clients. */
  disconnect(): void;
  dispose(): void;
}

export interface GracefulRestartOptions {
  client: ProductionClient;
  clock?: Clock;
  random?: () => number;
}

export function createGracefulRestartModel(options: GracefulRestartOptions): GracefulRestartModel {
  const { client } = options;
  const clock = options.clock ?? systemClock;
  const channel = signal('');
  const fleet = signal<number>(DRAIN_LIMITS.defaultFleet);
  const retryMs = signal<number>(DRAIN_LIMITS.defaultRetryMs);
  const spread = signal(false);
  const phase = signal<DrillPhase>('idle');
  const runs = signal<Partial<Record<DrillMode, DrillRun>>>({});
  const status = signal('Drain the channel: its clients are told to come back later.');
  const error = signal<string | null>(null);
  const held = createHeldExperiment(client, clock);
  const own = createDrillClients({
    client,
    clock,
    random: options.random ?? Math.random,
    channel: () => channel.value,
    onDrillEvent,
    onError: (message) => {
      error.value = message;
    },
  });
  /** The drill this widget started, and its mode. */
  let current: { drain: string | undefined; mode: DrillMode } | undefined;
  /** Events that arrived before the POST's answer named the drill. */
  let early: { type: string; data: { drain: string } }[] = [];

  async function waitUntilOpen(): Promise<void> {
    const deadline = clock.now() + CONNECT_TIMEOUT_MS;
    while (!own.allOpen()) {
      if (clock.now() > deadline) throw new Error('The page’s clients did not all connect; is the server reachable?');
      await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 50));
    }
  }

  function onDrillEvent(type: string, data: { drain: string }): void {
    if (!current) return;
    if (current.drain === undefined) {
      early.push({ type, data });
      return;
    }
    if (data.drain !== current.drain) return;
    const mode = current.mode;
    const run = runs.value[mode];
    if (!run) return;
    if (type === PRODUCTION_EVENTS.drainBin) {
      const bin = data as DrainBin;
      runs.value = { ...runs.value, [mode]: { ...run, bins: placeInBin(run.bins, bin.bin, bin.reconnects), back: bin.back } };
      status.value = `${bin.back} of ${run.fleet} simulated clients back after ${formatMs((bin.bin + 1) * DRAIN_LIMITS.binMs)}.`;
    } else if (type === PRODUCTION_EVENTS.drainDone) {
      const done = data as DrainDone;
      current = undefined;
      held.done();
      batch(() => {
        runs.value = { ...runs.value, [mode]: { ...run, bins: done.bins, back: done.back, done } };
        phase.value = 'idle';
        status.value = describeDrainDone(done);
      });
    }
  }

  async function drain(): Promise<void> {
    if (phase.value !== 'idle' || !channel.value) return;
    const mode: DrillMode = spread.value ? 'spread' : 'same';
    const settings = { fleet: fleet.value, retryMs: retryMs.value, spreadMs: spread.value ? SPREAD_MS : 0 };
    batch(() => {
      phase.value = 'connecting';
      error.value = null;
      status.value = 'Connecting the page’s EventSource, WebSocket and long poll…';
    });
    try {
      own.connect();
      await waitUntilOpen();
      own.tellRetry(settings.retryMs, settings.spreadMs);
      current = { drain: undefined, mode };
      early = [];
      batch(() => {
        phase.value = 'draining';
        status.value =
          settings.fleet > 0 ? `Connecting ${settings.fleet} simulated EventSource clients, then draining…` : 'Draining the channel…';
      });
      const started = await client.startDrain({ channel: channel.value, ...settings });
      held.hold(started.id);
      runs.value = { ...runs.value, [mode]: { drain: started.id, mode, ...settings, bins: [], back: 0 } };
      current = { drain: started.id, mode };
      for (const { type, data } of early.splice(0)) onDrillEvent(type, data);
    } catch (failure) {
      current = undefined;
      batch(() => {
        phase.value = 'idle';
        error.value = held.refused(failure);
        status.value = 'The drill did not start.';
      });
    }
  }

  return {
    channel,
    fleet,
    retryMs,
    spread,
    phase,
    clients: own.clients,
    runs,
    status,
    error,
    retryAt: held.retryAt,
    leave: held.leave,
    drain,
    disconnect: own.disconnect,
    dispose: own.disconnect,
  };
}

/** The drill's outcome, e.g. "Drained 101 SSE streams, 1 WebSocket and 1 long poll. Peak: 60 reconnects in one 100 ms; all 100 back after 2.3 s." */
function describeDrainDone(done: DrainDone): string {
  if (done.aborted) return `The drill stopped early: ${done.aborted}.`;
  const drained = `Drained ${plural(done.drained.sse, 'SSE stream')}, ${plural(done.drained.webSockets, 'WebSocket')} and ${plural(done.drained.longPolls, 'long poll')}. `;
  if (done.fleet === 0) return drained;
  const back =
    done.allBackMs === null ? `${done.back} of ${done.fleet} back.` : `all ${done.fleet} back after ${formatMs(done.allBackMs)}.`;
  return `${drained}Peak: ${done.peak} reconnects in one 100 ms; ${back}`;
}
