import { luaScript } from '../redis/redis-connection.ts';

/**
 * The workshops' changes to Redis that must be atomic, one Lua script each
 * (Redis runs a script alone). A member's record is only written by the
 * holder of the member's lock, so the lock and the read it guards are one
 * step, and so are the write and the release. JSON is never decoded in Lua:
 * the server encodes each field.
 */

/**
 * Takes the member's lock if it is free, and reads the member.
 * KEYS: lock, member, streams. ARGV: token, lock TTL (ms).
 * Returns false when another holds the lock, else `{record fields and values, stream ids and lease ends}`.
 */
export const ACQUIRE_MEMBER = luaScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return { redis.call('HGETALL', KEYS[2]), redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES') }
`);

/**
 * Reads a member as {@link ACQUIRE_MEMBER} does, without the lock (a script,
 * so the reply has the same shape whatever protocol the connection speaks).
 * KEYS: member, streams.
 */
export const READ_MEMBER = luaScript(`
return { redis.call('HGETALL', KEYS[1]), redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES') }
`);

/**
 * Writes what an update decided and releases the lock — unless the lock was
 * lost (it expired while the update ran, and another took it): then nothing
 * is written and the update must run again.
 *
 * KEYS: lock, member, streams, online.
 * ARGV: token, record TTL (ms), member id, offline time (ms, '' when offline),
 * removed lease count, their ids…, added lease count, their id and end pairs…,
 * then the record's field and value pairs.
 * Returns 1 when written, 0 when the lock was lost.
 */
export const RELEASE_MEMBER = luaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local at = 5
local removed = tonumber(ARGV[at])
for i = 1, removed do redis.call('ZREM', KEYS[3], ARGV[at + i]) end
at = at + removed + 1
local added = tonumber(ARGV[at])
for i = 1, added do redis.call('ZADD', KEYS[3], ARGV[at + 2 * i], ARGV[at + 2 * i - 1]) end
at = at + 2 * added + 1
redis.call('HSET', KEYS[2], unpack(ARGV, at))
if ARGV[4] == '' then redis.call('ZREM', KEYS[4], ARGV[3]) else redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3]) end
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
redis.call('DEL', KEYS[1])
return 1
`);

/** Releases a lock still held with this token. KEYS: lock. ARGV: token. */
export const UNLOCK = luaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** Keeps a broadcast among the newest. KEYS: broadcasts. ARGV: record JSON, how many to keep, TTL (ms). */
export const ADD_BROADCAST = luaScript(`
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);
