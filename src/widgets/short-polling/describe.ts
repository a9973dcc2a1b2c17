import type { Job } from '../../protocol/jobs.ts';
import { formatBytes, formatInterval, formatMs, formatOffset } from '../shared/format.ts';
import type { Phase, PollRecord, PollStats } from './records.ts';

/** The short-polling widget's sentences: what the numbers say, and what each poll did. */

/**
 * The live sentence under the numbers, e.g. "Polling every 2 s: you see the
 * job's steps 1 s late on average (worst 1.9 s); 14 of 18 requests found nothing new."
 */
export function describeNumbers(phase: Phase, stats: PollStats, intervalMs: number, job: Job | null): string {
  const every = formatInterval(intervalMs);
  if (phase === 'idle' || phase === 'starting' || (stats.requests === 0 && !job)) {
    return `Press “Start job” and the poller will ask the server for the job every ${every}.`;
  }
  const answered = stats.changed + stats.unchanged + stats.notModified;
  if (answered === 0) return 'Waiting for the first answer…';
  const live = phase === 'polling';
  const parts: string[] = [];
  const lead = live ? `Polling every ${every}` : `Polled until ${phase === 'finished' ? 'the job ended' : 'you stopped'}`;
  if (stats.steps !== null) {
    parts.push(
      `you ${live ? 'see' : 'saw'} the job's steps ${formatMs(stats.steps.avgMs)} late on average (worst ${formatMs(stats.steps.maxMs)})`,
    );
  }
  if (stats.notes !== null) {
    parts.push(`your changes ${formatMs(stats.notes.avgMs)} late (half the interval is ${formatMs(intervalMs / 2)})`);
  }
  const nothing = stats.unchanged + stats.notModified;
  let requests = `${nothing} of ${stats.requests} ${stats.requests === 1 ? 'request' : 'requests'} found nothing new`;
  if (stats.unchanged > 0 && stats.notModified > 0) {
    requests += ` (${stats.notModified} cheap 304s, ${stats.unchanged} repeated ${stats.unchanged === 1 ? 'body' : 'bodies'}: ${formatBytes(stats.repeatedBodyBytes)} for nothing)`;
  } else if (stats.unchanged > 0) {
    requests += `, each re-sending the whole body (${formatBytes(stats.repeatedBodyBytes)} for nothing)`;
  } else if (stats.notModified > 0) {
    requests += ', all as body-less 304s';
  }
  parts.push(requests);
  let sentence = `${lead}: ${parts.join('; ')}.`;
  if (stats.missedVersions > 0) {
    sentence += ` ${stats.missedVersions} ${stats.missedVersions === 1 ? 'version' : 'versions'} of the job came and went between two polls, never seen.`;
  }
  return sentence;
}

/** A poll in words, for its timeline mark's label and the details panel. `origin` is the run's start. */
export function describePoll(poll: PollRecord, origin: number): string {
  const when = `Request ${poll.seq} at ${formatOffset(poll.sentAt - origin)}`;
  const cost = `${formatBytes(poll.bytes)}, round trip ${formatMs(poll.receivedAt - poll.sentAt)}`;
  const where = poll.state ? `${poll.state}${poll.state === 'running' ? ` ${poll.progress} %` : ''}` : '';
  switch (poll.outcome) {
    case 'changed': {
      const missed =
        poll.missedVersions > 0
          ? ` ${poll.missedVersions} earlier ${poll.missedVersions === 1 ? 'version was' : 'versions were'} never seen.`
          : '';
      return `${when}: 200, changed to version ${poll.version} (${where}), seen ${formatMs(poll.stalenessMs ?? 0)} after the server made the change.${missed} ${cost}.`;
    }
    case 'unchanged':
      return `${when}: 200, nothing changed (version ${poll.version} again), yet the whole body came again. ${cost}.`;
    case 'not-modified':
      return `${when}: 304 Not Modified, nothing changed; If-None-Match matched, so no body. ${cost}.`;
    case 'error':
      return `${when}: failed. ${poll.error ?? ''}`.trim();
  }
}
