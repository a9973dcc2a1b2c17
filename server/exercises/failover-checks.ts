import type { VerdictCheck } from '../../src/protocol/exercise-runs.ts';
import { exactlyOnce, type ObservedStream } from './resume-stream-checks.ts';
import { verdictCheck, waitingState } from './verdict-check.ts';

/** The two instances of lesson 8's run. */
export type FailoverInstance = 'a' | 'b';

/** A stream of the run, and the instance that served it. */
export interface ObservedInstanceStream extends ObservedStream {
  instance: FailoverInstance;
}

/** What lesson 8's run does: `tick` 1…6 then `done`; instance `b` dies after event `killAfter`. */
export const FAILOVER_RULES = {
  ticks: 6,
  killAfter: 3,
} as const;

/**
 * Judges a run of lesson 8's "Write it yourself" from the streams the server
 * saw: the client read from instance b, went on from instance a when b died,
 * asking a for the events after the last one b had sent, and so got every event once.
 */
export function judgeFailover(streams: readonly ObservedInstanceStream[], latestId: number, final: boolean): VerdictCheck[] {
  return [startedOnB(streams, final), failedOver(streams, final), resumedOnA(streams, final), exactlyOnce(streams, latestId, final)];
}

function startedOnB(streams: readonly ObservedInstanceStream[], final: boolean): VerdictCheck {
  const title = 'Read the feed from instance b';
  const first = streams[0];
  if (!first) return verdictCheck('started-on-b', title, waitingState(final), 'No stream reached either instance.');
  if (first.instance === 'b') return verdictCheck('started-on-b', title, 'passed', 'The first stream was on b.');
  return verdictCheck('started-on-b', title, 'failed', 'The first stream was on a: start on b (run.urls.b), the instance that goes down.');
}

function failedOver(streams: readonly ObservedInstanceStream[], final: boolean): VerdictCheck {
  const title = 'Went on from instance a once b was down';
  const killed = streams.findIndex((stream) => stream.cut);
  if (killed === -1)
    return verdictCheck(
      'failed-over',
      title,
      waitingState(final),
      `Instance b goes down after event ${FAILOVER_RULES.killAfter}; it has not yet.`,
    );
  const next = streams.slice(killed + 1).find((stream) => stream.instance === 'a');
  if (next)
    return verdictCheck(
      'failed-over',
      title,
      'passed',
      `A stream opened on a ${((next.at - streams[killed]!.at) / 1000).toFixed(1)} s after b's had opened.`,
    );
  return verdictCheck('failed-over', title, waitingState(final), 'No stream opened on a after b went down.');
}

function resumedOnA(streams: readonly ObservedInstanceStream[], final: boolean): VerdictCheck {
  const title = 'Asked a for the events after the last one b had sent';
  const killed = streams.find((stream) => stream.cut);
  const next = killed && streams.slice(streams.indexOf(killed) + 1).find((stream) => stream.instance === 'a');
  if (!killed || !next) return verdictCheck('resumed', title, waitingState(final), 'No stream on a after b went down yet.');
  const expected = String(killed.latestAtClose);
  if (next.lastEventId === expected)
    return verdictCheck('resumed', title, 'passed', `The stream on a asked for the events after ${expected}.`);
  if (next.lastEventId === undefined) {
    return verdictCheck(
      'resumed',
      title,
      'failed',
      `The stream on a gave no last id; b had sent up to ${expected}. A new EventSource sends none: put it in the URL, ?lastEventId=${expected}.`,
    );
  }
  return verdictCheck(
    'resumed',
    title,
    'failed',
    `The stream on a asked for the events after ${next.lastEventId}; b had sent up to ${expected}.`,
  );
}
