import type { VerdictCheck } from '../../src/protocol/exercise-runs.ts';
import { missingIds } from './tick-script.ts';
import { verdictCheck, waitingState } from './verdict-check.ts';

/** One long poll of the run's channel, as the server saw and answered it. */
export interface ObservedLongPoll {
  /** Server time it arrived, in ms. */
  at: number;
  /** The `cursor` it sent (undefined when missing or not a number: the endpoint answered 400). */
  cursor: number | undefined;
  /** 200, 204, 400…; a 200 whose body the server cut on purpose has `dropped`. */
  status: number;
  /** The answer was cut halfway on purpose (the lost response): the client never got its events. */
  dropped: boolean;
  /** Ids of the events in a 200 the client received whole. */
  delivered: readonly number[];
  /** The `cursor` of that answer. */
  answerCursor: number | undefined;
}

/** The events lesson 3's run publishes: `tick` 1…{@link CURSOR_LOOP_RULES.ticks}, then `done`. */
export const CURSOR_LOOP_RULES = {
  ticks: 6,
  /** The answer (1-based, counting answers with events) the server cuts halfway. */
  droppedAnswer: 3,
} as const;

/** The id of the `done` event: the last one the run publishes. */
export const DONE_EVENT_ID = CURSOR_LOOP_RULES.ticks + 1;

/**
 * Judges a run of lesson 3's "Write it yourself" from the polls the server
 * saw: every event reached the client exactly once, the cursor followed the
 * answers, the lost answer was asked for again, and the loop stopped at `done`.
 */
export function judgeCursorLoop(polls: readonly ObservedLongPoll[], final: boolean): VerdictCheck[] {
  return [
    firstCursor(polls, final),
    followedCursor(polls, final),
    askedAgain(polls, final),
    exactlyOnce(polls, final),
    stopped(polls, final),
  ];
}

function firstCursor(polls: readonly ObservedLongPoll[], final: boolean): VerdictCheck {
  const title = 'Started from cursor 0';
  const first = polls[0];
  if (!first) return verdictCheck('first-cursor', title, waitingState(final), 'No poll reached the channel’s URL.');
  if (first.cursor === 0) return verdictCheck('first-cursor', title, 'passed', 'The first poll sent cursor=0.');
  return verdictCheck(
    'first-cursor',
    title,
    'failed',
    `The first poll sent ${shownCursor(first)}; with cursor=0 it gets every event from the first.`,
  );
}

function followedCursor(polls: readonly ObservedLongPoll[], final: boolean): VerdictCheck {
  const title = 'Sent the cursor of the last answer received';
  let expected = polls[0]?.cursor;
  for (const [index, poll] of polls.entries()) {
    if (index > 0 && poll.cursor !== expected) {
      return verdictCheck(
        'cursor',
        title,
        'failed',
        `Poll ${index + 1} sent ${shownCursor(poll)}; the last answer it had received ended at cursor=${expected}.`,
      );
    }
    // A lost answer, a 204 or an error leaves the cursor where it was.
    if (poll.status === 200 && !poll.dropped && poll.answerCursor !== undefined) expected = poll.answerCursor;
  }
  if (polls.length < 2) return verdictCheck('cursor', title, waitingState(final), 'Fewer than two polls so far.');
  return verdictCheck('cursor', title, final ? 'passed' : 'pending', `All ${polls.length} polls sent the cursor of the answer before.`);
}

function askedAgain(polls: readonly ObservedLongPoll[], final: boolean): VerdictCheck {
  const title = 'Asked again after the lost answer, with the same cursor';
  const lost = polls.findIndex((poll) => poll.dropped);
  if (lost === -1)
    return verdictCheck(
      'asked-again',
      title,
      waitingState(final),
      `The server cuts answer ${CURSOR_LOOP_RULES.droppedAnswer}; it has not come yet.`,
    );
  const next = polls[lost + 1];
  if (!next)
    return verdictCheck(
      'asked-again',
      title,
      waitingState(final),
      `No poll came after the lost answer to poll ${lost + 1}: the loop gave up on a network error.`,
    );
  if (next.cursor === polls[lost]!.cursor) {
    return verdictCheck('asked-again', title, 'passed', `Poll ${lost + 2} asked again from cursor=${next.cursor} and got the lost events.`);
  }
  return verdictCheck(
    'asked-again',
    title,
    'failed',
    `Poll ${lost + 2} sent ${shownCursor(next)} after the lost answer; it had to send cursor=${polls[lost]!.cursor} again.`,
  );
}

function exactlyOnce(polls: readonly ObservedLongPoll[], final: boolean): VerdictCheck {
  const title = `Received every event once, in order (1 to ${DONE_EVENT_ID})`;
  const received = polls.flatMap((poll) => poll.delivered);
  const twice = received.find((id, index) => received.indexOf(id) !== index);
  if (twice !== undefined)
    return verdictCheck('exactly-once', title, 'failed', `Event ${twice} reached the client twice: a poll went back to an older cursor.`);
  const early = received.findIndex((id, index) => index > 0 && id < received[index - 1]!);
  if (early !== -1) {
    return verdictCheck(
      'exactly-once',
      title,
      'failed',
      `Event ${received[early]} reached the client after event ${received[early - 1]}: a poll went back to an older cursor.`,
    );
  }
  const missing = missingIds(received, DONE_EVENT_ID);
  if (missing.length === 0) return verdictCheck('exactly-once', title, 'passed', `Events 1–${DONE_EVENT_ID} arrived once each.`);
  return verdictCheck(
    'exactly-once',
    title,
    waitingState(final),
    `Not received yet: event${missing.length === 1 ? '' : 's'} ${missing.join(', ')}.`,
  );
}

function stopped(polls: readonly ObservedLongPoll[], final: boolean): VerdictCheck {
  const title = 'Stopped polling after the done event';
  const doneAt = polls.findIndex((poll) => poll.delivered.includes(DONE_EVENT_ID));
  if (doneAt === -1) return verdictCheck('stopped', title, waitingState(final), 'The done event has not reached the client yet.');
  const after = polls.length - doneAt - 1;
  if (after > 0) return verdictCheck('stopped', title, 'failed', `${after} poll${after === 1 ? '' : 's'} came after the answer with done.`);
  return verdictCheck('stopped', title, final ? 'passed' : 'pending', `No poll after poll ${doneAt + 1}, which received done.`);
}

function shownCursor(poll: ObservedLongPoll): string {
  return poll.cursor === undefined ? 'no valid cursor' : `cursor=${poll.cursor}`;
}
