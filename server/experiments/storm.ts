import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { apiRoutes } from '../../src/protocol/api-routes.ts';
import {
  PRODUCTION_EVENTS,
  STORM_LIMITS,
  peakOf,
  type StartStormResponse,
  type StormBin,
  type StormDone,
  type StormStrategy,
} from '../../src/protocol/production.ts';
import type { ChannelGuard } from '../channels/channel-access.ts';
import type { EventBus } from '../events/event-bus.ts';
import { sendProblem } from '../http/problem.ts';
import type { RouteHandler } from '../http/router.ts';
import { sendJson } from '../http/send-json.ts';
import type { Logger } from '../logger.ts';
import { BinCounter } from './bin-counter.ts';
import type { ExperimentSlots } from './experiment-slots.ts';
import { loopbackTarget, type LoopbackTarget } from './loopback-target.ts';
import { StormClient } from './storm-client.ts';
import { RunTimers } from './run-timers.ts';
import { startStormRequest } from '../../src/protocol/request-bodies.ts';
import { readBody } from '../http/parse-body.ts';

/** What the storms need from the app. */
export interface StormsOptions {
  bus: EventBus;
  logger: Logger;
  slots: ExperimentSlots;
  /** Only the channel's owner may run an experiment on it (it stops and floods the reader's demo). */
  access: ChannelGuard;
  /** [0, 1) like Math.random, for the fleet's jitter; tests pass a seeded one. */
  random?: () => number;
  /** Overrides of the timings, for tests. */
  limits?: Partial<Record<'outageMs' | 'binMs' | 'maxRecordMs' | 'connectTimeoutMs', number>>;
}

/** The storm routes and what they hold. */
export interface Storms {
  /** `POST /api/production/storms`. */
  start: RouteHandler;
  /** `GET /api/production/storms/{id}/connect`: the endpoint the fleet connects, and reconnects, to. */
  connect: RouteHandler;
  /** Storms running now. */
  running(): number;
  /** Ends the storm with this id, saying why; false if none runs with it. */
  stop(id: string, reason: string): boolean;
  /** Ends every storm (its fleet stops; `storm-done` says why). */
  close(reason: string): void;
}

type Phase = 'gathering' | 'outage' | 'recovering' | 'done';

/**
 * The reconnect storm: a fleet of N real HTTP clients inside this process
 * holds connections to this server; then the server "restarts" — it ends
 * every held connection and refuses every attempt for `outageMs`, as a
 * process that is starting up would (a load balancer answers 503 meanwhile).
 * The server counts each reconnect attempt it receives per 100 ms, and
 * publishes the curve on the reader's channel as it goes.
 */
export function createStorms(options: StormsOptions): Storms {
  const { bus, logger, slots } = options;
  const limits = { ...STORM_LIMITS, ...options.limits };
  const runs = new Map<string, StormRun>();

  class StormRun {
    readonly id = randomBytes(9).toString('base64url');
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

    constructor(channel: string, strategy: StormStrategy, size: number, target: LoopbackTarget, release: () => void) {
      this.channel = channel;
      this.strategy = strategy;
      this.size = size;
      this.#release = release;
      const path = apiRoutes.stormConnect.path({ id: this.id });
      for (let index = 0; index < size; index += 1) {
        const client = new StormClient({
          target,
          path,
          strategy,
          random: options.random,
        });
        this.#clients.push(client);
      }
      this.#timers.after(limits.connectTimeoutMs, () => {
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
      const bins = this.#bins?.bins() ?? [];
      const done: StormDone = {
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
      this.#publish(PRODUCTION_EVENTS.stormDone, done);
      for (const client of this.#clients) client.stop();
      for (const response of [...this.#held]) response.end();
      this.#held.clear();
      runs.delete(this.id);
      this.#release();
    }

    #publish(type: string, data: unknown): void {
      bus.publish(this.channel, type, data).catch((error: unknown) => logger.error(`Could not publish ${type}:`, error));
    }
  }

  // #region start-storm
  const start: RouteHandler = async ({ request, response }) => {
    const { channel, clients, strategy } = await readBody(request, startStormRequest);
    options.access.requireOwner(channel, request, 'run a reconnect storm on');
    let run: StormRun | undefined;
    const release = slots.acquire(channel, limits.connectTimeoutMs + limits.maxRecordMs, (reason) => run?.finish(reason));
    run = new StormRun(channel, strategy, clients, loopbackTarget(request), release);
    runs.set(run.id, run);
    const answer: StartStormResponse = {
      id: run.id,
      channel,
      strategy,
      clients,
      binMs: limits.binMs,
      outageMs: limits.outageMs,
    };
    sendJson(response, 202, answer);
  };
  // #endregion start-storm

  const connect: RouteHandler = ({ response, params }) => {
    const run = runs.get(params.id ?? '');
    if (!run) return refuseGone(response);
    response.setHeader('Cache-Control', 'no-store');
    run.answer(response);
  };

  return {
    start,
    connect,
    running: () => runs.size,
    stop(id, reason) {
      const run = runs.get(id);
      run?.finish(reason);
      return run !== undefined;
    },
    close(reason) {
      for (const run of [...runs.values()]) run.finish(reason);
    },
  };
}

function refuseGone(response: ServerResponse): void {
  sendProblem(response, { status: 404, detail: 'No storm is running with this id: it ended, or never existed.' });
}
