import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { LAB_LIMITS, LAB_TICK_EVENT, type LabTick } from '../../src/protocol/lab.ts';
import type { RunLabRequest } from '../../src/protocol/request-bodies.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { LaneTraffic } from './lane-traffic.ts';
import { LabPublisher, type PublisherClock } from './lab-publisher.ts';
import { LabSession, type LabRunRecord } from './lab-session.ts';
import type { TrafficTag } from './traffic-tag.ts';

/** Bounds of the registry; tests shrink them. */
export interface LabRegistryLimits {
  maxLabs: number;
  maxRunning: number;
  idleTtlMs: number;
}

export interface LabRegistryOptions {
  bus: Pick<EventBus, 'publish'>;
  limits?: Partial<LabRegistryLimits>;
  clock?: PublisherClock;
  random?: () => number;
  /** Told when publishing an event fails. */
  onError?: (error: unknown) => void;
}

/** {@link LabRegistry.run} refused: `maxRunning` labs are publishing already. */
export class TooManyLabsError extends Error {
  override name = 'TooManyLabsError';
}

/**
 * Every lab the server remembers, bounded: at most `maxLabs` (the least
 * recently used idle one goes first), at most `maxRunning` publishing at
 * once, and a lab idle for `idleTtlMs` (not running, no traffic, no stats
 * poll) is forgotten with its counters.
 */
export class LabRegistry {
  readonly #labs = new Map<string, LabSession>();
  /** The lab whose traffic each connection carried last (see {@link lane}). */
  readonly #socketLab = new WeakMap<Socket, LabSession>();
  /** Connections with a 'close' listener already: one per connection, whatever labs it serves in turn. */
  readonly #watched = new WeakSet<Socket>();
  readonly #bus: Pick<EventBus, 'publish'>;
  readonly #limits: LabRegistryLimits;
  readonly #clock: PublisherClock;
  readonly #random: () => number;
  readonly #onError: (error: unknown) => void;
  #closed = false;

  constructor(options: LabRegistryOptions) {
    this.#bus = options.bus;
    this.#limits = {
      maxLabs: LAB_LIMITS.maxLabs,
      maxRunning: LAB_LIMITS.maxRunning,
      idleTtlMs: LAB_LIMITS.idleTtlMs,
      ...options.limits,
    };
    this.#clock = options.clock ?? { now: Date.now, setTimeout, clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };
    this.#random = options.random ?? Math.random;
    this.#onError = options.onError ?? ((error) => console.error('A lab could not publish:', error));
  }

  /** Labs remembered now. */
  get size(): number {
    return this.#labs.size;
  }

  /** Labs publishing now. */
  get running(): number {
    let count = 0;
    for (const lab of this.#labs.values()) if (lab.running) count += 1;
    return count;
  }

  /** A new lab with a fresh channel. Forgets expired labs, and the least recently used idle one when full. */
  create(): LabSession {
    const now = this.#clock.now();
    this.#sweep(now);
    while (this.#labs.size >= this.#limits.maxLabs) {
      const idle = [...this.#labs.values()].find((lab) => !lab.running);
      if (!idle) break; // cannot happen while maxRunning < maxLabs
      this.#forget(idle);
    }
    const lab = new LabSession(randomBytes(9).toString('base64url'), now);
    this.#labs.set(lab.id, lab);
    return lab;
  }

  /** The lab, marked as used; undefined when unknown or expired. */
  get(id: string): LabSession | undefined {
    const lab = this.#labs.get(id);
    if (!lab) return undefined;
    const now = this.#clock.now();
    if (this.#expired(lab, now)) {
      this.#forget(lab);
      return undefined;
    }
    this.#touch(lab, now);
    return lab;
  }

  /**
   * Where the traffic meter counts a request — every request, tagged or not:
   * the technique's lane of a known lab, or undefined.
   *
   * A connection is the lab's while its latest request was: it leaves the lab
   * as soon as it carries anything else. A browser's connection serves one
   * page, but a proxy's connections to this server (nginx's keep-alive pool)
   * serve every reader in turn, and dropping "the lab's connections" must not
   * cut one that now carries another reader's stream.
   */
  lane(tag: TrafficTag | undefined, socket: Socket): LaneTraffic | undefined {
    const lab = tag === undefined ? undefined : this.get(tag.lab);
    const previous = this.#socketLab.get(socket);
    if (previous !== lab) {
      previous?.untrack(socket);
      if (lab) this.#carries(socket, lab);
      else this.#socketLab.delete(socket);
    }
    return lab && tag ? lab.traffic[tag.via] : undefined;
  }

  #carries(socket: Socket, lab: LabSession): void {
    this.#socketLab.set(socket, lab);
    lab.track(socket);
    if (this.#watched.has(socket)) return;
    this.#watched.add(socket);
    socket.once('close', () => {
      this.#socketLab.get(socket)?.untrack(socket);
      this.#socketLab.delete(socket);
    });
  }

  /**
   * Starts (or restarts) the lab's publisher: `tick` events on its channel at
   * `ratePerMinute` on average, for `durationMs`.
   * @throws {TooManyLabsError} when `maxRunning` other labs are publishing.
   */
  run(lab: LabSession, request: RunLabRequest): void {
    if (this.#closed) throw new TooManyLabsError('The server is shutting down.');
    lab.stop();
    if (this.running >= this.#limits.maxRunning) {
      throw new TooManyLabsError(`${this.#limits.maxRunning} labs are running; try again in a minute.`);
    }
    const run = { ratePerMinute: request.ratePerMinute, durationMs: request.durationMs, lastEventId: 0 } as LabRunRecord;
    run.publisher = new LabPublisher({
      ...request,
      clock: this.#clock,
      random: this.#random,
      publish: (seq) => {
        const data: LabTick = { seq, publishedAt: this.#clock.now() };
        this.#bus
          .publish(lab.channel, LAB_TICK_EVENT, data)
          .then((event) => (run.lastEventId = Math.max(run.lastEventId, event.id)), this.#onError);
      },
      onFinish: () => this.#touch(lab, this.#clock.now()),
    });
    lab.run = run;
    this.#touch(lab, this.#clock.now());
  }

  /** Stops every publisher and forgets every lab. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const lab of this.#labs.values()) lab.stop();
    this.#labs.clear();
  }

  #touch(lab: LabSession, now: number): void {
    lab.lastActiveAt = now;
    // Re-inserting keeps the Map in least-recently-used order.
    this.#labs.delete(lab.id);
    this.#labs.set(lab.id, lab);
  }

  #expired(lab: LabSession, now: number): boolean {
    return !lab.running && now - lab.lastActiveAt > this.#limits.idleTtlMs;
  }

  #sweep(now: number): void {
    for (const lab of [...this.#labs.values()]) if (this.#expired(lab, now)) this.#forget(lab);
  }

  #forget(lab: LabSession): void {
    lab.stop();
    this.#labs.delete(lab.id);
  }
}
