import { randomBytes } from 'node:crypto';
import { type ChannelEvent } from '../../src/protocol/events.ts';
import {
  isNoteEventData,
  isTerminal,
  JOB_EVENT_TYPE,
  JOB_LIMITS,
  NOTE_EVENT_TYPE,
  type Job,
} from '../../src/protocol/jobs.ts';
import { type EventBus } from '../events/event-bus.ts';

/** A validated request to start a job (see `parseStartJobRequest`). */
export interface JobPlan {
  channel: string;
  durationMs: number;
  outcome: 'succeeded' | 'failed';
}

/** Limits of a {@link JobSimulation}; tests shrink them. */
export interface JobSimulationLimits {
  /** Time spent queued before running; default `JOB_LIMITS.queuedMs`. */
  queuedMs: number;
  /** Finished jobs are forgotten after this long; default `JOB_LIMITS.retainMs`. */
  retainMs: number;
  /** Jobs held at once; default `JOB_LIMITS.maxJobs`. */
  maxJobs: number;
}

/** Options of {@link JobSimulation}. */
export interface JobSimulationOptions {
  bus: EventBus;
  limits?: Partial<JobSimulationLimits>;
  /** Told when publishing a job change fails; default `console.error`. */
  onError?: (error: unknown) => void;
}

/** Thrown by {@link JobSimulation.start} when every slot holds an unfinished job. */
export class TooManyJobsError extends Error {
  override name = 'TooManyJobsError';
  /** Seconds until the first unfinished job is expected to finish (at least 1). */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(`Too many jobs are running; retry in ${retryAfterSeconds} s.`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The progress a running job reaches at each step: 10 steps over its duration. */
const PROGRESS_STEP = 10;

interface JobRecord {
  job: Job;
  plan: JobPlan;
  /** The one pending timer of this job (next step, or being forgotten); jobs never hold two. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** When the job is expected to finish, for `Retry-After`. */
  finishesAt: number;
}

/** Unfinished jobs of one channel and the single bus subscription that brings them notes. */
interface ChannelWatch {
  jobs: Set<JobRecord>;
  unsubscribe: () => void;
}

/**
 * Simulated background jobs, the subject of the short-polling lesson. A job is
 * `queued` for `queuedMs`, then `running` with `progress` rising by 10 every
 * `durationMs / 10`, then `succeeded` (at 100 %) or `failed` (at 90 %).
 *
 * Every change bumps `version` and `updatedAt` and is published on the job's
 * channel as an event of type `job` whose data is the job. While unfinished, a
 * job listens to its channel: a `note` event (`data: {text}`) sets its `note`.
 *
 * Memory is bounded: at most `maxJobs` jobs (the oldest finished one makes
 * room; when none has finished, {@link TooManyJobsError}), and finished jobs
 * are forgotten after `retainMs`. Timers are unref'd and chained (one per job
 * at a time); {@link close} clears them all.
 */
export class JobSimulation {
  readonly #bus: EventBus;
  readonly #limits: JobSimulationLimits;
  readonly #onError: (error: unknown) => void;
  /** In creation order, so the first finished job found is the oldest. */
  readonly #records = new Map<string, JobRecord>();
  readonly #watches = new Map<string, ChannelWatch>();
  #closed = false;

  constructor(options: JobSimulationOptions) {
    this.#bus = options.bus;
    const { queuedMs, retainMs, maxJobs } = JOB_LIMITS;
    this.#limits = { queuedMs, retainMs, maxJobs, ...options.limits };
    this.#onError = options.onError ?? ((error) => console.error('Could not publish a job change:', error));
  }

  /** Number of jobs held (unfinished and finished). */
  get size(): number {
    return this.#records.size;
  }

  /**
   * Starts a job following `plan` and publishes its first state.
   * @throws {TooManyJobsError} when `maxJobs` unfinished jobs exist.
   */
  start(plan: JobPlan): Job {
    if (this.#closed) throw new Error('The job simulation is closed.');
    this.#makeRoom();
    const now = Date.now();
    const job: Job = {
      id: randomBytes(9).toString('base64url'),
      channel: plan.channel,
      state: 'queued',
      progress: 0,
      note: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    const record: JobRecord = {
      job,
      plan,
      timer: undefined,
      finishesAt: now + this.#limits.queuedMs + plan.durationMs,
    };
    this.#records.set(job.id, record);
    this.#watch(record);
    this.#publish(record);
    this.#schedule(record, this.#limits.queuedMs, () => this.#run(record));
    return job;
  }

  /** The current state of job `id`, or `undefined` if unknown or forgotten. */
  get(id: string): Job | undefined {
    return this.#records.get(id)?.job;
  }

  /** Stops every job where it is, clears every timer and subscription. */
  close(): void {
    this.#closed = true;
    for (const record of this.#records.values()) clearTimeout(record.timer);
    for (const watch of this.#watches.values()) watch.unsubscribe();
    this.#records.clear();
    this.#watches.clear();
  }

  #run(record: JobRecord): void {
    this.#change(record, { state: 'running', progress: 0 });
    this.#schedule(record, record.plan.durationMs / (100 / PROGRESS_STEP), () => this.#step(record));
  }

  #step(record: JobRecord): void {
    const progress = record.job.progress + PROGRESS_STEP;
    if (progress < 100) {
      this.#change(record, { progress });
      this.#schedule(record, record.plan.durationMs / (100 / PROGRESS_STEP), () => this.#step(record));
      return;
    }
    const outcome = record.plan.outcome;
    this.#unwatch(record);
    this.#change(record, outcome === 'succeeded' ? { state: outcome, progress: 100 } : { state: outcome });
    this.#schedule(record, this.#limits.retainMs, () => this.#records.delete(record.job.id));
  }

  /** Applies a change: a new job object (snapshots already handed out stay as they were), version + 1, published. */
  #change(record: JobRecord, change: Partial<Pick<Job, 'state' | 'progress' | 'note'>>): void {
    record.job = { ...record.job, ...change, version: record.job.version + 1, updatedAt: Date.now() };
    this.#publish(record);
  }

  #publish(record: JobRecord): void {
    this.#bus.publish(record.job.channel, JOB_EVENT_TYPE, record.job).catch(this.#onError);
  }

  #schedule(record: JobRecord, delayMs: number, next: () => void): void {
    clearTimeout(record.timer);
    record.timer = setTimeout(next, delayMs);
    // A simulation must never keep the process alive on its own (tests, graceful shutdown).
    record.timer.unref();
  }

  /** Frees one slot when full: the oldest finished job goes; with none finished, refuse. */
  #makeRoom(): void {
    if (this.#records.size < this.#limits.maxJobs) return;
    let firstToFinish = Infinity;
    for (const record of this.#records.values()) {
      if (isTerminal(record.job.state)) {
        clearTimeout(record.timer);
        this.#records.delete(record.job.id);
        return;
      }
      firstToFinish = Math.min(firstToFinish, record.finishesAt);
    }
    throw new TooManyJobsError(Math.max(1, Math.ceil((firstToFinish - Date.now()) / 1000)));
  }

  #watch(record: JobRecord): void {
    const channel = record.job.channel;
    let watch = this.#watches.get(channel);
    if (!watch) {
      const jobs = new Set<JobRecord>();
      const unsubscribe = this.#bus.subscribe(channel, (event) => this.#onChannelEvent(jobs, event));
      watch = { jobs, unsubscribe };
      this.#watches.set(channel, watch);
    }
    watch.jobs.add(record);
  }

  #unwatch(record: JobRecord): void {
    const channel = record.job.channel;
    const watch = this.#watches.get(channel);
    if (!watch) return;
    watch.jobs.delete(record);
    // The last unfinished job of the channel is done: stop listening, or the subscription leaks.
    if (watch.jobs.size === 0) {
      watch.unsubscribe();
      this.#watches.delete(channel);
    }
  }

  #onChannelEvent(jobs: Set<JobRecord>, event: ChannelEvent): void {
    // Anything but a well-formed note is someone else's event (or rejected earlier by the route).
    if (event.type !== NOTE_EVENT_TYPE || !isNoteEventData(event.data)) return;
    const text = event.data.text;
    for (const record of [...jobs]) {
      // The same note again changes nothing, so the version (and the ETag) must not change either.
      if (record.job.note !== text) this.#change(record, { note: text });
    }
  }
}
