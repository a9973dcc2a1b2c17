import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { BroadcastRecord } from '../../src/protocol/workshops.ts';
import { BackplaneUnavailableError } from '../redis/backplane-unavailable.ts';
import { callRedis } from '../redis/call-redis.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import { KeyedQueue } from './keyed-queue.ts';
import {
  leaseChanges,
  type LearnerMembership,
  type MemberLive,
  type MemberLiveUpdate,
  type OpenStream,
  type WorkshopLiveState,
} from './live-state.ts';
import type { StreamLease } from './presence.ts';
import { learnerKey, memberKeys, workshopKeys, type MemberKeys } from './redis-live-keys.ts';
import { ACQUIRE_MEMBER, ADD_BROADCAST, READ_MEMBER, RELEASE_MEMBER, UNLOCK } from './redis-live-scripts.ts';

/** Options of {@link RedisLiveState}. */
export interface RedisLiveStateOptions {
  redis: RedisConnection;
  /** How long a member's record, a workshop's index, its broadcasts and a learner's memberships outlive their last change. Default one day. */
  recordTtlMs?: number;
  /** The longest a lock is held: an instance that dies holding one frees it after this. Default 5 s. */
  lockMs?: number;
}

/** Longest pause between two tries to take a lock someone else holds. */
const MAX_LOCK_RETRY_MS = 50;

/**
 * The {@link WorkshopLiveState} shared by every instance (lesson 8). Keys in
 * `redis-live-keys.ts`, the atomic steps in `redis-live-scripts.ts`.
 *
 * A member's update takes the member's lock and reads the record in one
 * script, and writes and releases in another, so updates of one member run
 * one at a time across the cluster: the view each sends the host is read
 * after the one before it was sent. The lock has a TTL, so an instance that
 * dies holding it delays the member's next update by at most that; an
 * update whose lock expired under it writes nothing and runs again. Updates
 * of one member within this instance queue here first, so an instance never
 * contends with itself.
 */
export class RedisLiveState implements WorkshopLiveState {
  readonly #redis: RedisConnection;
  readonly #recordTtlMs: string;
  readonly #lockMs: number;
  readonly #queues = new KeyedQueue();

  constructor(options: RedisLiveStateOptions) {
    this.#redis = options.redis;
    this.#recordTtlMs = String(options.recordTtlMs ?? 24 * 60 * 60_000);
    this.#lockMs = options.lockMs ?? 5_000;
  }

