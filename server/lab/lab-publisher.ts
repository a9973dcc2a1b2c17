/** Timers and time, injectable so tests can drive a run with mock timers. */
export interface PublisherClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: PublisherClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface LabPublisherOptions {
  /** Average events per minute. */
  ratePerMinute: number;
  durationMs: number;
  /** Publishes event number `seq` (1, 2, 3…). */
  publish(seq: number): void;
  /** Called once when the run ends by itself (not on {@link LabPublisher.stop}). */
  onFinish?(): void;
  clock?: PublisherClock;
  /** In [0, 1), like Math.random. */
  random?: () => number;
}

/** Events published in one timer callback at most, when the process fell behind (a pause, a GC). */
const MAX_CATCH_UP = 1_000;

// #region publisher
/**
 * Publishes events at an average rate for a while: the lab's event source.
 *
 * The gaps are random — each between half and one and a half times the
 * average — and so is the first one (up to one average gap). With perfectly
 * regular events, a poller's timer and the events would keep the same phase,
 * and every event would wait the same time for the next poll; random gaps
 * let the measured latencies spread over the whole polling interval, as they
 * would for real events.
 *
 * Each event is scheduled at an absolute time, so timer delays do not add up
 * (at 50 a second the timers fire ~20 ms apart and are often a little late).
 */
export class LabPublisher {
  readonly #options: LabPublisherOptions;
  readonly #clock: PublisherClock;
  readonly #random: () => number;
  readonly #meanGapMs: number;
  readonly startedAt: number;
  readonly endsAt: number;
  #nextAt: number;
  #published = 0;
  #timer: unknown = null;
  #state: 'running' | 'finished' | 'stopped' = 'running';
  #stoppedAt: number | null = null;

  constructor(options: LabPublisherOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#meanGapMs = 60_000 / options.ratePerMinute;
    this.startedAt = this.#clock.now();
    this.endsAt = this.startedAt + options.durationMs;
    this.#nextAt = this.startedAt + this.#random() * this.#meanGapMs;
    this.#schedule();
  }

  get state(): 'running' | 'finished' | 'stopped' {
    return this.#state;
  }

  get published(): number {
    return this.#published;
  }

  /** When publishing ended: `endsAt`, or earlier when stopped. */
  get endedAt(): number {
    return this.#stoppedAt ?? this.endsAt;
  }

  /** Stops publishing now. Idempotent. */
  stop(): void {
    if (this.#state !== 'running') return;
    this.#state = 'stopped';
    this.#stoppedAt = this.#clock.now();
    this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    const dueAt = Math.min(this.#nextAt, this.endsAt);
    this.#timer = this.#clock.setTimeout(() => this.#tick(), Math.max(0, dueAt - this.#clock.now()));
  }

  #tick(): void {
    this.#timer = null;
    if (this.#state !== 'running') return;
    const now = this.#clock.now();
    for (let burst = 0; this.#nextAt <= now && this.#nextAt < this.endsAt && burst < MAX_CATCH_UP; burst++) {
      this.#published += 1;
      this.#options.publish(this.#published);
      this.#nextAt += this.#meanGapMs * (0.5 + this.#random());
    }
    if (now >= this.endsAt || this.#nextAt >= this.endsAt) {
      if (now < this.endsAt) {
        // No event left in the run, but it is not over yet: finish on time.
        this.#timer = this.#clock.setTimeout(() => this.#finish(), this.endsAt - now);
        return;
      }
      this.#finish();
      return;
    }
    this.#schedule();
  }

  #finish(): void {
    this.#timer = null;
    if (this.#state !== 'running') return;
    this.#state = 'finished';
    this.#options.onFinish?.();
  }
}
// #endregion publisher
