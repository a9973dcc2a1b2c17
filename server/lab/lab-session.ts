import type { Socket } from 'node:net';
import { LAB_TECHNIQUES, type LabRun, type LabStats, type LabTechnique, type LabTraffic } from '../../src/protocol/lab.ts';
import { LaneTraffic } from './lane-traffic.ts';
import type { LabPublisher } from './lab-publisher.ts';

/** The run of a lab: its publisher and what it was asked for. */
export interface LabRunRecord {
  publisher: LabPublisher;
  ratePerMinute: number;
  durationMs: number;
  /** Id of the last event published, 0 before the first. */
  lastEventId: number;
}

/**
 * One reader's lab: a channel of its own, the traffic of each technique, the
 * connections that carried it (so they can be cut on purpose), and the
 * current run of the publisher.
 */
export class LabSession {
  readonly id: string;
  readonly channel: string;
  readonly traffic: Record<LabTechnique, LaneTraffic>;
  /** Last time anything used the lab (traffic, stats, run), for expiry. */
  lastActiveAt: number;
  run: LabRunRecord | null = null;
  /** Open connections whose latest request was this lab's; each leaves the set when it closes or carries something else. */
  readonly #sockets = new Set<Socket>();

  constructor(id: string, now: number) {
    this.id = id;
    this.channel = `lab-${id}`;
    this.lastActiveAt = now;
    this.traffic = Object.fromEntries(LAB_TECHNIQUES.map((via) => [via, new LaneTraffic()])) as Record<LabTechnique, LaneTraffic>;
  }

  get running(): boolean {
    return this.run?.publisher.state === 'running';
  }

  /**
   * Remembers `socket` as one of the lab's connections. The registry calls
   * {@link untrack} when it closes or carries another request (one 'close'
   * listener per socket for all labs: a tab that runs the lab twenty times
   * reuses the same connections).
   */
  track(socket: Socket): void {
    if (!socket.destroyed) this.#sockets.add(socket);
  }

  untrack(socket: Socket): void {
    this.#sockets.delete(socket);
  }

  /** Open connections whose latest request was this lab's. */
  get openConnections(): number {
    return this.#sockets.size;
  }

  /**
   * The fault of the lesson: cuts every open connection of the lab at once,
   * with no goodbye (no close frame, no last chunk), as a lost network or a
   * crashed proxy would. Returns how many were cut.
   */
  dropConnections(): number {
    const sockets = [...this.#sockets];
    for (const socket of sockets) socket.destroy();
    this.#sockets.clear();
    return sockets.length;
  }

  /** Stops the publisher, if it runs. */
  stop(): void {
    this.run?.publisher.stop();
  }

  runState(): LabRun | null {
    if (!this.run) return null;
    const { publisher, ratePerMinute, durationMs, lastEventId } = this.run;
    return {
      state: publisher.state,
      ratePerMinute,
      durationMs,
      startedAt: publisher.startedAt,
      endsAt: publisher.endedAt,
      published: publisher.published,
      lastEventId,
    };
  }

  stats(now: number): LabStats {
    const traffic = Object.fromEntries(LAB_TECHNIQUES.map((via) => [via, this.traffic[via].snapshot()])) as Record<
      LabTechnique,
      LabTraffic
    >;
    return { id: this.id, channel: this.channel, run: this.runState(), traffic, serverTime: now };
  }
}
