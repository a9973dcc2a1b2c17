import { luaScript } from '../redis/redis-connection.ts';

/**
 * The chat's changes to Redis, one Lua script each. Redis runs a script
 * alone, so every change to a room (its members, its messages) is atomic, and
 * what a script publishes reaches every instance in the order the scripts ran.
 *
 * JSON is never decoded or re-encoded in Lua (cjson would round large
 * numbers and reorder members): the server builds each member's and message's
 * JSON, the scripts store it and join pieces of it with `..`.
 *
 * Keys are those of `chatRoomKeys()`. A member's presence key is derived in
 * the script from `memberPrefix` (members are only known once the index is
 * read); it carries the room's hash tag, so it is on the room's slot.
 */

/** Helpers every presence script starts with. */
const PRESENCE_HELPERS = `
local function now_ms()
  local time = redis.call('TIME')
  return time[1] * 1000 + math.floor(time[2] / 1000)
end

-- Drops the members whose presence expired (nobody heartbeated them: their instance died). Returns how many.
local function prune(index, now)
  return redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
end

-- The members present, in join order, as a JSON array of the members' own JSON.
local function members_json(index, member_prefix)
  local rows = {}
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local row = redis.call('HMGET', member_prefix .. id, 'order', 'member')
    if row[1] then
      rows[#rows + 1] = { tonumber(row[1]), row[2] }
    else
      redis.call('ZREM', index, id) -- its key is gone (expired a moment ago, or evicted)
    end
  end
  table.sort(rows, function(a, b) return a[1] < b[1] end)
  local json = {}
  for i, row in ipairs(rows) do json[i] = row[2] end
  return '[' .. table.concat(json, ',') .. ']'
end

-- Tells every instance the new member list. extra: more JSON members (',"cause":…'), or ''.
local function announce(channel, version, members, extra)
  redis.call('PUBLISH', channel, '{"kind":"presence","version":' .. string.format('%d', version) .. ',"members":' .. members .. extra .. '}')
end
`;

/**
 * Adds (or renames) a member, and returns what its `joined` needs.
 *
 * KEYS: members, presence, seq, history, client-ids, client-order.
 * ARGV: member prefix, member id, member JSON, presence TTL (ms), room TTL (ms), channel, `,"cause":"<id>"`.
 * Returns `{version, members JSON, latest message id, history JSON[]}`.
 */
export const JOIN = luaScript(`${PRESENCE_HELPERS}
local now = now_ms()
prune(KEYS[1], now)
local key = ARGV[1] .. ARGV[2]
local version = redis.call('INCR', KEYS[2])
-- Joining again only renames: the member keeps its place.
local order = redis.call('HGET', key, 'order') or version
redis.call('HSET', key, 'order', order, 'member', ARGV[3])
redis.call('PEXPIRE', key, ARGV[4])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
for i = 2, 6 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
local members = members_json(KEYS[1], ARGV[1])
announce(ARGV[6], version, members, ARGV[7])
return { version, members, tonumber(redis.call('GET', KEYS[3]) or '0'), redis.call('LRANGE', KEYS[4], 0, -1) }
`);

/**
 * Removes a member; announces the new list if it was there.
 * KEYS: members, presence. ARGV: member prefix, member id, channel. Returns 1 if it was there.
 */
export const LEAVE = luaScript(`${PRESENCE_HELPERS}
local removed = redis.call('ZREM', KEYS[1], ARGV[2]) + redis.call('DEL', ARGV[1] .. ARGV[2])
if removed == 0 then return 0 end
prune(KEYS[1], now_ms())
announce(ARGV[3], redis.call('INCR', KEYS[2]), members_json(KEYS[1], ARGV[1]), '')
return 1
`);

// #region redis-heartbeat
/**
 * Renews the presence of this instance's members (its heartbeat). A member
 * whose key expired meanwhile (Redis was out of reach for longer than the TTL)
 * is added again, at the end of the join order, and the list is announced.
 *
 * KEYS: members, presence, seq, history, client-ids, client-order.
 * ARGV: member prefix, presence TTL (ms), room TTL (ms), channel, then pairs of member id and member JSON.
 */
export const HEARTBEAT = luaScript(`${PRESENCE_HELPERS}
local now = now_ms()
local ttl = tonumber(ARGV[2])
local changed = prune(KEYS[1], now) > 0
for i = 5, #ARGV, 2 do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('PEXPIRE', key, ttl) == 0 then
    redis.call('HSET', key, 'order', redis.call('INCR', KEYS[2]), 'member', ARGV[i + 1])
    redis.call('PEXPIRE', key, ttl)
    changed = true
  end
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ttl)
-- A room lives while someone heartbeats in it, and for the room TTL after.
for i = 2, 6 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
if changed then announce(ARGV[4], redis.call('INCR', KEYS[2]), members_json(KEYS[1], ARGV[1]), '') end
return 0
`);
// #endregion redis-heartbeat

/**
 * Re-reads a room's members for one instance. If some expired, the change is
 * announced to every instance; otherwise the list goes to the asking
 * instance's own channel only, with the newest message id: the instance
 * stays quiet when nothing changed, and notices counters that went back
 * (Redis lost its data) and starts over from them.
 *
 * KEYS: members, presence, seq. ARGV: member prefix, room channel, instance channel, `,"room":"<room>"`.
 */
export const READ_PRESENCE = luaScript(`${PRESENCE_HELPERS}
if prune(KEYS[1], now_ms()) > 0 then
  announce(ARGV[2], redis.call('INCR', KEYS[2]), members_json(KEYS[1], ARGV[1]), '')
else
  local last = ',"lastMessageId":' .. (redis.call('GET', KEYS[3]) or '0')
  announce(ARGV[3], tonumber(redis.call('GET', KEYS[2]) or '0'), members_json(KEYS[1], ARGV[1]), ARGV[4] .. last)
end
return 0
`);

// #region redis-post
/**
 * Posts a message, or recognises its resend: the id comes from the room's
 * counter, the message joins the history (trimmed to its size), its
 * `clientId` is remembered (the oldest forgotten past the bound), and it is
 * published — all at once, so two instances posting together still get
 * strictly increasing ids, delivered in that order everywhere.
 *
 * KEYS: seq, history, client-ids, client-order, presence.
 * ARGV: clientId, `"clientId":…,"from":…,"text":…` (JSON members), history size, remembered clientIds, room TTL (ms), channel.
 * Returns `{1, original JSON}` for a resend, `{0, message JSON}` otherwise.
 */
export const POST = luaScript(`
local seen = redis.call('HGET', KEYS[3], ARGV[1])
if seen then return { 1, seen } end
local id = redis.call('INCR', KEYS[1])
local time = redis.call('TIME')
local ts = time[1] * 1000 + math.floor(time[2] / 1000)
local message = '{"id":' .. string.format('%d', id) .. ',' .. ARGV[2] .. ',"ts":' .. string.format('%d', ts) .. '}'
redis.call('RPUSH', KEYS[2], message)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
redis.call('HSET', KEYS[3], ARGV[1], message)
if redis.call('RPUSH', KEYS[4], ARGV[1]) > tonumber(ARGV[4]) then
  redis.call('HDEL', KEYS[3], redis.call('LPOP', KEYS[4]))
end
for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
redis.call('PUBLISH', ARGV[6], '{"kind":"message","message":' .. message .. '}')
return { 0, message }
`);
// #endregion redis-post
