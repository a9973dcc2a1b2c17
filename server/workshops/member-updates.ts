import { HOST_EVENTS, type MemberView } from '../../src/protocol/workshops.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { VerifiedStore } from '../exercises/verified-store.ts';
import type { ProgressStore } from '../progress/progress-store.ts';
import type { MemberLive, WorkshopLiveState } from './live-state.ts';
import { memberView, viewKey } from './member-view.ts';
import { offlineDeadline, withoutExpiredLeases } from './presence.ts';
import { NO_PROGRESS, summarizeProgress, type ProgressSummary } from './progress-summary.ts';
import { hostChannel } from './workshop-rules.ts';
import type { MemberRecord, WorkshopRecord, WorkshopStore } from './workshop-store.ts';
import type { WorkshopTimings } from './workshop-timings.ts';

/** What one member update changes: their record in the store, and their live record. */
export interface MemberChange {
  /** Writes the member's new record to the store and returns it. */
  record?: (current: MemberRecord) => Promise<MemberRecord>;
  /** The live record after the change; `before` is the store's record before `record` changed it. */
  live?: (live: MemberLive, now: number, before: MemberRecord) => MemberLive;
}

export interface MemberUpdatesOptions {
  store: WorkshopStore;
  live: WorkshopLiveState;
  /** Where the host's `member` events go. */
  bus: EventBus;
  progress: Pick<ProgressStore, 'get'>;
  verified: Pick<VerifiedStore, 'list'>;
  timings: WorkshopTimings;
}

/**
 * Members as the host sees them, and the one way they change: an update that
 * the live state runs alone for the member, on every instance, and that
 * publishes the member's view only when it differs from the view last sent.
 */
export class MemberUpdates {
  readonly #options: MemberUpdatesOptions;

  constructor(options: MemberUpdatesOptions) {
    this.#options = options;
  }

  /**
   * Changes one member and tells the host if their view changed. The store's
   * record read here is the newest (nothing else updates this member
   * meanwhile), and each view is sent after the one before it, once.
   * @returns the member's record after the change.
   */
  async update(workshop: WorkshopRecord, memberId: string, change: MemberChange = {}): Promise<MemberRecord> {
    const { store, live: liveState, bus, timings } = this.#options;
    let updated: MemberRecord | undefined;
    await liveState.updateMember(workshop.id, memberId, async (before) => {
      const stored = await store.memberById(memberId);
      if (!stored) throw new Error(`Workshop ${workshop.code} has no member ${memberId}.`);
      const record = change.record ? await change.record(stored) : stored;
      const now = Date.now();
      const changed = change.live ? change.live(before, now, stored) : before;
      const presence = withoutExpiredLeases(changed.presence, now);
      const progress = changed.progress ?? (await this.#readProgress(record.learnerId));
      const live: MemberLive = { ...changed, presence, progress };
      const view = memberView(record, live, progress, now, timings);
      const key = viewKey(view);
      if (key !== before.sentKey) await bus.publish(hostChannel(workshop), HOST_EVENTS.member, view);
      updated = record;
      return {
        live: { ...live, sentKey: key },
        offlineAt: view.online ? offlineDeadline(presence, timings) : null,
        learner: { id: record.learnerId, membership: { code: workshop.code, memberId }, present: record.leftAt === null },
      };
    });
    return updated!;
  }

  /** Every member who ever joined, in join order, as the host sees them now, with their live record. */
  async views(workshop: WorkshopRecord): Promise<{ view: MemberView; live: MemberLive }[]> {
    const records = await this.#options.store.members(workshop.id);
    const lives = await this.#options.live.readMembers(
      workshop.id,
      records.map((record) => record.id),
    );
    const now = Date.now();
    return Promise.all(
      records.map(async (record) => {
        const live = lives.get(record.id)!;
        const progress = live.progress ?? (await this.#readProgress(record.learnerId));
        return { view: memberView(record, live, progress, now, this.#options.timings), live };
      }),
    );
  }

  async #readProgress(learnerId: string): Promise<ProgressSummary> {
    const [stored, verified] = await Promise.all([this.#options.progress.get(learnerId), this.#options.verified.list(learnerId)]);
    return stored || Object.keys(verified).length > 0 ? summarizeProgress(stored?.progress ?? { lessons: {} }, verified) : NO_PROGRESS;
  }
}