  updateMember(workshopId: string, memberId: string, update: (live: MemberLive) => Promise<MemberLiveUpdate>): Promise<void> {
    return this.#queues.run(`member ${workshopId} ${memberId}`, async () => {
      const keys = memberKeys(this.#redis.prefix, workshopId, memberId);
      // Twice at most: a second lost lock means Redis or this process is stalling far beyond the lock's TTL.
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        const token = newToken();
        const before = await this.#acquireMember(keys, token);
        let decided: MemberLiveUpdate;
        try {
          decided = await update(before);
        } catch (error) {
          await this.#unlock(keys.lock, token);
          throw error;
        }
        const [written] = await Promise.all([
          this.#release(workshopId, memberId, keys, token, before.presence.streams, decided),
          this.#follow(decided.learner),
        ]);
        if (written) return;
      }
      throw new BackplaneUnavailableError(`The live state of member ${memberId} stayed locked past ${this.#lockMs} ms twice`);
    });
  }

  async exclusive<T>(workshopId: string, task: () => Promise<T>): Promise<T> {
    return this.#queues.run(`workshop ${workshopId}`, async () => {
      const { lock } = workshopKeys(this.#redis.prefix, workshopId);
      const token = newToken();
      await this.#untilLocked(lock, () =>
        this.#call(() => this.#redis.commands.sendCommand(['SET', lock, token, 'NX', 'PX', String(this.#lockMs)])),
      );
      try {
        return await task();
      } finally {
        await this.#unlock(lock, token);
      }
    });
  }

  async readMembers(workshopId: string, memberIds: readonly string[]): Promise<Map<string, MemberLive>> {
    // Issued in one tick, the scripts go to Redis as one pipeline.
    const replies = await this.#call(() =>
      Promise.all(
        memberIds.map((memberId) => {
          const keys = memberKeys(this.#redis.prefix, workshopId, memberId);
          return this.#redis.runScript(READ_MEMBER, [keys.member, keys.streams], []) as Promise<[string[], string[]]>;
        }),
      ),
    );
    return new Map(memberIds.map((id, index) => [id, parseMemberLive(...replies[index]!)]));
  }

  async dueMembers(workshopId: string, now: number): Promise<{ due: string[]; online: number }> {
    const { online } = workshopKeys(this.#redis.prefix, workshopId);
    const [due, count] = await this.#call(() =>
      Promise.all([
        this.#redis.commands.sendCommand(['ZRANGE', online, '-inf', String(now), 'BYSCORE']) as Promise<string[]>,
        this.#redis.commands.sendCommand(['ZCARD', online]) as Promise<number>,
      ]),
    );
    return { due, online: count };
  }

  async renewStreams(streams: readonly OpenStream[], expiresAt: number): Promise<void> {
    await this.#call(() =>
      Promise.all(
        streams.map(({ workshopId, memberId, streamId }) =>
          // XX: only a lease still there; a stream that closed meanwhile is not brought back.
          this.#redis.commands.sendCommand([
            'ZADD',
            memberKeys(this.#redis.prefix, workshopId, memberId).streams,
            'XX',
            String(expiresAt),
            streamId,
          ]),
        ),
      ),
    );
  }

  async addBroadcast(workshopId: string, record: BroadcastRecord, keep: number): Promise<void> {
    const { broadcasts } = workshopKeys(this.#redis.prefix, workshopId);
    await this.#call(() => this.#redis.runScript(ADD_BROADCAST, [broadcasts], [JSON.stringify(record), String(keep), this.#recordTtlMs]));
  }

  async broadcasts(workshopId: string): Promise<BroadcastRecord[]> {
    const { broadcasts } = workshopKeys(this.#redis.prefix, workshopId);
    const entries = (await this.#call(() => this.#redis.commands.sendCommand(['LRANGE', broadcasts, '0', '-1']))) as string[];
    return entries.map((json) => JSON.parse(json) as BroadcastRecord);
  }

  async membershipsOf(learnerId: string): Promise<LearnerMembership[]> {
    const entries = (await this.#call(() =>
      this.#redis.commands.sendCommand(['SMEMBERS', learnerKey(this.#redis.prefix, learnerId)]),
    )) as string[];
    return entries.map((entry) => {
      const [code, memberId] = entry.split(' ') as [string, string];
      return { code, memberId };
    });
  }

  forget(): void {
    // Other instances may still watch the workshop; its keys expire by themselves.
  }

  /** Takes the member's lock (waiting while another holds it) and reads the member. */
  async #acquireMember(keys: MemberKeys, token: string): Promise<MemberLive> {
    let record: MemberLive | undefined;
    await this.#untilLocked(keys.lock, async () => {
      const reply = (await this.#call(() =>
        this.#redis.runScript(ACQUIRE_MEMBER, [keys.lock, keys.member, keys.streams], [token, String(this.#lockMs)]),
      )) as [string[], string[]] | null;
      if (reply) record = parseMemberLive(...reply);
      return reply;
    });
    return record!;
  }

  /** Calls `tryLock` until it answers something (the lock was taken), for twice the lock's TTL at most. */
  async #untilLocked(lock: string, tryLock: () => Promise<unknown>): Promise<void> {
    const deadline = Date.now() + 2 * this.#lockMs;
    for (let pause = 1; (await tryLock()) === null; pause = Math.min(pause * 2, MAX_LOCK_RETRY_MS)) {
      if (Date.now() > deadline) throw new BackplaneUnavailableError(`${lock} stayed locked for ${2 * this.#lockMs} ms`);
      // Jittered, so two instances waiting on one lock do not retry in step.
      await delay(pause / 2 + Math.random() * pause);
    }
  }

  async #release(
    workshopId: string,
    memberId: string,
    keys: MemberKeys,
    token: string,
    leasesBefore: readonly StreamLease[],
    { live, offlineAt }: MemberLiveUpdate,
  ): Promise<boolean> {
    const { online } = workshopKeys(this.#redis.prefix, workshopId);
    const { added, removed } = leaseChanges(leasesBefore, live.presence.streams);
    const written = await this.#call(() =>
      this.#redis.runScript(
        RELEASE_MEMBER,
        [keys.lock, keys.member, keys.streams, online],
        [
          token,
          this.#recordTtlMs,
          memberId,
          offlineAt === null ? '' : String(offlineAt),
          String(removed.length),
          ...removed,
          String(added.length),
          ...added.flatMap((lease) => [lease.id, String(lease.expiresAt)]),
          ...memberLiveFields(live),
        ],
      ),
    );
    return written === 1;
  }

  async #follow({ id, membership, present }: MemberLiveUpdate['learner']): Promise<void> {
    const key = learnerKey(this.#redis.prefix, id);
    const entry = `${membership.code} ${membership.memberId}`;
    const commands = present
      ? [
          ['SADD', key, entry],
          ['PEXPIRE', key, this.#recordTtlMs],
        ]
      : [['SREM', key, entry]];
    await this.#call(() => Promise.all(commands.map((command) => this.#redis.commands.sendCommand(command))));
  }

  async #unlock(lock: string, token: string): Promise<void> {
    // Not releasing is safe (the lock expires); failing the caller for it is not.
    await this.#redis.runScript(UNLOCK, [lock], [token]).catch(() => {});
  }

  #call<T>(call: () => Promise<T>): Promise<T> {
    return callRedis(this.#redis, call);
  }
}

