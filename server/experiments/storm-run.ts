import type { ServerResponse } from 'node:http';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PRODUCTION_EVENTS, peakOf, type StormBin, type StormDone, type StormStrategy } from '../../src/protocol/production.ts';
import type { EventBus } from '../events/event-bus.ts';
import { sendProblem } from '../http/problem.ts';
import type { Logger } from '../logger.ts';
import { BinCounter } from './bin-counter.ts';
import { publishRunEvent, type ExperimentRun, type RunStart } from './experiment-runs.ts';
import { StormClient } from './storm-client.ts';
import { RunTimers } from './run-timers.ts';

/** What a storm needs from the server: shared by every storm. */
export interface StormContext {
  bus: EventBus;
  logger: Logger;
  limits: { outageMs: number; binMs: number; maxRecordMs: number; connectTimeoutMs: number };
  /** [0, 1) like Math.random, for the fleet's jitter. */
  random: (() => number) | undefined;
}

type Phase = 'gathering' | 'outage' | 'recovering' | 'done';

/**
 * One storm: its fleet connects to the storm's endpoint (`answer`); once all
 * are held, the "restart" ends them and refuses every attempt for `outageMs`;
 * the attempts are counted per bin and published on the reader's channel
 * until the whole fleet is back, or time is up.
 */
export class StormRun implements ExperimentRun {
  readonly id: string;
  readonly #context: StormContext;
  readonly channel: string;
  readonly strategy: StormStrategy;
  readonly size: number;
  readonly #release: () => void;
  readonly #clients: StormClient[] = [];
  /** Responses held open: the clients connected, as the server sees them. */
  readonly #held = new Set<ServerResponse>();
  #phase: Phase = 'gathering';
  #bins: BinCounter | undefined;
  readonly #accepted: number[] = [];
  #allBackMs: number | null = null;
  readonly #timers = new RunTimers();

  readonly #onDone: (done: StormDone) => void;

  /** `onDone` is told the result once the storm has ended (lesson 7's exercise is verified from it). */
  constructor(
    context: StormContext,
    { id, channel, target, release }: RunStart,
    strategy: StormStrategy,
    size: number,
    onDone: (done: StormDone) => void = () => {},
  ) {
    this.id = id;
    this.#context = context;
    this.channel = channel;
    this.strategy = strategy;
    this.size = size;
    this.#release = release;
    this.#onDone = onDone;
    const path = apiRoutes.stormConnect.path({ id: this.id });
    for (let index = 0; index < size; index += 1) {
      const client = new StormClient({
        target,
        path,
        strategy,
        random: context.random,
      });
      this.#clients.push(client);
    }
    this.#timers.after(context.limits.connectTimeoutMs, () => {
      if (this.#phase === 'gathering') this.finish(`only ${this.#held.size} of ${size} clients connected before the restart`);
    });
    for (const client of this.#clients) client.connect();
  }

  /** The connect endpoint, for this storm. */
  answer(response: ServerResponse): void {
    if (this.#phase === 'done') return refuseGone(response);
    if (this.#phase === 'gathering') {
      this.#hold(response);
      if (this.#held.size === this.size) this.#restart();
      return;
    }
    const bins = this.#bins!;
    bins.count();
    if (this.#phase === 'outage') {
      // No Retry-After on purpose: the experiment is about what clients do on their own.
      sendProblem(response, {
        status: 503,
        detail: 'Restarting: this instance is not ready yet.',
        headers: { Connection: 'close' },
      });
      return;
    }
    const bin = bins.currentBin();
    this.#accepted[bin] = (this.#accepted[bin] ?? 0) + 1;
    this.#hold(response);
    if (this.#held.size >= this.size && this.#allBackMs === null) {
      this.#allBackMs = Math.round(bins.elapsed());
      this.finish();
    }
  }

  #hold(response: ServerResponse): void {
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    response.flushHeaders();
    this.#held.add(response);
    response.once('close', () => this.#held.delete(response));
  }

  // #region restart
  /** The restart: every held connection ends at once, and attempts are refused for `outageMs`. */
  #restart(): void {
    const { limits } = this.#context;
    this.#phase = 'outage';
    this.#bins = new BinCounter(limits.binMs);
    for (const response of [...this.#held]) response.end();
    this.#held.clear();
    this.#timers.after(limits.outageMs, () => {
      if (this.#phase === 'outage') this.#phase = 'recovering';
    });
    this.#timers.every(limits.binMs, () => this.#publishClosedBins());
    this.#timers.after(limits.maxRecordMs, () => this.finish());
  }
  // #endregion restart

  #publishClosedBins(includeCurrent = false): void {
    const bins = this.#bins;
    if (!bins) return;
    for (const { bin, count } of bins.takeClosed(includeCurrent)) {
      const data: StormBin = {
        storm: this.id,
        strategy: this.strategy,
        bin,
        attempts: count,
        accepted: this.#accepted[bin] ?? 0,
        connected: this.#held.size,
      };
      this.#publish(PRODUCTION_EVENTS.stormBin, data);
    }
  }

  /** Ends the storm: the last bins and `storm-done` are published, the fleet stops, the slot is freed. */
  finish(aborted?: string): void {
    if (this.#phase === 'done') return;
    const wasRunning = this.#bins !== undefined;
    this.#phase = 'done';
    this.#timers.clear();
    this.#publishClosedBins(true);
    const result = this.#result(wasRunning, aborted);
    this.#publish(PRODUCTION_EVENTS.stormDone, result);
    this.#onDone(result);
    for (const client of this.#clients) client.stop();
    for (const response of [...this.#held]) response.end();
    this.#held.clear();
    this.#release();
  }

  /** `storm-done`: the whole curve, its peak, and how many clients came back. */
  #result(wasRunning: boolean, aborted: string | undefined): StormDone {
    const bins = this.#bins?.bins() ?? [];
    return {
      storm: this.id,
      strategy: this.strategy,
      clients: this.size,
      ...peakOf(bins),
      attempts: bins.reduce((sum, count) => sum + count, 0),
      bins,
      allBackMs: this.#allBackMs,
      back: wasRunning ? this.#held.size : 0,
      ...(aborted === undefined ? {} : { aborted }),
    };
  }

  #publish(type: string, data: unknown): void {
    publishRunEvent(this.#context.bus, this.#context.logger, this.channel, type, data);
  }
}

/** The connect endpoint's answer once a storm is over, or for an id that never ran. */
export function refuseGone(response: ServerResponse): void {
  sendProblem(response, { status: 404, detail: 'No storm is running with this id: it ended, or never existed.' });
}
