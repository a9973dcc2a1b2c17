import type { BroadcastRecord } from '../../src/protocol/workshops.ts';
import { KeyedQueue } from './keyed-queue.ts';
import {
  leaseChanges,
  NEW_MEMBER_LIVE,
  type LearnerMembership,
  type MemberLive,
  type MemberLiveUpdate,
  type OpenStream,
  type WorkshopLiveState,
} from './live-state.ts';

/** One workshop's live state in this process. */
interface WorkshopEntry {
  members: Map<string, MemberLive>;
  /** Member id → when they turn offline, for the members online now. */
  offlineAt: Map<string, number>;
  /** The newest broadcasts, oldest first. */
  broadcasts: BroadcastRecord[];
  /** The learners whose memberships here are followed, so forgetting the workshop unfollows them. */
  learners: Set<string>;
}

/**
 * The {@link WorkshopLiveState} of one process (no `REDIS_URL`): maps, and a
 * queue per member so that an update waiting on the store is not
 * interleaved with another of the same member. It lives as long as the
 * process, and each workshop only while this process watches it.
 */
export class MemoryLiveState implements WorkshopLiveState {
  readonly #workshops = new Map<string, WorkshopEntry>();
  /** Learner id → member id → membership. */
  readonly #learners = new Map<string, Map<string, LearnerMembership>>();
  readonly #queues = new KeyedQueue();

  updateMember(workshopId: string, memberId: string, update: (live: MemberLive) => Promise<MemberLiveUpdate>): Promise<void> {
    return this.#queues.run(`member ${workshopId} ${memberId}`, async () => {
      const before = this.#workshop(workshopId).members.get(memberId) ?? NEW_MEMBER_LIVE;
      const { live, offlineAt, learner } = await update(before);
      // Read again: the workshop may have been forgotten, and leases renewed, while `update` ran.
      const workshop = this.#workshop(workshopId);
      const current = workshop.members.get(memberId) ?? NEW_MEMBER_LIVE;
      const { added, removed } = leaseChanges(before.presence.streams, live.presence.streams);
      const streams = [...current.presence.streams.filter((lease) => !removed.includes(lease.id)), ...added];
      workshop.members.set(memberId, { ...live, presence: { ...live.presence, streams } });
      if (offlineAt === null) workshop.offlineAt.delete(memberId);
      else workshop.offlineAt.set(memberId, offlineAt);
      this.#follow(workshop, learner);
    });
  }

  exclusive<T>(workshopId: string, task: () => Promise<T>): Promise<T> {
    return this.#queues.run(`workshop ${workshopId}`, task);
  }

  async readMembers(workshopId: string, memberIds: readonly string[]): Promise<Map<string, MemberLive>> {
    const members = this.#workshops.get(workshopId)?.members;
    return new Map(memberIds.map((id) => [id, members?.get(id) ?? NEW_MEMBER_LIVE]));
  }

  async dueMembers(workshopId: string, now: number): Promise<{ due: string[]; online: number }> {
    const offlineAt = this.#workshops.get(workshopId)?.offlineAt ?? new Map<string, number>();
    const due = [...offlineAt].filter(([, at]) => at <= now).map(([id]) => id);
    return { due, online: offlineAt.size };
  }

  async renewStreams(streams: readonly OpenStream[], expiresAt: number): Promise<void> {
    for (const { workshopId, memberId, streamId } of streams) {
      const members = this.#workshops.get(workshopId)?.members;
      const live = members?.get(memberId);
      if (!members || !live?.presence.streams.some((lease) => lease.id === streamId)) continue;
      const renewed = live.presence.streams.map((lease) => (lease.id === streamId ? { ...lease, expiresAt } : lease));
      members.set(memberId, { ...live, presence: { ...live.presence, streams: renewed } });
    }
  }

  async addBroadcast(workshopId: string, record: BroadcastRecord, keep: number): Promise<void> {
    const { broadcasts } = this.#workshop(workshopId);
    broadcasts.push(record);
    if (broadcasts.length > keep) broadcasts.splice(0, broadcasts.length - keep);
  }

  async broadcasts(workshopId: string): Promise<BroadcastRecord[]> {
    return [...(this.#workshops.get(workshopId)?.broadcasts ?? [])];
  }

  async membershipsOf(learnerId: string): Promise<LearnerMembership[]> {
    return [...(this.#learners.get(learnerId)?.values() ?? [])];
  }

  forget(workshopId: string): void {
    const workshop = this.#workshops.get(workshopId);
    if (!workshop) return;
    this.#workshops.delete(workshopId);
    for (const learnerId of workshop.learners) {
      const memberships = this.#learners.get(learnerId);
      for (const memberId of workshop.members.keys()) memberships?.delete(memberId);
      if (memberships?.size === 0) this.#learners.delete(learnerId);
    }
  }

  #workshop(workshopId: string): WorkshopEntry {
    let workshop = this.#workshops.get(workshopId);
    if (!workshop) {
      workshop = { members: new Map(), offlineAt: new Map(), broadcasts: [], learners: new Set() };
      this.#workshops.set(workshopId, workshop);
    }
    return workshop;
  }

  #follow(workshop: WorkshopEntry, { id, membership, present }: MemberLiveUpdate['learner']): void {
    let memberships = this.#learners.get(id);
    if (present) {
      if (!memberships) this.#learners.set(id, (memberships = new Map()));
      memberships.set(membership.memberId, membership);
      workshop.learners.add(id);
      return;
    }
    memberships?.delete(membership.memberId);
    if (memberships?.size === 0) this.#learners.delete(id);
  }
}
