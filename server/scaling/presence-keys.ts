import type { RedisClientType } from '@redis/client';
import type { PresenceKey } from '../../src/protocol/scaling.ts';
import { evalScript, luaScript } from '../redis/redis-connection.ts';
import { chatRoomKeys } from '../websocket/redis-chat-keys.ts';

// #region read-presence-keys
/**
 * Lists a chat room's presence keys and how long each has left, in one
 * step: the members come from the room's sorted-set index (member id →
 * expiry), never from KEYS, which walks the whole keyspace and blocks Redis
 * while it does. PTTL answers -2 once a key has expired; the index keeps
 * the member until an instance re-reads the room and prunes it.
 *
 * KEYS: the index. ARGV: the prefix of the members' keys.
 * Returns `{member id, index expiry − now (ms), PTTL (ms), member JSON or ''}` per member.
 */
const READ_PRESENCE_KEYS = luaScript(`
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
local rows = {}
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  local key = ARGV[1] .. entries[i]
  rows[#rows + 1] = { entries[i], tonumber(entries[i + 1]) - now, redis.call('PTTL', key), redis.call('HGET', key, 'member') or '' }
end
return rows
`);
// #endregion read-presence-keys

/** The names of a room's index and member keys under `prefix`, as the chat writes them. */
export function presenceKeyNames(prefix: string, room: string): { index: string; memberPrefix: string } {
  const keys = chatRoomKeys(prefix, room);
  return { index: keys.members, memberPrefix: keys.memberPrefix };
}

/** Reads the presence keys of `room` under `prefix` (see {@link READ_PRESENCE_KEYS}). */
export async function readPresenceKeys(client: RedisClientType, prefix: string, room: string): Promise<PresenceKey[]> {
  const { index, memberPrefix } = presenceKeyNames(prefix, room);
  const reply = await evalScript(client, READ_PRESENCE_KEYS, [index], [memberPrefix]);
  return (reply as [string, number, number, string][]).map(([memberId, indexMs, pttlMs, json]) => ({
    memberId: String(memberId),
    name: nameOf(String(json)),
    key: `${memberPrefix}${memberId}`,
    pttlMs: Number(pttlMs),
    indexMs: Number(indexMs),
  }));
}

function nameOf(json: string): string | null {
  if (json === '') return null;
  try {
    const member = JSON.parse(json) as { name?: unknown };
    return typeof member.name === 'string' ? member.name : null;
  } catch {
    return null;
  }
}
