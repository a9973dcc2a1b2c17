import type { BroadcastRecord, MemberView } from '../protocol/workshops.ts';
import { TECHNIQUES, type Technique } from '../protocol/quiz/techniques.ts';

/**
 * The host dashboard's state as pure functions over immutable values, so
 * node:test checks them and the model (host-model.ts) only wires I/O.
 */

/** Members by id, in join order (a `Map` keeps insertion order). */
export type Roster = ReadonlyMap<string, MemberView>;

export function rosterOf(members: readonly MemberView[]): Roster {
  return new Map([...members].sort((a, b) => a.joinedAt - b.joinedAt).map((member) => [member.id, member]));
}

/** A `member` event: replaces the row with that id, or adds it at the end. Unchanged rows keep their identity (rows skip re-rendering). */
export function withMember(roster: Roster, member: MemberView): Roster {
  const next = new Map(roster);
  next.set(member.id, member);
  return next;
}

export interface RosterCounts {
  /** Members who have not left. */
  present: number;
  online: number;
  /** Present members with "done with this step" raised. */
  done: number;
  left: number;
}

export function countRoster(roster: Roster): RosterCounts {
  const counts: RosterCounts = { present: 0, online: 0, done: 0, left: 0 };
  for (const member of roster.values()) {
    if (member.leftAt !== null) {
      counts.left++;
      continue;
    }
    counts.present++;
    if (member.online) counts.online++;
    if (member.doneAt !== null) counts.done++;
  }
  return counts;
}

/** Present members with a hand raised, earliest first. */
export function raisedHands(roster: Roster): MemberView[] {
  return [...roster.values()].filter((member) => member.leftAt === null && member.doneAt !== null).sort((a, b) => a.doneAt! - b.doneAt!);
}

/** Lesson slug → how many members (left ones included: the grid keeps them) completed it. */
export function completionCounts(roster: Roster, lessons: readonly string[]): Record<string, number> {
  const counts = Object.fromEntries(lessons.map((slug) => [slug, 0]));
  for (const member of roster.values()) {
    for (const slug of lessons) if (member.completed[slug] !== undefined) counts[slug]!++;
  }
  return counts;
}

/** Per scenario, how many members' latest attempts picked each technique. */
export interface ScenarioTally {
  id: string;
  counts: Record<Technique, number>;
  /** Members whose latest attempt answered this scenario. */
  answered: number;
}

export function quizTallies(roster: Roster, scenarioIds: readonly string[]): ScenarioTally[] {
  const tallies = scenarioIds.map((id) => ({
    id,
    counts: Object.fromEntries(TECHNIQUES.map((t) => [t, 0])) as Record<Technique, number>,
    answered: 0,
  }));
  const byId = new Map(tallies.map((tally) => [tally.id, tally]));
  for (const member of roster.values()) {
    if (!member.quiz) continue;
    for (const [scenario, pick] of Object.entries(member.quiz.answers)) {
      const tally = byId.get(scenario);
      if (!tally || !(TECHNIQUES as readonly string[]).includes(pick)) continue;
      tally.counts[pick as Technique]++;
      tally.answered++;
    }
  }
  return tallies;
}

/** Members who have a quiz attempt. */
export function quizTakers(roster: Roster): number {
  let count = 0;
  for (const member of roster.values()) if (member.quiz) count++;
  return count;
}

/** Broadcasts kept in the log, newest first. */
export const MAX_BROADCAST_LOG = 20;

export function withBroadcast(log: readonly BroadcastRecord[], record: BroadcastRecord): BroadcastRecord[] {
  if (log.some((item) => item.at === record.at && item.text === record.text)) return [...log];
  return [record, ...log].sort((a, b) => b.at - a.at).slice(0, MAX_BROADCAST_LOG);
}
