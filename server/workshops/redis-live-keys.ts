/**
 * Where a workshop's live state lives in Redis. Every key of one workshop
 * carries the hash tag `{<workshop id>}`, so a Redis Cluster keeps a
 * workshop on one slot, as a script that touches several of its keys
 * requires. A learner's index is apart: it is never touched by a script.
 */
export interface WorkshopKeys {
  /** Sorted set, member id → when they turn offline (ms), for the members online now: what the sweep reads instead of `KEYS`. */
  online: string;
  /** List of the newest broadcasts (JSON), oldest first. */
  broadcasts: string;
  /** The lock of the workshop's own changes (goto, state): a token with a TTL. */
  lock: string;
}

/** The keys of one member of a workshop. */
export interface MemberKeys {
  /** Hash: the member's live record (`MemberLive`, field by field). */
  member: string;
  /** Sorted set, stream id → when its lease expires (ms): the member's open learner streams. */
  streams: string;
  /** The lock of the member's updates: a token with a TTL. */
  lock: string;
}

export function workshopKeys(prefix: string, workshopId: string): WorkshopKeys {
  const base = `${prefix}workshop:{${workshopId}}`;
  return { online: `${base}:online`, broadcasts: `${base}:broadcasts`, lock: `${base}:lock` };
}

export function memberKeys(prefix: string, workshopId: string, memberId: string): MemberKeys {
  const base = `${prefix}workshop:{${workshopId}}`;
  return { member: `${base}:member:${memberId}`, streams: `${base}:streams:${memberId}`, lock: `${base}:lock:${memberId}` };
}

/** Set of `<code> <member id>`: the memberships that follow a learner's progress. */
export function learnerKey(prefix: string, learnerId: string): string {
  return `${prefix}workshop-learner:${learnerId}`;
}
