import {
  PRODUCTION_EVENTS,
  peakOf,
  type ChannelDrainResult,
  type DrainBin,
  type DrainDone,
  type DrainStarted,
} from '../../src/protocol/production.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { Logger } from '../logger.ts';
import { BinCounter } from './bin-counter.ts';
import type { ChannelDrainer } from './channel-drain.ts';
import { publishRunEvent, type ExperimentRun, type RunStart } from './experiment-runs.ts';
import { SseFleetReader } from './sse-fleet-reader.ts';
import { RunTimers } from './run-timers.ts';

/** The fleet must be connected within this time, or the drill drains whoever is there. */
export const GATHER_TIMEOUT_MS = 5_000;

/** What a drill needs from the server: shared by every drill. */
export interface DrainDrillContext {
  bus: EventBus;
  logger: Logger;
  drainer: ChannelDrainer;
  limits: { binMs: number; maxRecordMs: number };
}

/** What the reader asked for (`POST /api/production/drains`). */
export interface DrainSettings {
  fleet: number;
  retryMs: number;
  spreadMs: number;
}

/**
 * One drill: gathers its fleet of SSE readers, drains the channel, counts the
 * fleet's reconnects per bin until all are back (or time is up), and
 * publishes `drain-started`, the bins and `drain-done` on the reader's channel.
 */
export class DrainDrill implements ExperimentRun {
  readonly id: string;
  readonly #context: DrainDrillContext;
  readonly #channel: string;
  readonly #fleet: number;
  readonly #retryMs: number;
  readonly #spreadMs: number;
  readonly #release: () => void;
  readonly #readers: SseFleetReader[] = [];
  readonly #timers = new RunTimers();
  #opened = 0;
  #back = 0;
  #bins: BinCounter | undefined;
  #drained: ChannelDrainResult | undefined;
  #allBackMs: number | null = null;
  #done = false;

  constructor(context: DrainDrillContext, { id, channel, target, release }: RunStart, settings: DrainSettings) {
    this.id = id;
    this.#context = context;
    this.#channel = channel;
    this.#fleet = settings.fleet;
    this.#retryMs = settings.retryMs;
    this.#spreadMs = settings.spreadMs;
    this.#release = release;
    for (let index = 0; index < this.#fleet; index += 1) {
      this.#readers.push(new SseFleetReader({ target, channel, onOpen: (reconnect) => this.#onOpen(reconnect) }));
    }
    if (this.#fleet === 0) {
      // Nothing to gather: drain whoever is on the channel (the reader's own clients).
      setImmediate(() => void this.#drain());
      return;
    }
    this.#timers.after(GATHER_TIMEOUT_MS, () => void this.#drain());
    for (const reader of this.#readers) reader.start();
  }

  #onOpen(reconnect: boolean): void {
    if (this.#done) return;
    if (!reconnect) {
      this.#opened += 1;
      if (this.#opened === this.#fleet) void this.#drain();
      return;
    }
    this.#bins?.count();
    this.#back += 1;
    if (this.#back >= this.#fleet && this.#allBackMs === null && this.#bins) {
      this.#allBackMs = Math.round(this.#bins.elapsed());
      this.finish();
    }
  }

  async #drain(): Promise<void> {
    if (this.#done || this.#bins) return;
    const { drainer, logger, limits } = this.#context;
    this.#bins = new BinCounter(limits.binMs);
    try {
      this.#drained = await drainer.drain(this.#channel, { retryMs: this.#retryMs, spreadMs: this.#spreadMs });
    } catch (error) {
      logger.error(`Could not drain ${this.#channel}:`, error);
      return this.finish(`the channel could not be drained (${(error as Error).message})`);
    }
    if (this.#done) return;
    // After the drain, not before: a held long poll would wake up with it and escape the drain.
    // The drained readers find it in the log when they come back.
    const started: DrainStarted = { drain: this.id, fleet: this.#fleet, retryMs: this.#retryMs, spreadMs: this.#spreadMs };
    this.#publish(PRODUCTION_EVENTS.drainStarted, started);
    if (this.#fleet === 0) return this.finish();
    this.#timers.every(limits.binMs, () => this.#publishClosedBins());
    this.#timers.after(limits.maxRecordMs, () => this.finish());
  }

  #publishClosedBins(includeCurrent = false): void {
    for (const { bin, count } of this.#bins?.takeClosed(includeCurrent) ?? []) {
      const data: DrainBin = { drain: this.id, bin, reconnects: count, back: this.#back };
      this.#publish(PRODUCTION_EVENTS.drainBin, data);
    }
  }

  finish(aborted?: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#timers.clear();
    this.#publishClosedBins(true);
    this.#publish(PRODUCTION_EVENTS.drainDone, this.#result(aborted));
    for (const reader of this.#readers) reader.stop();
    this.#release();
  }

  /** `drain-done`: what was drained, the reconnect curve and how many came back. */
  #result(aborted: string | undefined): DrainDone {
    const bins = this.#bins?.bins() ?? [];
    return {
      drain: this.id,
      fleet: this.#fleet,
      retryMs: this.#retryMs,
      spreadMs: this.#spreadMs,
      drained: this.#drained ?? {
        sse: 0,
        webSockets: 0,
        longPolls: 0,
        retryMs: this.#retryMs,
        spreadMs: this.#spreadMs,
        retryAfterSeconds: 0,
      },
      ...peakOf(bins),
      bins,
      allBackMs: this.#allBackMs,
      back: this.#back,
      ...(aborted === undefined ? {} : { aborted }),
    };
  }

  #publish(type: string, data: unknown): void {
    publishRunEvent(this.#context.bus, this.#context.logger, this.#channel, type, data);
  }
}
