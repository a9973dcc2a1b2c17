import { apiRoutes } from '../../src/protocol/api-routes.ts';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import type { ScalingAvailability } from '../../src/protocol/scaling.ts';
import { HttpProblem } from '../http/problem.ts';
import type { Logger } from '../logger.ts';
import type { DemoRedis } from './demo-redis.ts';
import { ScalingDemo, type ScalingDemoLimits } from './scaling-demo.ts';

/** The bounds of the demos: each demo's, and how many may run or start. */
export type ScalingDemosLimits = ScalingDemoLimits & { maxDemos: number; startsPerMinute: number };

/** What {@link ScalingDemos} needs. */
export interface ScalingDemosOptions {
  redis: DemoRedis;
  limits: ScalingDemosLimits;
  logger: Logger;
  /** How often idle demos are looked for. */
  sweepMs: number;
}

/**
 * Lesson 8's running demos, at most one pair per channel: started on demand,
 * within the limits on starts and on demos, and stopped when idle.
 */
export class ScalingDemos {
  readonly #demos = new Map<string, ScalingDemo>();
  /** channel → times of its recent starts, for `startsPerMinute`. */
  readonly #starts = new Map<string, number[]>();
  readonly #redis: DemoRedis;
  readonly #limits: ScalingDemosLimits;
  readonly #logger: Logger;
  readonly #sweeper: ReturnType<typeof setInterval>;
  #closing: Promise<void> | undefined;

  constructor({ redis, limits, logger, sweepMs }: ScalingDemosOptions) {
    this.#redis = redis;
    this.#limits = limits;
    this.#logger = logger;
    this.#sweeper = setInterval(() => this.#stopIdle(), sweepMs);
    this.#sweeper.unref();
  }

  /** Demos running (or starting) now. */
  get size(): number {
    return this.#demos.size;
  }

  async availability(): Promise<ScalingAvailability> {
    return { backplane: await this.#redis.availability(), demos: { running: this.#demos.size, max: this.#limits.maxDemos } };
  }

  /**
   * The channel's demo.
   * @throws {HttpProblem} 404 `unknown-scaling-demo`.
   */
  demoOf(channel: string): ScalingDemo {
    const demo = this.#demos.get(channel);
    if (demo) return demo;
    throw new HttpProblem({
      status: 404,
      type: PROBLEM_TYPES.unknownScalingDemo,
      detail: `No two-instance demo runs for channel ${channel}: start one (POST ${apiRoutes.scalingDemo.path({ channel })}). A demo stops after ${minutes(this.#limits.idleMs)} without a visit.`,
    });
  }

  /**
   * Starts a pair for `channel`, replacing the one it runs.
   * @throws {HttpProblem} 429 too many starts, 503 too many demos or a pair (or its Redis) that would not start.
   */
  async start(channel: string, backplane: boolean, onExercisePassed?: () => void): Promise<ScalingDemo> {
    this.#countStart(channel);
    // One demo per channel: a new start replaces the old pair (its slot is free again).
    await this.stopChannel(channel);
    if (this.#demos.size >= this.#limits.maxDemos) {
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.tooManyScalingDemos,
        detail: `${this.#demos.size} two-instance demos are running for other readers, the server's limit; one stops within ${minutes(this.#limits.idleMs)} of its reader leaving. Try again soon.`,
        headers: { 'Retry-After': '30' },
      });
    }
    const demo = new ScalingDemo({
      channel,
      backplane: backplane ? await this.#acquireBackplane() : undefined,
      redis: this.#redis,
      limits: this.#limits,
      logger: this.#logger,
      onExercisePassed,
    });
    this.#demos.set(channel, demo);
    try {
      await demo.start();
    } catch (error) {
      await this.#stop(demo);
      if (error instanceof HttpProblem) throw error;
      throw new HttpProblem({
        status: 503,
        detail: `The two instances could not be started: ${error instanceof Error ? error.message : String(error)}.`,
        headers: { 'Retry-After': '5' },
      });
    }
    return demo;
  }

  /** Stops the channel's demo, if one runs. */
  async stopChannel(channel: string): Promise<void> {
    const demo = this.#demos.get(channel);
    if (demo) await this.#stop(demo);
  }

  /** Process ids of every demo instance, and of the private Redis, alive now. */
  pids(): number[] {
    const redisPid = this.#redis.pid;
    return [...[...this.#demos.values()].flatMap((demo) => demo.pids()), ...(redisPid === null ? [] : [redisPid])];
  }

  /** Stops every demo and the private Redis. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#sweeper);
      const all = [...this.#demos.values()];
      this.#demos.clear();
      await Promise.all(all.map((demo) => demo.stop()));
      await this.#redis.close();
    })();
    return this.#closing;
  }

  #stopIdle(): void {
    const now = Date.now();
    for (const demo of this.#demos.values()) {
      if (now < demo.stopsAt) continue;
      this.#logger.info(`Stopping the scaling demo of ${demo.channel}: nothing happened for a while.`);
      void this.#stop(demo);
    }
  }

  async #stop(demo: ScalingDemo): Promise<void> {
    if (this.#demos.get(demo.channel) === demo) this.#demos.delete(demo.channel);
    await demo.stop();
  }

  #countStart(channel: string): void {
    const now = Date.now();
    const recent = (this.#starts.get(channel) ?? []).filter((at) => now - at < 60_000);
    if (recent.length >= this.#limits.startsPerMinute) {
      const seconds = Math.max(1, Math.ceil((recent[0]! + 60_000 - now) / 1000));
      throw new HttpProblem({
        status: 429,
        type: PROBLEM_TYPES.scalingStartsTooOften,
        detail: `This demo was started ${recent.length} times in the last minute, its limit (each start runs two processes); try again in ${seconds} s.`,
        headers: { 'Retry-After': String(seconds) },
      });
    }
    recent.push(now);
    this.#starts.set(channel, recent);
  }

  /** The demo's Redis; a Redis that exists but cannot be started or reached is a 503 that says so. */
  async #acquireBackplane() {
    try {
      return await this.#redis.acquire();
    } catch (error) {
      if (error instanceof HttpProblem) throw error;
      this.#logger.warn(`The demos' Redis could not be used: ${error instanceof Error ? error.message : String(error)}`);
      throw new HttpProblem({
        status: 503,
        type: PROBLEM_TYPES.backendUnavailable,
        detail: `The Redis for the demo could not be started or reached (${error instanceof Error ? error.message : String(error)}); the demo without the backplane still runs.`,
        headers: { 'Retry-After': '5' },
      });
    }
  }
}

/** `2 minutes`, `1 minute`, `30 s`. */
function minutes(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const count = Math.round(ms / 60_000);
  return `${count} minute${count === 1 ? '' : 's'}`;
}
