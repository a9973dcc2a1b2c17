import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import {
  SCALING_INSTANCES,
  type SCALING_LIMITS,
  SCALING_MEMBERS,
  SCALING_ROOM,
  otherInstance,
  type InstanceAction,
  type InstanceName,
  type PresenceKey,
  type ScalingDemoState,
} from '../../src/protocol/scaling.ts';
import { resumeQuery } from '../../src/protocol/request-queries.ts';
import { SSE_RESET_EVENT } from '../../src/protocol/sse.ts';
import { HttpProblem } from '../http/problem.ts';
import { readQuery } from '../http/query.ts';
import type { Logger } from '../logger.ts';
import { presenceTimings } from '../websocket/presence-timings.ts';
import { ChatMember } from './chat-member.ts';
import { DemoInstance } from './demo-instance.ts';
import { DemoRecord, type StreamRecorder } from './demo-record.ts';
import type { DemoBackplane, DemoRedis } from './demo-redis.ts';
import { forwardRequest } from './forward-request.ts';
import { presenceKeyNames, readPresenceKeys } from './presence-keys.ts';
import { SseTap } from './sse-tap.ts';

/** Timings and bounds of one demo; tests shrink them. */
export type ScalingDemoLimits = Record<
  keyof Pick<
    typeof SCALING_LIMITS,
    'startTimeoutMs' | 'presenceTtlMs' | 'pauseMs' | 'proxyTimeoutMs' | 'maxObserved' | 'maxIdsPerStream' | 'idleMs' | 'quietMs'
  >,
  number
>;

/** What one demo needs. */
export interface ScalingDemoOptions {
  channel: string;
  /** The Redis both instances share, or undefined: each runs with its own in-memory bus. */
  backplane: DemoBackplane | undefined;
  redis: DemoRedis;
  limits: ScalingDemoLimits;
  logger: Logger;
  /** Told once, when the reader passes lesson 8's exercise. */
  onExercisePassed?: () => void;
}

/**
 * One reader's pair of instances (lesson 8): "A" and "B", two real child
 * processes of this server, with or without a shared Redis; a chat member
 * on each; the requests of the page forwarded to them; and the record of
 * what passed, from which the exercise is judged. Actions on the instances
 * (kill, restart, pause, resume) run one at a time.
 */
export class ScalingDemo {
  readonly channel: string;
  readonly startedAt = Date.now();
  readonly #backplane: DemoBackplane | undefined;
  readonly #redis: DemoRedis;
  readonly #limits: ScalingDemoLimits;
  readonly #logger: Logger;
  readonly #instances: Record<InstanceName, DemoInstance>;
  readonly #members: Record<InstanceName, ChatMember>;
  readonly #record: DemoRecord;
  #serial: Promise<unknown> = Promise.resolve();
  #lastRequestAt = Date.now();
  #lastActionAt = Date.now();
  #stopped = false;
  #starting = false;

