import type { VerdictCheck } from '../../src/protocol/exercise-runs.ts';
import { missingIds } from './tick-script.ts';
import { verdictCheck, waitingState } from './verdict-check.ts';

/** What lesson 5's run asks: messages "1"…"5", and when the server cuts the socket. */
export const OUTBOX_SOCKET_RULES = {
  messages: 5,
  /** Cut right after this message arrives, before it is acknowledged: the outbox must send it again. */
  cutBeforeAck: 2,
  /** Cut right after each of these is acknowledged: three cuts in all, so the waits after each can be compared. */
  cutsAfterAck: [3, 4],
  /** After a cut, the server refuses every attempt for this long, as a restarting server would. */
  outageMs: 2_000,
  /** More attempts than this in one outage is hammering it (full jitter from 100 ms makes about 6). */
  maxAttemptsPerOutage: 10,
  /** Waits after two cuts this close to one another are the same wait (no jitter): a share of the wait… */
  jitterTolerance: 0.05,
  /** …or this many ms, whichever is more (the close and the connection take a few ms). */
  jitterSlackMs: 20,
} as const;

/** One upgrade attempt on the run's socket URL. */
export interface ObservedAttempt {
  at: number;
  accepted: boolean;
}

/** One `message` the client sent. */
export interface ObservedMessage {
  at: number;
  clientId: string;
  text: string;
  /** The id the server gave it: the first one, for a resend of a clientId it already had. */
  id: number;
  /** It came again with a clientId the server already had (a resend from the outbox). */
  resend: boolean;
}

/** One cut the server made, and the attempts that followed it until one was accepted. */
export interface ObservedCut {
  /** When the cut socket was closed. */
  at: number;
  attempts: ObservedAttempt[];
}

/**
 * Judges a run of lesson 5's "Write it yourself" from what the server saw:
 * every message arrived once, the one cut before its ack was resent under the
 * same clientId, and the reconnects backed off with jitter.
 */
export function judgeOutboxSocket(
  messages: readonly ObservedMessage[],
  cuts: readonly ObservedCut[],
  final: boolean,
  outageMs: number = OUTBOX_SOCKET_RULES.outageMs,
): VerdictCheck[] {
  return [delivered(messages, final), resent(messages, cuts, final), backedOff(cuts, final, outageMs), jittered(cuts, final)];
}

function delivered(messages: readonly ObservedMessage[], final: boolean): VerdictCheck {
  const { messages: count } = OUTBOX_SOCKET_RULES;
  const title = `Messages "1" to "${count}" each stored once`;
  const stored = messages.filter((message) => !message.resend);
  const texts = stored.map((message) => message.text);
  const twice = texts.find((text, index) => texts.indexOf(text) !== index);
  if (twice !== undefined) {
    const ids = stored.filter((message) => message.text === twice).map((message) => message.clientId);
    return verdictCheck(
      'delivered',
      title,
      'failed',
      `"${twice}" was stored twice, under clientIds ${ids.join(' and ')}: a resend needs the id it was first sent with.`,
    );
  }
  const missing = missingIds(texts.map(Number), count);
  if (missing.length === 0) return verdictCheck('delivered', title, 'passed', `${count} messages, each stored once.`);
  return verdictCheck('delivered', title, waitingState(final), `Not received yet: ${missing.map((n) => `"${n}"`).join(', ')}.`);
}

