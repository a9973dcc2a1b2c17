import type { LocalLearnerStreams } from './learner-streams.ts';
import type { WorkshopLiveState } from './live-state.ts';
import type { WorkshopTimings } from './workshop-timings.ts';
import type { WorkshopRecord } from './workshop-store.ts';

/** What {@link PresenceSweep} needs from the hub. */
export interface PresenceSweepOptions {
  live: WorkshopLiveState;
  timings: WorkshopTimings;
  /** The learner streams open here, whose leases it renews. */
  learnerStreams: LocalLearnerStreams;
  /** Host streams of the workshop open here. */
  hostStreams: (workshop: WorkshopRecord) => number;
  /** Updates a member whose offline time has come: the hub sends the host the new view, unless another instance did. */
  refresh: (workshop: WorkshopRecord, memberId: string) => Promise<unknown>;
  /** Told what failed in the background (the hub leaves out Redis outages, logged by the connection). */
  onError: (error: unknown) => void;
}

/** A workshop this instance watches. */
interface WatchedWorkshop {
  record: WorkshopRecord;
  /** Since when nobody has been online and no stream open here (undefined while someone is). */
  idleSince?: number;
}

/**
 * What keeps presence true on this instance, with timers: every `sweepMs`
 * it turns offline the members of the workshops it watches whose offline
 * time has come (the live state indexes it, so this reads nothing else);
 * every third of the presence TTL it renews the leases of the learner
 * streams it holds. Every instance watching a workshop sweeps it; the first
 * update of a member sends the new view, the others find it sent.
 *
 * A workshop is watched from the first request for it here, until nobody
 * has been online and no stream open here for `unloadAfterMs`: memory
 * follows the workshops running now, not every one ever created.
 */
export class PresenceSweep {
  readonly #options: PresenceSweepOptions;
  /** By code. */
  readonly #watched = new Map<string, WatchedWorkshop>();
  readonly #timers: NodeJS.Timeout[];
  #sweeping = false;

  constructor(options: PresenceSweepOptions) {
    this.#options = options;
    this.#timers = [
      setInterval(() => void this.#sweep(), options.timings.sweepMs),
      // A stream's lease lasts the presence TTL and is renewed three times in it.
      setInterval(() => this.#renewLeases(), options.timings.presenceTtlMs / 3),
    ];
    // Presence is bookkeeping: it must not keep a process alive that has nothing else to do.
    for (const timer of this.#timers) timer.unref();
  }

  /** Watches the workshop from now on (nothing if it already is). */
  watch(workshop: WorkshopRecord): void {
    if (!this.#watched.has(workshop.code)) this.#watched.set(workshop.code, { record: workshop });
  }

  /** Workshops watched now. */
  get size(): number {
    return this.#watched.size;
  }

  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
  }

  async #sweep(): Promise<void> {
    // A slow store must not pile sweeps up.
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const now = Date.now();
      for (const watched of [...this.#watched.values()]) {
        try {
          const { due, online } = await this.#options.live.dueMembers(watched.record.id, now);
          await Promise.all(due.map((memberId) => this.#options.refresh(watched.record, memberId)));
          this.#unloadIfIdle(watched, online === 0, now);
        } catch (error) {
          this.#options.onError(error);
        }
      }
    } finally {
      this.#sweeping = false;
    }
  }

  /** `find()` watches the workshop again; with no Redis, its presence (all offline) and recent broadcasts are gone. */
  #unloadIfIdle(watched: WatchedWorkshop, nobodyOnline: boolean, now: number): void {
    const idle =
      nobodyOnline && this.#options.hostStreams(watched.record) === 0 && this.#options.learnerStreams.count(watched.record.id) === 0;
    watched.idleSince = idle ? (watched.idleSince ?? now) : undefined;
    if (watched.idleSince === undefined || now - watched.idleSince < this.#options.timings.unloadAfterMs) return;
    this.#watched.delete(watched.record.code);
    this.#options.live.forget(watched.record.id);
  }

  #renewLeases(): void {
    const open = this.#options.learnerStreams.open();
    if (open.length === 0) return;
    this.#options.live
      .renewStreams(open, Date.now() + this.#options.timings.presenceTtlMs)
      .catch((error: unknown) => this.#options.onError(error));
  }
}
