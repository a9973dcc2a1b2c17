import { randomBytes } from 'node:crypto';
import type { ChannelEvent } from '../../src/protocol/events.ts';
import { isNoteEventData, isTerminal, JOB_EVENT_TYPE, JOB_LIMITS, NOTE_EVENT_TYPE, type Job } from '../../src/protocol/jobs.ts';
import type { EventBus } from '../events/event-bus.ts';

/** A validated request to start a job (see `parseStartJobRequest`). */
export interface JobPlan {
  channel: string;
  durationMs: number;
  outcome: 'succeeded' | 'failed';
}

/** A job's state as kept for other instances: enough to answer its polls, or to take it over. */
export interface JobSnapshot {
  job: Job;
  plan: JobPlan;
  /** When the job's next change is due; undefined once it is finished. */
  nextChangeAt: number | undefined;
}

/**
 * Where a {@link JobSimulation} saves each change before publishing it, so
 * that every instance can read its jobs (`redis-job-store.ts`). Without one,
 * jobs live in this process only.
 */
export interface JobStore {
  /**
   * Saves the job's new state. Resolves false when another instance has
   * taken the job over meanwhile: this one must drop it.
   */
  save(snapshot: JobSnapshot): Promise<boolean>;
  /** Hands back the unfinished jobs of an instance that is closing, so another one can take them over at once. */
  release(ids: string[]): void;
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
  /** Saves every change before it is published; default none (the jobs live in this process only). */
  store?: JobStore;
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
  /** When the pending timer makes the next change; undefined once finished. */
  nextChangeAt: number | undefined;
  /** The latest change, saved and published (or failed to be). */
  settled: Promise<void>;
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
  readonly #store: JobStore | undefined;
  readonly #limits: JobSimulationLimits;
  readonly #onError: (error: unknown) => void;
  /** In creation order, so the first finished job found is the oldest. */
  readonly #records = new Map<string, JobRecord>();
  readonly #watches = new Map<string, ChannelWatch>();
  #closed = false;

  constructor(options: JobSimulationOptions) {
    this.#bus = options.bus;
    this.#store = options.store;
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
    const record = this.#hold(job, plan, now + this.#limits.queuedMs + plan.durationMs);
    // Scheduled first, so the saved state knows when its next change is due.
    this.#schedule(record, this.#limits.queuedMs, () => this.#run(record));
    this.#publish(record);
    return job;
  }

  /**
   * Takes over a job another instance ran and abandoned (it was killed, or
   * shut down): its next change is made as soon as it is due, and it goes on
   * from there as if it had always run here. Does nothing when this instance
   * is closed or has no free slot (another instance may take it).
   */
  adopt({ job, plan, nextChangeAt }: JobSnapshot): void {
    if (this.#closed || this.#records.has(job.id) || isTerminal(job.state)) return;
    try {
      this.#makeRoom();
    } catch {
      return;
    }
    const dueInMs = Math.max(0, (nextChangeAt ?? 0) - Date.now());
    const left = job.state === 'queued' ? plan.durationMs : ((100 - job.progress) / 100) * plan.durationMs;
    const record = this.#hold(job, plan, Date.now() + dueInMs + left);
    this.#schedule(record, dueInMs, () => (job.state === 'queued' ? this.#run(record) : this.#step(record)));
  }

  /**
   * Resolves once the latest change of job `id` is saved (with a store) and
   * published; rejects when it could not be.
   */
  settled(id: string): Promise<void> {
    return this.#records.get(id)?.settled ?? Promise.resolve();
  }

  /** Stops job `id` and forgets it, e.g. when its start could not be saved. */
  discard(id: string): void {
    const record = this.#records.get(id);
    if (record) this.#drop(record);
  }

  /** The current state of job `id`, or `undefined` if unknown or forgotten. */
  get(id: string): Job | undefined {
    return this.#records.get(id)?.job;
  }

  /** Stops every job where it is, clears every timer and subscription; the store gets the unfinished ones back. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const unfinished = [...this.#records.values()].filter((record) => !isTerminal(record.job.state));
    if (unfinished.length > 0) this.#store?.release(unfinished.map((record) => record.job.id));
    for (const record of this.#records.values()) clearTimeout(record.timer);
    for (const watch of this.#watches.values()) watch.unsubscribe();
    this.#records.clear();
    this.#watches.clear();
  }

  /** Holds a job here: its record, and the channel subscription that brings it notes. */
  #hold(job: Job, plan: JobPlan, finishesAt: number): JobRecord {
    const record: JobRecord = {
      job,
      plan,
      timer: undefined,
      finishesAt,
      nextChangeAt: undefined,
      settled: Promise.resolve(),
    };
    this.#records.set(job.id, record);
    this.#watch(record);
    return record;
  }