function newToken(): string {
  return randomBytes(9).toString('base64url');
}

/** A member's record as hash fields and values (numbers in decimal, '' for null). */
function memberLiveFields(live: MemberLive): string[] {
  const { presence } = live;
  return [
    'seen',
    String(presence.lastSeenAt ?? ''),
    'closed',
    String(presence.lastStreamClosedAt ?? ''),
    'without',
    presence.withoutStream ? '1' : '',
    'lesson',
    live.lesson ?? '',
    // Channel names are [A-Za-z0-9_-]: a space never occurs in one.
    'channels',
    live.channels.join(' '),
    'progress',
    live.progress === null ? '' : JSON.stringify(live.progress),
    'sent',
    live.sentKey,
  ];
}

/** A member's record from `HGETALL` and its leases from `ZRANGE … WITHSCORES` (an empty record when it has none). */
function parseMemberLive(flatFields: string[], flatLeases: string[]): MemberLive {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flatFields.length; i += 2) fields.set(flatFields[i]!, flatFields[i + 1]!);
  const text = (name: string) => fields.get(name) || null;
  const time = (name: string) => (text(name) === null ? null : Number(text(name)));
  const streams: StreamLease[] = [];
  for (let i = 0; i + 1 < flatLeases.length; i += 2) streams.push({ id: flatLeases[i]!, expiresAt: Number(flatLeases[i + 1]) });
  return {
    presence: {
      lastSeenAt: time('seen'),
      streams,
      lastStreamClosedAt: time('closed'),
      withoutStream: text('without') !== null,
    },
    lesson: text('lesson'),
    channels: text('channels')?.split(' ') ?? [],
    progress: text('progress') === null ? null : JSON.parse(text('progress')!),
    sentKey: fields.get('sent') ?? '',
  };
}
