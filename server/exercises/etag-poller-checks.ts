import { isTerminal, type JobState } from '../../src/protocol/jobs.ts';
import type { VerdictCheck } from '../../src/protocol/exercise-runs.ts';
import { verdictCheck as check, waitingState as waiting } from './verdict-check.ts';

/** One poll of the run's job, as the server saw and answered it. */
export interface ObservedPoll {
  /** Server time it arrived, in ms. */
  at: number;
  /** The `If-None-Match` it carried, if any. */
  ifNoneMatch: string | undefined;
  /** What the server answered: 200, 304, or the scripted 503. */
  status: number;
  /** The `ETag` of a 200 or 304. */
  etag: string | undefined;
  /** The job's state in a 200's body. */
  state: JobState | undefined;
}

/** What lesson 2's exercise asks of the learner's poller, and the fault it scripts. */
export const ETAG_POLLER_RULES = {
  minPolls: 3,
  /** The poll (1-based) the server answers with 503 instead of the job. */
  failedPoll: 3,
  retryAfterSeconds: 2,
  minGapMs: 500,
} as const;

/**
 * Judges a run of lesson 2's "Write it yourself" from the polls the server
 * saw. `final` is true once the run is over: a check still waiting then fails.
 */
export function judgeEtagPoller(polls: readonly ObservedPoll[], final: boolean): VerdictCheck[] {
  return [
    polled(polls, final),
    conditional(polls, final),
    retryAfter(polls, final),
    reachedEnd(polls, final),
    stopped(polls, final),
    paced(polls, final),
  ];
}

function polled(polls: readonly ObservedPoll[], final: boolean): VerdictCheck {
  const title = `Polled the job at least ${ETAG_POLLER_RULES.minPolls} times`;
  const count = `${polls.length} poll${polls.length === 1 ? '' : 's'} so far.`;
  if (polls.length >= ETAG_POLLER_RULES.minPolls) return check('polled', title, 'passed', `${polls.length} polls.`);
  return check('polled', title, waiting(final), polls.length === 0 ? 'No request reached the job’s URL.' : count);
}

function conditional(polls: readonly ObservedPoll[], final: boolean): VerdictCheck {
  const title = 'Sent If-None-Match with the last ETag on every poll after the first';
  let lastEtag: string | undefined;
  let conditionalPolls = 0;
  for (const [index, poll] of polls.entries()) {
    if (lastEtag !== undefined) {
      if (poll.ifNoneMatch === undefined) {
        return check('conditional', title, 'failed', `Poll ${index + 1} sent no If-None-Match; the last ETag was ${lastEtag}.`);
      }
      if (poll.ifNoneMatch !== lastEtag) {
        return check(
          'conditional',
          title,
          'failed',
          `Poll ${index + 1} sent If-None-Match: ${poll.ifNoneMatch}; the last ETag was ${lastEtag}.`,
        );
      }
      conditionalPolls += 1;
    }
    if (poll.etag !== undefined) lastEtag = poll.etag;
  }
  if (conditionalPolls === 0) return check('conditional', title, waiting(final), 'No poll came after an answer with an ETag.');
  const notModified = polls.filter((poll) => poll.status === 304).length;
  return check(
    'conditional',
    title,
    'passed',
    `${conditionalPolls} conditional polls; ${notModified} answered 304 Not Modified, with no body.`,
  );
}

function retryAfter(polls: readonly ObservedPoll[], final: boolean): VerdictCheck {
  const { failedPoll, retryAfterSeconds } = ETAG_POLLER_RULES;
  const title = `Waited Retry-After (${retryAfterSeconds} s) after the 503`;
  const failed = polls[failedPoll - 1];
  const next = polls[failedPoll];
  if (!failed) return check('retry-after', title, waiting(final), `The server answers poll ${failedPoll} with 503; it has not come yet.`);
  if (!next) return check('retry-after', title, waiting(final), 'No poll came after the 503: the job was never read again.');
  const gapMs = next.at - failed.at;
  const gap = `${(gapMs / 1000).toFixed(1)} s`;
  if (gapMs >= retryAfterSeconds * 1000) return check('retry-after', title, 'passed', `The next poll came ${gap} after the 503.`);
  return check('retry-after', title, 'failed', `The next poll came ${gap} after the 503, before Retry-After’s ${retryAfterSeconds} s.`);
}

function reachedEnd(polls: readonly ObservedPoll[], final: boolean): VerdictCheck {
  const title = 'Read the job until it finished';
  const end = polls.find((poll) => poll.state !== undefined && isTerminal(poll.state));
  if (end) return check('reached-end', title, 'passed', `Poll ${polls.indexOf(end) + 1} read the job ${end.state}.`);
  const last = polls.at(-1);
  const lastSeen = last === undefined ? 'No poll came.' : `The last poll (${polls.length}) was answered ${last.status}.`;
  return check('reached-end', title, waiting(final), lastSeen);
}

function stopped(polls: readonly ObservedPoll[], final: boolean): VerdictCheck {
  const title = 'Stopped polling once the job had finished';
  const endIndex = polls.findIndex((poll) => poll.state !== undefined && isTerminal(poll.state));
  if (endIndex === -1) return check('stopped', title, waiting(final), 'The job was not read finished yet.');
  const after = polls.length - endIndex - 1;
  if (after > 0) {
    return check(
      'stopped',
      title,
      'failed',
      `${after} poll${after === 1 ? '' : 's'} came after poll ${endIndex + 1} had read the job finished.`,
    );
  }
  return check('stopped', title, final ? 'passed' : 'pending', `No poll after poll ${endIndex + 1}, which read the job finished.`);
}

function paced(polls: readonly ObservedPoll[], final: boolean): VerdictCheck {
  const { minGapMs } = ETAG_POLLER_RULES;
  const title = `Left at least ${minGapMs} ms between polls`;
  for (let index = 1; index < polls.length; index += 1) {
    const gapMs = polls[index]!.at - polls[index - 1]!.at;
    if (gapMs < minGapMs) return check('paced', title, 'failed', `Polls ${index} and ${index + 1} came ${gapMs} ms apart.`);
  }
  if (polls.length < 2) return check('paced', title, waiting(final), 'Fewer than two polls so far.');
  const shortest = Math.min(...polls.slice(1).map((poll, index) => poll.at - polls[index]!.at));
  return check('paced', title, final ? 'passed' : 'pending', `The shortest gap was ${shortest} ms.`);
}
