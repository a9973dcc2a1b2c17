import type { Job } from '../../src/protocol/jobs.ts';
import type { JobPlan, JobSimulation, JobSnapshot } from './job-simulation.ts';
import type { RedisJobStore } from './redis-job-store.ts';

/** Job ids are 12 base64url characters (`JobSimulation.start`); anything else is unknown, without asking Redis. */
const JOB_ID = /^[A-Za-z0-9_-]{12}$/;

/** Options of {@link SharedJobs}. */
export interface SharedJobsOptions {
  /** Runs the timers of the jobs started (or taken over) here, saving each change in `store`. */
  simulation: JobSimulation;
  store: RedisJobStore;
  /** Told when taking over an orphaned job fails. */
  onError: (error: unknown) => void;
}

/**
 * The jobs of every instance (lesson 8): a job starts here and runs its
 * timers here, but its state is read from Redis, so a poll that a load
 * balancer sends to any instance gets the same job, version and `ETag`.
 * Reading an orphaned job (its instance died) takes it over, so it does not
 * freeze (see {@link RedisJobStore}).
 */
export class SharedJobs {
  readonly #simulation: JobSimulation;
  readonly #store: RedisJobStore;
  readonly #onError: (error: unknown) => void;

  constructor(options: SharedJobsOptions) {
    this.#simulation = options.simulation;
    this.#store = options.store;
    this.#onError = options.onError;
  }

  /**
   * Starts a job and resolves once every instance can read it.
   * @throws {TooManyJobsError} when this instance runs `maxJobs` unfinished jobs.
   * @throws {BackplaneUnavailableError} when Redis cannot be reached (nothing keeps running).
   */
  async start(plan: JobPlan): Promise<Job> {
    const job = this.#simulation.start(plan);
    try {
      await this.#simulation.settled(job.id);
    } catch (error) {
      // The caller gets a 503 and will try again: a job it cannot know of must not run on.
      this.#simulation.discard(job.id);
      throw error;
    }
    return job;
  }

  /**
   * The current state of job `id`, whichever instance runs it; undefined if unknown or expired.
   * @throws {BackplaneUnavailableError} when Redis cannot be reached.
   */
  async get(id: string): Promise<Job | undefined> {
    if (!JOB_ID.test(id)) return undefined;
    const stored = await this.#store.read(id);
    if (!stored) return undefined;
    // Answered as stored; the next poll sees the job moving again.
    if (stored.orphaned) this.#takeOver(stored.snapshot);
    return stored.snapshot.job;
  }

  /** Runs an orphaned job here from its saved state, unless another instance claims it first. */
  #takeOver(snapshot: JobSnapshot): void {
    this.#store.claim(snapshot).then(
      (claimed) => {
        if (claimed) this.#simulation.adopt(snapshot);
      },
      (error: unknown) => this.#onError(new Error(`Could not take over job ${snapshot.job.id}`, { cause: error })),
    );
  }
}
