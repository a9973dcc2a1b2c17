/**
 * Where one chat room lives in Redis. Every key carries the hash tag
 * `{<room>}`, so a Redis Cluster keeps a room on one slot, as a script that
 * touches several of its keys requires. The Pub/Sub channel is not a key.
 */
export interface ChatRoomKeys {
  /**
   * Sorted set, member id → when its presence expires (ms, Redis clock): the
   * index that lists a room's members without `KEYS`, and drops the expired
   * ones with one `ZREMRANGEBYSCORE`.
   */
  members: string;
  /** Prefix of each member's presence key (a hash `{order, member}` with a TTL): `<memberPrefix><member id>`. */
  memberPrefix: string;
  /** Counter bumped by every change of the member list; a newcomer takes its value as its place in join order. */
  presence: string;
  /** Counter of message ids. */
  seq: string;
  /** List of the newest messages (JSON), oldest first, trimmed to the history size. */
  history: string;
  /** Hash, `clientId` → the message it created: how a resend is recognised. */
  clientIds: string;
  /** List of the remembered `clientId`s, oldest first: what bounds {@link clientIds}. */
  clientOrder: string;
  /** Pub/Sub channel of the room's news (presence, messages, typing, restart), for every instance. */
  channel: string;
}

/** The keys and channel of `room` under `prefix` (`REDIS_PREFIX`). */
export function chatRoomKeys(prefix: string, room: string): ChatRoomKeys {
  const base = `${prefix}chat:{${room}}`;
  return {
    members: `${base}:members`,
    memberPrefix: `${base}:member:`,
    presence: `${base}:presence`,
    seq: `${base}:seq`,
    history: `${base}:history`,
    clientIds: `${base}:client-ids`,
    clientOrder: `${base}:client-order`,
    channel: `${prefix}chat-room:${room}`,
  };
}

/**
 * The Pub/Sub channel only `instanceId` listens to: member lists it asked for
 * come back on it, in order with the rooms' news (one connection, one stream).
 */
export function chatInstanceChannel(prefix: string, instanceId: string): string {
  return `${prefix}chat-instance:${instanceId}`;
}
