import type { BroadcastRecord } from '../../src/protocol/workshops.ts';
import { UNSEEN, type PresenceState, type StreamLease } from './presence.ts';
import type { ProgressSummary } from './progress-summary.ts';

/** What a workshop keeps of one member besides the store's record: their page's reports and what the host was last sent. */
export interface MemberLive {
  presence: PresenceState;
  /** The lesson their page reads (last heartbeat), or null. */
  lesson: string | null;
  /** Their pages' demo channels (last heartbeat): where broadcasts go. */
  channels: readonly string[];
  /** Their synced progress as the host sees it; null until read (a new member, or the live state was lost). */
  progress: ProgressSummary | null;
  /** The last view sent to the host, without `lastSeenAt` (which alone is no news); '' when none. */
  sentKey: string;
}

/** A member nothing is known of yet. */
export const NEW_MEMBER_LIVE: MemberLive = { presence: UNSEEN, lesson: null, channels: [], progress: null, sentKey: '' };

/** Where a progress save of a learner must go: one of their memberships. */
export interface LearnerMembership {
  /** The workshop's join code. */
  code: string;
  memberId: string;
}

/** What an update of one member's live record decided. */
export interface MemberLiveUpdate {
  /** The record to keep. */
  live: MemberLive;
  /** When the member turns offline if nothing else happens, or null when offline now: the sweep's index. */
  offlineAt: number | null;
  /** The member's learner, followed while present (so a progress save finds this membership), not once they left. */
  learner: { id: string; membership: LearnerMembership; present: boolean };
}

/** One learner stream open on this instance, whose lease it renews. */
export interface OpenStream {
  workshopId: string;
  memberId: string;
  streamId: string;
}

/**
 * The workshops' live state: what their members' pages report, the views the
 * host was sent, broadcasts, and which memberships follow each learner's
 * progress. Durable facts (members, names, "done", focus) are in the
 * `WorkshopStore`; this is what the store does not keep.
 *
 * Two engines: `MemoryLiveState` for one process, `RedisLiveState` shared by
 * every instance (`REDIS_URL`). Both run a member's updates one at a time —
 * across instances for Redis — so a change and the view it sends the host
 * are never interleaved with another update of that member: views reach the
 * host in the order they happened, and an unchanged view is not sent again.
 */
export interface WorkshopLiveState {
  /**
   * Reads the member's live record, lets `update` decide what to keep (it
   * publishes the view meanwhile), then stores it, with no other update of
   * this member in between. Stream leases are stored as added and removed,
   * so a renewal meanwhile is kept.
   * @throws {BackplaneUnavailableError} when Redis is out of reach.
   */
  updateMember(workshopId: string, memberId: string, update: (live: MemberLive) => Promise<MemberLiveUpdate>): Promise<void>;
  /** Runs `task` with no other `exclusive` task of this workshop running (on any instance). */
  exclusive<T>(workshopId: string, task: () => Promise<T>): Promise<T>;
  /** The live records of these members ({@link NEW_MEMBER_LIVE} for one with none). */
  readMembers(workshopId: string, memberIds: readonly string[]): Promise<Map<string, MemberLive>>;
  /** The members whose offline time has come (to update), and how many members are online or due. */
  dueMembers(workshopId: string, now: number): Promise<{ due: string[]; online: number }>;
  /** Moves the lease of each stream to `expiresAt` (streams closed meanwhile are not brought back). */
  renewStreams(streams: readonly OpenStream[], expiresAt: number): Promise<void>;
  /** Keeps `record` among the workshop's newest `keep` broadcasts. */
  addBroadcast(workshopId: string, record: BroadcastRecord, keep: number): Promise<void>;
  /** The workshop's kept broadcasts, oldest first. */
  broadcasts(workshopId: string): Promise<BroadcastRecord[]>;
  /** The memberships following `learnerId`'s progress. */
  membershipsOf(learnerId: string): Promise<LearnerMembership[]>;
  /** This instance stopped watching the workshop: forgets what only this process holds of it (with Redis, nothing). */
  forget(workshopId: string): void;
}

/** The leases `after` added to `before`, and the ids it removed: what an update writes. */
export function leaseChanges(before: readonly StreamLease[], after: readonly StreamLease[]): { added: StreamLease[]; removed: string[] } {
  const beforeIds = new Set(before.map((lease) => lease.id));
  const afterIds = new Set(after.map((lease) => lease.id));
  return {
    added: after.filter((lease) => !beforeIds.has(lease.id)),
    removed: [...beforeIds].filter((id) => !afterIds.has(id)),
  };
}