function resent(messages: readonly ObservedMessage[], cuts: readonly ObservedCut[], final: boolean): VerdictCheck {
  const { cutBeforeAck } = OUTBOX_SOCKET_RULES;
  const title = `Resent "${cutBeforeAck}" (cut before its ack) with the same clientId`;
  const first = messages.find((message) => message.text === String(cutBeforeAck) && !message.resend);
  if (!first || cuts.length === 0)
    return verdictCheck(
      'resent',
      title,
      waitingState(final),
      `The server cuts the socket when "${cutBeforeAck}" arrives; it has not come yet.`,
    );
  const again = messages.find((message) => message.resend && message.clientId === first.clientId);
  if (again)
    return verdictCheck(
      'resent',
      title,
      'passed',
      `"${cutBeforeAck}" came again as ${first.clientId}, and was acknowledged as ${first.id} once more.`,
    );
  const duplicate = messages.find((message) => message.text === first.text && message !== first);
  if (duplicate)
    return verdictCheck(
      'resent',
      title,
      'failed',
      `"${cutBeforeAck}" came again as ${duplicate.clientId}, not ${first.clientId}: the server cannot tell it is the same message.`,
    );
  return verdictCheck('resent', title, waitingState(final), `"${cutBeforeAck}" was never acknowledged, and has not been sent again.`);
}

function backedOff(cuts: readonly ObservedCut[], final: boolean, outageMs: number): VerdictCheck {
  const { maxAttemptsPerOutage } = OUTBOX_SOCKET_RULES;
  const title = 'Backed off: reconnected, without hammering the restarting server';
  for (const [index, cut] of cuts.entries()) {
    const refused = cut.attempts.filter((attempt) => !attempt.accepted).length;
    if (refused > maxAttemptsPerOutage) {
      return verdictCheck(
        'backoff',
        title,
        'failed',
        `${refused} attempts during outage ${index + 1} (${outageMs / 1000} s): at most ${maxAttemptsPerOutage}. Wait longer after each failure.`,
      );
    }
  }
  const back = cuts.filter((cut) => cut.attempts.some((attempt) => attempt.accepted)).length;
  if (cuts.length === 0 || back < cuts.length)
    return verdictCheck('backoff', title, waitingState(final), `Back after ${back} of ${cuts.length} cuts so far.`);
  return verdictCheck('backoff', title, final ? 'passed' : 'pending', `Back after each of the ${cuts.length} cuts.`);
}

function jittered(cuts: readonly ObservedCut[], final: boolean): VerdictCheck {
  const { jitterTolerance, jitterSlackMs } = OUTBOX_SOCKET_RULES;
  const title = 'Waited a random share (jitter) before reconnecting';
  // The waits after each cut: from the close to the first attempt, then between attempts.
  const waits = cuts
    .filter((cut) => cut.attempts.length > 0)
    .map((cut) => cut.attempts.map((attempt, index) => attempt.at - (index === 0 ? cut.at : cut.attempts[index - 1]!.at)));
  if (waits.length < 2)
    return verdictCheck(
      'jitter',
      title,
      waitingState(final),
      `Waits seen after ${waits.length} cut${waits.length === 1 ? '' : 's'}; 2 are needed to compare.`,
    );
  const shown = waits.map((run, index) => `after cut ${index + 1}: ${run.map((wait) => `${wait} ms`).join(', ')}`).join('; ');
  // Without jitter, every cut is followed by the same waits: a whole fleet would reconnect in step. Only
  // waits the same at every position count as that, so a client with even a little jitter is never failed.
  const same = (a: number, b: number) => Math.abs(a - b) <= Math.max(jitterTolerance * Math.max(a, b), jitterSlackMs);
  const length = Math.min(...waits.map((run) => run.length));
  const inStep = Array.from({ length }, (_, index) => waits.every((run) => same(run[index]!, waits[0]![index]!))).every(Boolean);
  if (inStep) {
    const longest = waits.reduce((a, b) => (b.length > a.length ? b : a));
    const doubling = longest.length > 1 && longest.slice(1).every((wait, index) => same(wait, 2 * longest[index]!));
    const why = doubling ? 'Exponential backoff, but no jitter' : 'The same waits after every cut';
    return verdictCheck('jitter', title, 'failed', `${why} (${shown}): a fleet of clients would all come back together.`);
  }
  return verdictCheck('jitter', title, final ? 'passed' : 'pending', `Waits ${shown}.`);
}
