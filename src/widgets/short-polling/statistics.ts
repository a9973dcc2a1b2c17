import type { PollRecord, PollStats, PublishRecord, StalenessSummary } from './records.ts';

/** The short-polling widget's counters, computed from its polls and the reader's notes. */

export const EMPTY_STATS: PollStats = {
  requests: 0,
  changed: 0,
  unchanged: 0,
  notModified: 0,
  errors: 0,
  bytes: 0,
  bodyBytes: 0,
  repeatedBodyBytes: 0,
  steps: null,
  notes: null,
  missedVersions: 0,
  avgRoundTripMs: null,
};

/** Counts the answered `polls` of a run that sent `sent` requests; the notes' staleness comes from `publishes`. */
export function computePollStats(polls: readonly PollRecord[], publishes: readonly PublishRecord[], sent: number): PollStats {
  const result = { ...EMPTY_STATS, requests: sent };
  if (polls.length === 0) return result;
  // A poll that showed one of the reader's notes measured the note, not a job step.
  const notePolls = new Set<number>();
  const noteStaleness: number[] = [];
  for (const entry of publishes) {
    if (entry.status !== 'seen' || entry.stalenessMs === null) continue;
    if (entry.seenBy !== null) notePolls.add(entry.seenBy);
    noteStaleness.push(entry.stalenessMs);
  }
  const stepStaleness: number[] = [];
  let roundTripSum = 0;
  let answered = 0;
  for (const poll of polls) {
    if (poll.outcome === 'changed') result.changed++;
    else if (poll.outcome === 'unchanged') result.unchanged++;
    else if (poll.outcome === 'not-modified') result.notModified++;
    else result.errors++;
    if (poll.outcome === 'error') continue;
    answered++;
    roundTripSum += poll.receivedAt - poll.sentAt;
    result.bytes += poll.bytes;
    result.bodyBytes += poll.bodyBytes;
    if (poll.outcome === 'unchanged') result.repeatedBodyBytes += poll.bodyBytes;
    result.missedVersions += poll.missedVersions;
    if (poll.stalenessMs !== null && !notePolls.has(poll.seq)) stepStaleness.push(poll.stalenessMs);
  }
  result.steps = summarizeStaleness(stepStaleness);
  result.notes = summarizeStaleness(noteStaleness);
  result.avgRoundTripMs = answered ? roundTripSum / answered : null;
  return result;
}

/** Count, average and worst of some staleness samples; null when there is none. */
export function summarizeStaleness(values: readonly number[]): StalenessSummary | null {
  if (values.length === 0) return null;
  return {
    count: values.length,
    avgMs: values.reduce((sum, value) => sum + value, 0) / values.length,
    maxMs: Math.max(...values),
  };
}

/** Failed polls at the end of the list: the backoff's exponent. */
export function countTrailingErrors(list: readonly PollRecord[]): number {
  let count = 0;
  for (let index = list.length - 1; index >= 0 && list[index]!.outcome === 'error'; index--) count++;
  return count;
}
