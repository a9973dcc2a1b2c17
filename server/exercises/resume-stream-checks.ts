import type { VerdictCheck } from '../../src/protocol/exercise-runs.ts';
import { missingIds } from './tick-script.ts';
import { verdictCheck, waitingState } from './verdict-check.ts';

/** One SSE stream of the run's channel, as the server saw it. */
export interface ObservedStream {
  /** Server time it opened, in ms. */
  at: number;
  /** The `Last-Event-ID` it resumed after (header, else `?lastEventId=`); undefined for a fresh stream. */
  lastEventId: string | undefined;
  /** The newest event id when it opened: a fresh stream gets only the events after it. */
  latestAtOpen: number;
  /** The newest event id when it closed; undefined while it is open. */
  latestAtClose: number | undefined;
  /** The server cut it on purpose. */
  cut: boolean;
}

/** What lesson 4's run publishes: `tick` 1…6 then `done`; the stream is cut after `cutAfter`. */
export const RESUME_STREAM_RULES = {
  ticks: 6,
  cutAfter: 3,
} as const;

const DONE_ID = RESUME_STREAM_RULES.ticks + 1;

/**
 * Judges a run of lesson 4's "Write it yourself" from the streams the
 * server saw: after the cut, the client came back with `Last-Event-ID` equal
 * to the last id it was sent, so every event reached it once.
 */
export function judgeResumeStream(streams: readonly ObservedStream[], latestId: number, final: boolean): VerdictCheck[] {
  return [connected(streams, final), resumed(streams, final), exactlyOnce(streams, latestId, final)];
}

function connected(streams: readonly ObservedStream[], final: boolean): VerdictCheck {
  const title = 'Opened the event stream';
  if (streams.length === 0) return verdictCheck('connected', title, waitingState(final), 'No stream reached the channel’s URL.');
  return verdictCheck('connected', title, 'passed', `${streams.length} stream${streams.length === 1 ? '' : 's'} opened.`);
}

function resumed(streams: readonly ObservedStream[], final: boolean): VerdictCheck {
  const title = 'Came back after the cut with Last-Event-ID: the last id received';
  const cutIndex = streams.findIndex((stream) => stream.cut);
  if (cutIndex === -1)
    return verdictCheck(
      'resumed',
      title,
      waitingState(final),
      `The server cuts the stream after event ${RESUME_STREAM_RULES.cutAfter}; it has not yet.`,
    );
  const cut = streams[cutIndex]!;
  const next = streams[cutIndex + 1];
  if (!next) return verdictCheck('resumed', title, waitingState(final), 'No stream opened after the cut: the client did not reconnect.');
  const expected = String(cut.latestAtClose);
  if (next.lastEventId === expected) return verdictCheck('resumed', title, 'passed', `The new stream sent Last-Event-ID: ${expected}.`);
  if (next.lastEventId === undefined) {
    return verdictCheck(
      'resumed',
      title,
      'failed',
      `The new stream sent no Last-Event-ID; the cut stream had sent up to id ${expected}. A new EventSource forgets it: let the one you have reconnect.`,
    );
  }
  return verdictCheck(
    'resumed',
    title,
    'failed',
    `The new stream sent Last-Event-ID: ${next.lastEventId}; the cut stream had sent up to id ${expected}.`,
  );
}

/** Every event from 1 to `done` was sent to the client once, across its streams: shared with lesson 8. */
export function exactlyOnce(streams: readonly ObservedStream[], latestId: number, final: boolean): VerdictCheck {
  const title = `Received every event once (1 to ${DONE_ID})`;
  const sent: number[] = [];
  for (const stream of streams) {
    const after = stream.lastEventId !== undefined && /^\d+$/.test(stream.lastEventId) ? Number(stream.lastEventId) : stream.latestAtOpen;
    for (let id = after + 1; id <= (stream.latestAtClose ?? latestId); id += 1) sent.push(id);
  }
  const twice = sent.find((id, index) => sent.indexOf(id) !== index);
  if (twice !== undefined) return verdictCheck('exactly-once', title, 'failed', `Event ${twice} was sent to the client twice.`);
  const missing = missingIds(sent, DONE_ID);
  if (missing.length === 0) return verdictCheck('exactly-once', title, 'passed', `Events 1–${DONE_ID} were sent once each.`);
  const lost = missing.filter((id) => id <= latestId);
  if (lost.length > 0)
    return verdictCheck(
      'exactly-once',
      title,
      'failed',
      `Event${lost.length === 1 ? '' : 's'} ${lost.join(', ')} never reached the client: published while no stream could carry ${lost.length === 1 ? 'it' : 'them'}.`,
    );
  return verdictCheck(
    'exactly-once',
    title,
    waitingState(final),
    `Not published yet: event${missing.length === 1 ? '' : 's'} ${missing.join(', ')}.`,
  );
}
