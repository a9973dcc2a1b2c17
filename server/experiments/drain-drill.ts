import { randomBytes } from 'node:crypto';
import {
  DRAIN_LIMITS,
  PRODUCTION_EVENTS,
  peakOf,
  type ChannelDrainResult,
  type DrainBin,
  type DrainDone,
  type DrainStarted,
  type StartDrainResponse,
} from '../../src/protocol/production.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import type { EventBus } from '../events/event-bus.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import type { Logger } from '../logger.ts';
import { BinCounter } from './bin-counter.ts';
import type { ChannelDrainer } from './channel-drain.ts';
import type { ExperimentSlots } from './experiment-slots.ts';
import { loopbackTarget, type LoopbackTarget } from './loopback-target.ts';
import { SseFleetReader } from './sse-fleet-reader.ts';
import { RunTimers } from './run-timers.ts';
import { startDrainRequest } from '../../src/protocol/request-bodies.ts';
import { readBody } from '../http/parse-body.ts';

export interface DrainDrillsOptions {
  bus: EventBus;
  logger: Logger;
  slots: ExperimentSlots;
  /** Only the channel's owner may run an experiment on it (it stops and floods the reader's demo). */
  access: ChannelGuard;
  /** Drains the channel: this instance's clients of it, or every instance's. */
  drainer: ChannelDrainer;
  limits?: Partial<Record<'binMs' | 'maxRecordMs', number>>;
}

export interface DrainDrills {
  /** `POST /api/production/drains`. */
  start: RouteHandler;
  running(): number;
  /** Ends the run with this id, saying why; false if none runs with it. */
  stop(id: string, reason: string): boolean;
  close(reason: string): void;
}

/** The fleet must be connected within this time, or the drill drains whoever is there. */
const GATHER_TIMEOUT_MS = 5_000;

/**
 * A graceful restart of one channel, with an audience: `fleet` simulated
 * EventSource clients connect to the channel's SSE stream; then the channel
 * is drained (`drainChannel()`: every client of the channel, the reader's
 * own tabs included, is told when to come back — on every instance, with
 * Redis); then the server counts, per 100 ms, the fleet's streams as they
 * come back.
 */
export function createDrainDrills(options: DrainDrillsOptions): DrainDrills {
  const { bus, logger, slots, drainer } = options;
  const limits = { ...DRAIN_LIMITS, ...options.limits };
  const drills = new Map<string, DrainDrill>();

  class DrainDrill {
    readonly id = randomBytes(9).toString('base64url');
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

    constructor(channel: string, settings: Settings, target: LoopbackTarget, release: () => void) {
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
      const bins = this.#bins?.bins() ?? [];
      const done: DrainDone = {
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
      this.#publish(PRODUCTION_EVENTS.drainDone, done);
      for (const reader of this.#readers) reader.stop();
      drills.delete(this.id);
      this.#release();
    }

    #publish(type: string, data: unknown): void {
      bus.publish(this.#channel, type, data).catch((error: unknown) => logger.error(`Could not publish ${type}:`, error));
    }
  }

  const start: RouteHandler = async ({ request, response }) => {
    const { channel, ...settings } = await readBody(request, startDrainRequest);
    options.access.requireOwner(channel, request, 'drain');
    // With Redis down, neither the drain order nor the drill's events could go out: say so now.
    const unavailable = bus.unavailableReason();
    if (unavailable !== undefined) throw new BackplaneUnavailableError(unavailable);
    let drill: DrainDrill | undefined;
    const release = slots.acquire(channel, GATHER_TIMEOUT_MS + limits.maxRecordMs, (reason) => drill?.finish(reason));
    drill = new DrainDrill(channel, settings, loopbackTarget(request), release);
    drills.set(drill.id, drill);
    const answer: StartDrainResponse = { id: drill.id, channel, ...settings, binMs: limits.binMs };
    sendJson(response, 202, answer);
  };

  return {
    start,
    running: () => drills.size,
    stop(id, reason) {
      const drill = drills.get(id);
      drill?.finish(reason);
      return drill !== undefined;
    },
    close(reason) {
      for (const drill of [...drills.values()]) drill.finish(reason);
    },
  };
}

interface Settings {
  fleet: number;
  retryMs: number;
  spreadMs: number;
}
