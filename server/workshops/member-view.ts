import type { MemberView } from '../../src/protocol/workshops.ts';
import type { MemberLive } from './live-state.ts';
import { isOnline, type PresenceTimings } from './presence.ts';
import type { ProgressSummary } from './progress-summary.ts';
import type { MemberRecord } from './workshop-store.ts';

/** One member as the host sees them at `now`: the store's record, what their page reported, and their progress. */
export function memberView(
  record: MemberRecord,
  live: MemberLive,
  progress: ProgressSummary,
  now: number,
  timings: PresenceTimings,
): MemberView {
  const { id, name, joinedAt, leftAt, doneAt } = record;
  const present = leftAt === null;
  return {
    id,
    name,
    joinedAt,
    leftAt,
    online: present && isOnline(live.presence, now, timings),
    // Nothing seen since the live state was lost (a restart): the last time the store knows of.
    lastSeenAt: live.presence.lastSeenAt ?? leftAt ?? joinedAt,
    lesson: present ? live.lesson : null,
    completed: progress.completed,
    // A summary cached in Redis by an instance older than verified exercises has none.
    verified: progress.verified ?? {},
    quiz: progress.quiz,
    doneAt,
  };
}

/** What makes a view news for the host: all of it but `lastSeenAt`, which every heartbeat moves. */
export function viewKey(view: MemberView): string {
  return JSON.stringify({ ...view, lastSeenAt: 0 });
}
