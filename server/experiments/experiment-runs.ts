import { randomBytes } from 'node:crypto';
import type { EventBus } from '../events/event-bus.ts';
import type { Logger } from '../logger.ts';
import type { LoopbackTarget } from './loopback-target.ts';

/** One running experiment, as the registry sees it. */
export interface ExperimentRun {
  readonly id: string;
  /** Ends the run (idempotent); `aborted` says why it ended early. */
  finish(aborted?: string): void;
}

/** What every experiment's routes offer besides `start`. */
export interface ExperimentControls {
  /** Runs going on now. */
  running(): number;
  /** Ends the run with this id, saying why; false if none runs with it. */
  stop(id: string, reason: string): boolean;
  /** Ends every run (each says why in its `done` event). */
  close(reason: string): void;
}

/** What every run is started with. */
export interface RunStart {
  id: string;
  /** The reader's channel: the run's events go there, and its slot is the channel's. */
  channel: string;
  /** Where the run's clients connect: this server, as the request reached it. */
  target: LoopbackTarget;
  /** Called once, when the run finishes: see {@link ExperimentRuns.reserve}. */
  release: () => void;
}

/**
 * The runs of one kind of experiment (storms, slow consumers, drain drills)
 * that are going on now, by id: what stop and close reach, and what a run
 * leaves when it finishes.
 */
export class ExperimentRuns<Run extends ExperimentRun> implements ExperimentControls {
  readonly #runs = new Map<string, Run>();

  add(run: Run): void {
    this.#runs.set(run.id, run);
  }

  get(id: string): Run | undefined {
    return this.#runs.get(id);
  }

  /**
   * An id for a run about to start, and what it calls when it finishes: it
   * leaves the registry, then gives its channel's slot back (`releaseSlot`,
   * from `ExperimentSlots.acquire`). The id is unguessable: `stop` and a
   * storm's `connect` take it from the URL.
   */
  reserve(releaseSlot: () => void): Pick<RunStart, 'id' | 'release'> {
    const id = randomBytes(9).toString('base64url');
    const release = () => {
      this.#runs.delete(id);
      releaseSlot();
    };
    return { id, release };
  }

  running(): number {
    return this.#runs.size;
  }

  stop(id: string, reason: string): boolean {
    const run = this.#runs.get(id);
    run?.finish(reason);
    return run !== undefined;
  }

  close(reason: string): void {
    // A copy: each finish deletes its run from the map.
    for (const run of [...this.#runs.values()]) run.finish(reason);
  }

  /** {@link ExperimentControls} as plain functions, for an experiment's routes object. */
  controls(): ExperimentControls {
    return { running: () => this.running(), stop: (id, reason) => this.stop(id, reason), close: (reason) => this.close(reason) };
  }
}

/**
 * Publishes one of a run's events on the reader's channel; a failure is
 * logged, not thrown: the run goes on, and its `done` event says how it ended.
 */
export function publishRunEvent(bus: EventBus, logger: Logger, channel: string, type: string, data: unknown): void {
  bus.publish(channel, type, data).catch((error: unknown) => logger.error(`Could not publish ${type}:`, error));
}
