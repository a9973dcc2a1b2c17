import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_TYPES } from '../../src/protocol/problem.ts';
import { HttpProblem } from '../http/problem.ts';
import type { RouteContext } from '../http/router.ts';
import { rejectUpgrade } from '../websocket/reject-upgrade.ts';
import { EXERCISE_RUN_LIMITS, type ExerciseRun, type ExerciseVerdict, type VerdictCheck } from '../../src/protocol/exercise-runs.ts';
import type { ExerciseKind, OpenExercise } from './exercise-kind.ts';
import type { VerifiedStore } from './verified-store.ts';

/** A run as the registry keeps it. */
interface RunRecord {
  readonly run: ExerciseRun;
  readonly learnerId: string;
  readonly exercise: OpenExercise;
  readonly timer: NodeJS.Timeout;
  /** Set once the run is over: its final verdict (with `verifiedAt` when passed). */
  ended?: Promise<ExerciseVerdict>;
}

export interface ExerciseRunRegistryOptions {
  kinds: readonly ExerciseKind[];
  verified: VerifiedStore;
  limits?: Partial<typeof EXERCISE_RUN_LIMITS>;
  /** Told after a pass is recorded (a workshop's dashboard shows it). */
  onVerified?: (learnerId: string) => void;
  /** Told when a pass could not be recorded (the database failed). */
  onError?: (error: unknown) => void;
}

/** Thrown when a learner asks for a run that is not theirs, or no longer kept. */
export class UnknownRunError extends Error {
  override name = 'UnknownRunError';
}

/**
 * The exercise runs of this instance: starts them for a learner, answers
 * their verdict, and ends them — when the learner's client is done, when
 * their time is up, or when the learner starts one run too many. A run that
 * passes every check is recorded in the {@link VerifiedStore}.
 */
export class ExerciseRunRegistry {
  readonly #kinds: ReadonlyMap<string, ExerciseKind>;
  readonly #verified: VerifiedStore;
  readonly #limits: typeof EXERCISE_RUN_LIMITS;
  readonly #onVerified: (learnerId: string) => void;
  readonly #onError: (error: unknown) => void;
  /** In start order, so a learner's oldest open run is found first. */
  readonly #runs = new Map<string, RunRecord>();

  constructor({ kinds, verified, limits, onVerified = () => {}, onError = () => {} }: ExerciseRunRegistryOptions) {
    this.#kinds = new Map(kinds.map((kind) => [`${kind.lesson}/${kind.exercise}`, kind]));
    this.#verified = verified;
    this.#limits = { ...EXERCISE_RUN_LIMITS, ...limits };
    this.#onVerified = onVerified;
    this.#onError = onError;
  }

