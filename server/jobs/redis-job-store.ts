import { randomBytes } from 'node:crypto';
import { JOB_LIMITS } from '../../src/protocol/jobs.ts';
import { callRedis } from '../redis/call-redis.ts';
import { luaScript, type RedisConnection } from '../redis/redis-connection.ts';
import type { JobSnapshot, JobStore } from './job-simulation.ts';

/**
 * How long past its due change a job's instance may stay silent before
 * another one takes the job over: room for timer lag and a slow save, and
 * short next to a reader watching a progress bar.
 */
export const TAKEOVER_GRACE_MS = 3_000;

/**
 * Saves a job's new state unless someone else moved it on: a newer version
 * is stored, or another instance holds the job. Then renews (or, once the
 * job is finished, drops) this instance's hold on it.
 * KEYS: state hash, owner. ARGV: snapshot JSON, version, instance, hold in
 * ms (0 = finished), state TTL in ms.
 */
const SAVE = luaScript(`
local stored = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local owner = redis.call('GET', KEYS[2])
if stored >= tonumber(ARGV[2]) or (owner and owner ~= ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'snapshot', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
if ARGV[4] == '0' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4]) end
return 1
`);

/** The state and who holds the job, in one step. KEYS: state hash, owner. */
const READ = luaScript(`
return {redis.call('HGET', KEYS[1], 'snapshot'), redis.call('GET', KEYS[2])}
`);

/** Lets go of a job only if this instance still holds it. KEYS: owner. ARGV: instance. */
const RELEASE = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** A stored job, as any instance reads it. */
export interface StoredJob {
  snapshot: JobSnapshot;
  /** Nobody holds the job though it is unfinished: its instance died or shut down. */
  orphaned: boolean;
}

/**
 * Jobs in Redis, so every instance answers their polls (lesson 8): one hash
 * per job (`<prefix>{job:<id>}:state`, the snapshot and its version) and the
 * instance running it (`…:owner`).
 *
 * Why the instance that runs the timers writes the state, rather than every
 * instance computing it from the plan and the start time: notes change a job
 * too (they bump its version, so the ETag), and they arrive as events, in an
 * order only one listener can be sure of. One writer per job keeps versions,
 * ETags and `job` events exactly as in one process.
 *
 * What if that instance dies? Its hold on the job (`owner`) lasts until the
 * job's next change is due plus {@link TAKEOVER_GRACE_MS}, renewed at every
 * change. Past that, the next poll of the job, on any instance, finds it
 * orphaned and that instance takes it over (`SET NX`, so only one does) and
 * goes on from the saved state: the job is late, never frozen. A graceful
 * shutdown hands its jobs back at once ({@link release}). Notes published
 * while nobody held the job are not applied, and a job nobody polls stays
 * where it stopped until it expires.
 */
export class RedisJobStore implements JobStore {
  readonly #redis: RedisConnection;
  readonly #retainMs: number;
  /** Who holds a job: this instance's name in the `owner` keys. */
  readonly #instance = randomBytes(9).toString('base64url');

  constructor(redis: RedisConnection, options: { retainMs?: number } = {}) {
    this.#redis = redis;
    this.#retainMs = options.retainMs ?? JOB_LIMITS.retainMs;
  }

  async save(snapshot: JobSnapshot): Promise<boolean> {
    const { job, nextChangeAt } = snapshot;
    const holdMs = nextChangeAt === undefined ? 0 : holdFor(nextChangeAt);
    const args = [JSON.stringify(snapshot), String(job.version), this.#instance, String(holdMs), String(holdMs + this.#retainMs)];
    const saved = await callRedis(this.#redis, () => this.#redis.runScript(SAVE, this.#keys(job.id), args));
    return saved === 1;
  }

  release(ids: string[]): void {
    for (const id of ids) {
      // EVAL, not EVALSHA: the connection closes right after, with no time for a NOSCRIPT round trip.
      // Best effort: if it fails, the hold simply expires and the job is taken over a little later.
      const command = ['EVAL', RELEASE.source, '1', this.#keys(id)[1], this.#instance];
      this.#redis.commands.sendCommand(command).catch(() => {});
    }
  }

  /** The stored job `id`, or undefined when there is none (never was, or expired). */
  async read(id: string): Promise<StoredJob | undefined> {
    const reply = await callRedis(this.#redis, () => this.#redis.runScript(READ, this.#keys(id), []));
    const [json, owner] = reply as [string | null, string | null];
    if (json === null) return undefined;
    const snapshot = JSON.parse(json) as JobSnapshot;
    return { snapshot, orphaned: owner === null && snapshot.nextChangeAt !== undefined };
  }

  /** Takes hold of an orphaned job; false when another instance was first. */
  async claim(snapshot: JobSnapshot): Promise<boolean> {
    const [, owner] = this.#keys(snapshot.job.id);
    const holdMs = holdFor(snapshot.nextChangeAt ?? Date.now());
    const reply = await callRedis(this.#redis, () =>
      this.#redis.commands.sendCommand(['SET', owner, this.#instance, 'NX', 'PX', String(holdMs)]),
    );
    return String(reply) === 'OK';
  }

  #keys(id: string): [state: string, owner: string] {
    // One hash tag per job: both keys on one slot of a Redis Cluster, as a script needs.
    const base = `${this.#redis.prefix}{job:${id}}`;
    return [`${base}:state`, `${base}:owner`];
  }
}

/** How long an instance holds a job whose next change is due at `nextChangeAt`. */
function holdFor(nextChangeAt: number): number {
  return Math.max(0, nextChangeAt - Date.now()) + TAKEOVER_GRACE_MS;
}
