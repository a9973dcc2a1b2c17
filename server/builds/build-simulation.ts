import { randomBytes } from 'node:crypto';
import { BUILD_EVENT_TYPES, BUILD_LIMITS, type BuildDone, type BuildProgress, type StartBuildResponse } from '../../src/protocol/builds.ts';
import type { EventBus } from '../events/event-bus.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import { buildScript, countLines, type BuildAction } from './build-script.ts';

/** A validated request to start a build (see `parseStartBuildRequest`). */
export interface BuildPlan {
  channel: string;
  durationMs: number;
  outcome: 'passed' | 'failed';
}

/** Limits of a {@link BuildSimulation}; tests shrink them. */
export interface BuildSimulationLimits {
  /** Builds running at once; default `BUILD_LIMITS.maxRunning`. */
  maxRunning: number;
}

/** Options of {@link BuildSimulation}. */
export interface BuildSimulationOptions {
  bus: EventBus;
  limits?: Partial<BuildSimulationLimits>;
  /** Told when publishing fails; default `console.error`. */
  onError?: (error: unknown) => void;
}

/** Thrown by {@link BuildSimulation.start} when `maxRunning` builds are running. */
export class TooManyBuildsError extends Error {
  override name = 'TooManyBuildsError';
  /** Seconds until the first running build is expected to finish (at least 1). */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(`Too many builds are running; retry in ${retryAfterSeconds} s.`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

interface RunningBuild {
  id: string;
  plan: BuildPlan;
  actions: BuildAction[];
  next: number;
  lines: number;
  /** The one pending timer of this build. */
  timer: ReturnType<typeof setTimeout> | undefined;
  finishesAt: number;
}

/**
 * Simulated CI builds, the subject of the SSE lesson: each publishes on its
 * channel `log` events (string data, some of several lines), `progress`
 * events across the steps install → lint → test → build → deploy, and one
 * final `done`, spread evenly over `durationMs`. The first event comes one
 * step after the start, so a client that opens its stream on receiving the
 * 201 misses nothing.
 *
 * Only running builds are held (there is nothing to poll): at most
 * `maxRunning` ({@link TooManyBuildsError} beyond). Timers are unref'd and
 * chained, one per build; {@link close} clears them all.
 */
export class BuildSimulation {
  readonly #bus: EventBus;
  readonly #limits: BuildSimulationLimits;
  readonly #onError: (error: unknown) => void;
  readonly #running = new Map<string, RunningBuild>();
  #closed = false;

  constructor(options: BuildSimulationOptions) {
    this.#bus = options.bus;
    this.#limits = { maxRunning: BUILD_LIMITS.maxRunning, ...options.limits };
    this.#onError = options.onError ?? ((error) => console.error('Could not publish a build event:', error));
  }

  /** Builds running now. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Starts a build following `plan`.
   * @throws {TooManyBuildsError} when `maxRunning` builds are running.
   * @throws {BackplaneUnavailableError} when the shared bus (Redis) is down: no event could reach a stream.
   */
  start(plan: BuildPlan): StartBuildResponse {
    if (this.#closed) throw new Error('The build simulation is closed.');
    const unavailable = this.#bus.unavailableReason();
    if (unavailable !== undefined) throw new BackplaneUnavailableError(unavailable);
    if (this.#running.size >= this.#limits.maxRunning) {
      const first = Math.min(...[...this.#running.values()].map((build) => build.finishesAt));
      throw new TooManyBuildsError(Math.max(1, Math.ceil((first - Date.now()) / 1000)));
    }
    const id = randomBytes(9).toString('base64url');
    const actions = buildScript(id, plan.outcome);
    const build: RunningBuild = {
      id,
      plan,
      actions,
      next: 0,
      lines: 0,
      timer: undefined,
      finishesAt: Date.now() + plan.durationMs,
    };
    this.#running.set(id, build);
    this.#schedule(build);
    const totalLines = actions.reduce((sum, action) => sum + (action.kind === 'log' ? countLines(action.text) : 0), 0);
    return { id, channel: plan.channel, totalLines };
  }

  /** Stops every build where it is and clears every timer. */
  close(): void {
    this.#closed = true;
    for (const build of this.#running.values()) clearTimeout(build.timer);
    this.#running.clear();
  }

  /** Actions plus the final `done`, evenly spaced: each one `durationMs / (actions + 1)` after the previous. */
  #schedule(build: RunningBuild): void {
    build.timer = setTimeout(() => this.#step(build), build.plan.durationMs / (build.actions.length + 1));
    // A simulation must never keep the process alive on its own (tests, graceful shutdown).
    build.timer.unref();
  }

  #step(build: RunningBuild): void {
    const action = build.actions[build.next];
    build.next += 1;
    if (action?.kind === 'log') {
      build.lines += countLines(action.text);
      this.#publish(build, BUILD_EVENT_TYPES.log, action.text);
    } else if (action?.kind === 'progress') {
      const progress: BuildProgress = { build: build.id, percent: action.percent, step: action.step };
      this.#publish(build, BUILD_EVENT_TYPES.progress, progress);
    } else {
      const done: BuildDone = { build: build.id, status: build.plan.outcome, lines: build.lines };
      this.#running.delete(build.id);
      this.#publish(build, BUILD_EVENT_TYPES.done, done);
      return;
    }
    this.#schedule(build);
  }

  #publish(build: RunningBuild, type: string, data: unknown): void {
    this.#bus.publish(build.plan.channel, type, data).catch(this.#onError);
  }
}