  /** The exercises a run can be started for, as `lesson/exercise`. */
  names(): string[] {
    return [...this.#kinds.keys()];
  }

  /** Whether a run of `lesson`'s `exercise` can be started. */
  has(lesson: string, exercise: string): boolean {
    return this.#kinds.has(`${lesson}/${exercise}`);
  }

  /** Starts a run of `lesson`'s `exercise` for the learner; its URLs start with `origin`. */
  async start(learnerId: string, lesson: string, exercise: string, origin: string): Promise<ExerciseRun> {
    const kind = this.#kinds.get(`${lesson}/${exercise}`);
    if (!kind) throw new UnknownRunError(`No exercise ${lesson}/${exercise}.`);
    const id = randomBytes(16).toString('base64url');
    const channel = `exercise-${id.slice(0, 16)}`;
    const opened = await kind.open({ id, channel, origin, maxRequests: this.#limits.maxRequests });
    const startedAt = Date.now();
    const run: ExerciseRun = {
      id,
      lesson,
      exercise,
      channel,
      urls: opened.urls,
      startedAt,
      endsAt: startedAt + this.#limits.maxDurationMs,
    };
    const timer = setTimeout(() => void this.#end(record), this.#limits.maxDurationMs);
    timer.unref();
    const record: RunRecord = { run, learnerId, exercise: opened, timer };
    this.#runs.set(id, record);
    // Counted once this run is in: starts that were opening at the same time cannot all slip under the cap.
    const open = [...this.#runs.values()].filter((candidate) => candidate.learnerId === learnerId && !candidate.ended);
    for (const oldest of open.slice(0, Math.max(0, open.length - this.#limits.maxOpenRunsPerLearner))) void this.#end(oldest);
    return run;
  }

  /** How long a run is kept after it ends, for its verdict. */
  get retainMs(): number {
    return this.#limits.retainMs;
  }

  /** The verdict so far of the learner's run `id`. */
  async verdict(id: string, learnerId: string): Promise<ExerciseVerdict> {
    const record = this.#own(id, learnerId);
    return record.ended ?? verdictOf(record, 'running', record.exercise.checks(false));
  }

  /**
   * A WebSocket upgrade on run `id`'s socket URL. The id is the capability:
   * learner code in the sandbox sends no cookie. Refused (404) for a run that
   * is over, unknown, or has no socket.
   */
  upgrade(id: string, request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const record = this.#runs.get(id);
    if (record && !record.ended && record.exercise.upgrade) return record.exercise.upgrade(request, socket, head);
    rejectUpgrade(socket, {
      status: 404,
      type: PROBLEM_TYPES.unknownExerciseRun,
      detail: 'No exercise run with a socket has this id now; start a new run.',
    });
  }

  /**
   * A request on one of run `id`'s own URLs. The id is the capability, as for
   * the socket. 404 for a run that is over, unknown, or has no such URLs.
   */
  async serve(id: string, context: RouteContext): Promise<void> {
    const record = this.#runs.get(id);
    if (record && !record.ended && record.exercise.serve) return record.exercise.serve(context);
    throw new HttpProblem({
      status: 404,
      type: PROBLEM_TYPES.unknownExerciseRun,
      detail: 'No exercise run has this URL now; start a new run.',
    });
  }

  /** Ends the learner's run `id` (if not yet) and answers its final verdict. */
  finish(id: string, learnerId: string): Promise<ExerciseVerdict> {
    return this.#end(this.#own(id, learnerId));
  }

  /** Ends every run without judging it, e.g. when the server closes. */
  close(): void {
    for (const record of this.#runs.values()) {
      clearTimeout(record.timer);
      record.exercise.close();
    }
    this.#runs.clear();
  }

  #own(id: string, learnerId: string): RunRecord {
    const record = this.#runs.get(id);
    // Another learner's run is answered as unknown: its id is not theirs to learn about.
    if (!record || record.learnerId !== learnerId) throw new UnknownRunError(`No run ${id} of this learner.`);
    return record;
  }

  /** Ends the run once (by the learner, its timer or the cap, whichever comes first) and keeps its verdict for `retainMs`. */
  #end(record: RunRecord): Promise<ExerciseVerdict> {
    record.ended ??= this.#judge(record).finally(() => setTimeout(() => this.#runs.delete(record.run.id), this.#limits.retainMs).unref());
    return record.ended;
  }

  async #judge(record: RunRecord): Promise<ExerciseVerdict> {
    clearTimeout(record.timer);
    record.exercise.close();
    const checks = record.exercise.checks(true);
    const passed = checks.every((check) => check.state === 'passed');
    const verdict = verdictOf(record, passed ? 'passed' : 'failed', checks);
    if (!passed) return verdict;
    try {
      const { lesson, exercise } = record.run;
      verdict.verifiedAt = await this.#verified.record(record.learnerId, lesson, exercise, Date.now());
      this.#onVerified(record.learnerId);
    } catch (error) {
      // Passed, but the database could not keep it: the verdict says so by having no `verifiedAt`; another run can.
      this.#onError(error);
    }
    return verdict;
  }
}

function verdictOf(record: RunRecord, state: ExerciseVerdict['state'], checks: VerdictCheck[]): ExerciseVerdict {
  return { run: record.run, state, checks, requests: record.exercise.requests };
}