  #run(record: JobRecord): void {
    this.#schedule(record, record.plan.durationMs / (100 / PROGRESS_STEP), () => this.#step(record));
    this.#change(record, { state: 'running', progress: 0 });
  }

  #step(record: JobRecord): void {
    const progress = record.job.progress + PROGRESS_STEP;
    if (progress < 100) {
      this.#schedule(record, record.plan.durationMs / (100 / PROGRESS_STEP), () => this.#step(record));
      this.#change(record, { progress });
      return;
    }
    const outcome = record.plan.outcome;
    this.#unwatch(record);
    this.#forgetLater(record);
    this.#change(record, outcome === 'succeeded' ? { state: outcome, progress: 100 } : { state: outcome });
  }

  /** Applies a change: a new job object (snapshots already handed out stay as they were), version + 1, published. */
  #change(record: JobRecord, change: Partial<Pick<Job, 'state' | 'progress' | 'note'>>): void {
    record.job = { ...record.job, ...change, version: record.job.version + 1, updatedAt: Date.now() };
    this.#publish(record);
  }

  /** Saves the change (with a store), then publishes it: whoever sees the event can poll that version anywhere. */
  #publish(record: JobRecord): void {
    const { job } = record;
    const publish = () => this.#bus.publish(job.channel, JOB_EVENT_TYPE, job).then(() => {});
    const store = this.#store;
    if (!store) {
      // Published now, not a tick later: in one process, a change and its event are one step.
      record.settled = publish();
    } else {
      const snapshot: JobSnapshot = { job, plan: record.plan, nextChangeAt: record.nextChangeAt };
      const previous = record.settled.catch(() => {});
      // After the previous change's save: events go out in version order.
      record.settled = previous.then(async () => {
        // Closed: the job was handed back, and a save now would claim it again.
        if (this.#closed) return;
        if (await store.save(snapshot)) return publish();
        // Another instance took the job over (this one looked dead to it): it is theirs now.
        this.#drop(record);
      });
    }
    record.settled.catch(this.#onError);
  }

  /** The job's next change, `delayMs` from now. */
  #schedule(record: JobRecord, delayMs: number, next: () => void): void {
    record.nextChangeAt = Date.now() + delayMs;
    this.#setTimer(record, delayMs, next);
  }

  /** A finished job stays readable for `retainMs`, then goes. */
  #forgetLater(record: JobRecord): void {
    record.nextChangeAt = undefined;
    this.#setTimer(record, this.#limits.retainMs, () => this.#records.delete(record.job.id));
  }

  #setTimer(record: JobRecord, delayMs: number, next: () => void): void {
    clearTimeout(record.timer);
    record.timer = setTimeout(next, delayMs);
    // A simulation must never keep the process alive on its own (tests, graceful shutdown).
    record.timer.unref();
  }

  /** Stops the job and forgets it at once. */
  #drop(record: JobRecord): void {
    clearTimeout(record.timer);
    this.#unwatch(record);
    if (this.#records.get(record.job.id) === record) this.#records.delete(record.job.id);
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