  constructor(options: ScalingDemoOptions) {
    this.channel = options.channel;
    this.#backplane = options.backplane;
    this.#redis = options.redis;
    this.#limits = options.limits;
    this.#logger = options.logger;
    this.#record = new DemoRecord(options.backplane !== undefined, Date.now, options.limits, options.onExercisePassed);
    const env: Record<string, string> = {
      PRESENCE_TTL_MS: String(options.limits.presenceTtlMs),
      SHUTDOWN_GRACE_MS: '2000',
      ...(options.backplane ? { REDIS_URL: options.backplane.url, REDIS_PREFIX: options.backplane.prefix } : {}),
    };
    const launch = { env, startTimeoutMs: options.limits.startTimeoutMs, pauseMs: options.limits.pauseMs };
    this.#instances = { a: new DemoInstance('a', launch), b: new DemoInstance('b', launch) };
    this.#members = {
      a: new ChatMember(SCALING_MEMBERS.a, 'a', SCALING_ROOM),
      b: new ChatMember(SCALING_MEMBERS.b, 'b', SCALING_ROOM),
    };
  }

  get backplane(): boolean {
    return this.#backplane !== undefined;
  }

  /** When the demo should stop if nothing more happens: idle (no request) or quiet (no action); never while it starts. */
  get stopsAt(): number {
    if (this.#starting) return Number.POSITIVE_INFINITY;
    return Math.min(this.#lastRequestAt + this.#limits.idleMs, this.#lastActionAt + this.#limits.quietMs);
  }

  /** Process ids of its instances alive now. */
  pids(): number[] {
    return Object.values(this.#instances).flatMap((instance) => (instance.pid === null ? [] : [instance.pid]));
  }

  /** Notes a request of the page; `action` for what the reader did (not a state poll). */
  touch(action: boolean): void {
    this.#lastRequestAt = Date.now();
    if (action) this.#lastActionAt = this.#lastRequestAt;
  }

  /** Starts both instances at once, and their chat members. Rejects (the demo stopped) if either fails. */
  async start(): Promise<void> {
    this.#starting = true;
    try {
      await this.#serially(async () => {
        await Promise.all(SCALING_INSTANCES.map((name) => this.#startInstance(name)));
      });
    } finally {
      this.#starting = false;
      this.touch(true);
    }
  }

  /** Kills, restarts, pauses or resumes one instance, after the actions before it. */
  act(name: InstanceName, action: InstanceAction): Promise<void> {
    this.touch(true);
    return this.#serially(async () => {
      const instance = this.#instances[name];
      switch (action) {
        case 'kill':
          // Before the kill: the record notes which streams it cuts.
          this.#record.killing(name);
          await instance.kill();
          return;
        case 'restart':
          await this.#startInstance(name);
          return;
        case 'pause':
          assertServing(instance, 'pause');
          instance.pause();
          return;
        case 'resume':
          instance.resume();
          return;
      }
    });
  }

  /**
   * Forwards a note to the feed of instance `name` and records its id once
   * the instance answers 201.
   * @throws {HttpProblem} 502 `instance-down` when that instance is not running.
   */
  async forwardPublish(request: IncomingMessage, response: ServerResponse, name: InstanceName, path: string): Promise<void> {
    this.touch(true);
    const instance = this.#instances[name];
    assertServing(instance, 'publish on');
    let status = 0;
    const body: Buffer[] = [];
    const outcome = await forwardRequest(request, response, {
      port: instance.port!,
      path,
      headTimeoutMs: this.#limits.proxyTimeoutMs,
      onResponse: (code) => (status = code),
      onBody: (chunk) => body.push(chunk),
      onEnd: (end) => {
        if (end !== 'ended' || status !== 201) return;
        try {
          const { id } = JSON.parse(Buffer.concat(body).toString('utf8')) as { id: unknown };
          if (typeof id === 'number') this.#record.published(name, id);
        } catch {
          // Not the answer a publish gives: nothing to record.
        }
      },
    });
    if (outcome !== 'forwarded') throw gatewayProblem(name, outcome, this.#limits.proxyTimeoutMs);
  }

  /**
   * Forwards an event stream from instance `pinned` — or, when `sticky` and
   * that one is not running, from the other, as a load balancer with sticky
   * sessions moves a client whose instance died. The bytes pass unchanged; a
   * tap records the ids the instance sends.
   * @throws {HttpProblem} 502 `instance-down` when no instance can serve it.
   */
  async forwardStream(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    pinned: InstanceName,
    sticky: boolean,
    path: string,
  ): Promise<void> {
    this.touch(false);
    const candidates = sticky ? [pinned, otherInstance(pinned)] : [pinned];
    const lastEventId = request.headers['last-event-id']?.toString() ?? readQuery(url.searchParams, resumeQuery).lastEventId ?? null;
    for (const name of candidates) {
      const instance = this.#instances[name];
      if (instance.status !== 'running') continue;
      let recorder: StreamRecorder | undefined;
      let uncount: (() => void) | undefined;
      const tap = new SseTap((event) => {
        if (event.type === SSE_RESET_EVENT) {
          const data = parseReset(event.data);
          if (data) recorder?.reset(data.reason, data.latestId);
        } else if (event.id !== null) {
          recorder?.event(event.id);
        }
      });
      const outcome = await forwardRequest(request, response, {
        port: instance.port!,
        path,
        onResponse: (status) => {
          if (status !== 200) return;
          recorder = this.#record.streamOpened(name, pinned, lastEventId ?? null);
          uncount = instance.streamOpened();
        },
        onBody: (chunk) => tap.push(chunk),
        onEnd: (end) => {
          recorder?.closed(end);
          uncount?.();
        },
      });
      if (outcome === 'forwarded') return;
      // Refused: it died between the check and the connection. A balancer tries the next one.
    }
    throw new HttpProblem({
      status: 502,
      type: PROBLEM_TYPES.instanceDown,
      detail: sticky
        ? `Neither instance is running, so the balancer has nowhere to send the stream: restart one.`
        : `Instance ${pinned.toUpperCase()} is not running (${this.#instances[pinned].status}): restart it, or use the other one.`,
      extensions: { instance: pinned },
    });
  }

  /** Everything the page shows, now (the presence keys read from Redis with the backplane). */
  async state(): Promise<ScalingDemoState> {
    const timings = presenceTimings(this.#limits.presenceTtlMs);
    let keys: PresenceKey[] | null = null;
    const client = this.#redis.commands;
    if (this.#backplane && client) {
      keys = await readPresenceKeys(client, this.#backplane.prefix, SCALING_ROOM).catch((error: unknown) => {
        this.#logger.warn(`Could not read the demo's presence keys: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      });
    }
    const instances = {
      a: this.#instances.a.state(),
      b: this.#instances.b.state(),
    };
    return {
      channel: this.channel,
      backplane: this.backplane,
      redis: this.#backplane ? { source: this.#backplane.source, prefix: this.#backplane.prefix } : null,
      startedAt: this.startedAt,
      stopsAt: this.stopsAt,
      instances,
      streams: this.#record.streams,
      publishes: this.#record.publishes,
      presence: {
        room: SCALING_ROOM,
        ttlMs: timings.ttlMs,
        heartbeatMs: timings.heartbeatMs,
        keys,
        indexKey: this.#backplane ? presenceKeyNames(this.#backplane.prefix, SCALING_ROOM).index : null,
        lists: { a: this.#members.a.list, b: this.#members.b.list },
        members: [this.#members.a.view(), this.#members.b.view()],
      },
      exercise: this.#record.exercise(),
      now: Date.now(),
    };
  }

  /** Kills both instances, drops the members and removes the demo's keys. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const member of Object.values(this.#members)) member.close();
    // Not behind the queue: a stop must not wait for a start that hangs.
    await Promise.all(Object.values(this.#instances).map((instance) => instance.kill()));
    if (this.#backplane) {
      await this.#redis.release(this.#backplane.prefix).catch((error: unknown) => {
        this.#logger.warn(`Could not remove the keys of a stopped demo (${this.#backplane!.prefix}*): ${String(error)}`);
      });
    }
  }

  async #startInstance(name: InstanceName): Promise<void> {
    if (this.#stopped) throw new Error('the demo was stopped');
    this.#members[name].close();
    await this.#instances[name].start();
    if (this.#stopped) {
      await this.#instances[name].kill();
      throw new Error('the demo was stopped');
    }
    this.#members[name].connect(this.#instances[name].port!);
  }

  #serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(task, task);
    this.#serial = run.catch(() => {});
    return run;
  }
}

function assertServing(instance: DemoInstance, what: string): void {
  if (instance.status === 'running') return;
  throw new HttpProblem({
    status: 502,
    type: PROBLEM_TYPES.instanceDown,
    detail: `Cannot ${what} instance ${instance.name.toUpperCase()}: it is ${instance.status}.${instance.status === 'paused' ? ' Resume it first.' : ' Restart it first.'}`,
    extensions: { instance: instance.name },
  });
}

function gatewayProblem(name: InstanceName, outcome: 'refused' | 'timeout', timeoutMs: number): HttpProblem {
  return outcome === 'timeout'
    ? new HttpProblem({
        status: 504,
        detail: `Instance ${name.toUpperCase()} did not answer within ${timeoutMs} ms.`,
        extensions: { instance: name },
      })
    : new HttpProblem({
        status: 502,
        type: PROBLEM_TYPES.instanceDown,
        detail: `Instance ${name.toUpperCase()} refused the connection: it just went down.`,
        extensions: { instance: name },
      });
}

function parseReset(data: string): { reason: string; latestId: number } | undefined {
  try {
    const parsed = JSON.parse(data) as { reason?: unknown; latestId?: unknown };
    if (typeof parsed.reason === 'string' && typeof parsed.latestId === 'number')
      return { reason: parsed.reason, latestId: parsed.latestId };
  } catch {
    // Not this server's reset.
  }
  return undefined;
}
