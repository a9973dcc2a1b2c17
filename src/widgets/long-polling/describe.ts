import type { BackoffDelay } from '../../protocol/backoff.ts';
import { formatInterval, formatMs, ordinal, plural } from '../shared/format.ts';
import type { AnswerReading } from './answer.ts';
import { toFeedItem } from './feed-items.ts';
import type { LongPollStats, Phase, RequestRecord, Waiting } from './records.ts';

/** The long-polling widget's sentences: what the loop just did, and what it is doing now. */

/** What a 200 brought, for the status line; empty when it brought nothing worth saying. */
export function describeAnswer(input: {
  seq: number;
  cursor: number;
  reading: AnswerReading;
  recovered: boolean;
  heldMs: number;
  epoch: number;
  receivedAt: number;
}): string {
  const { seq, cursor, reading, recovered } = input;
  const { fresh, gap, duplicates } = reading;
  const news: string[] = [];
  if (recovered) {
    news.push(
      `Recovered ${plural(fresh.length, 'event')} through cursor ${cursor}: the retry sent the same cursor, so the server sent again what the lost answer carried. Nothing lost, nothing shown twice.`,
    );
  } else if (reading.restarted) {
    news.push(`The server no longer knows cursor ${cursor}: it restarted and its ids began again. The feed starts over from its log.`);
  } else if (fresh.length > 1) {
    news.push(
      `Request ${seq} carried ${fresh.length} events in one answer: everything in the log after cursor ${cursor} goes out together.`,
    );
  } else if (fresh.length === 1) {
    const item = toFeedItem(fresh[0]!, input.epoch, input.receivedAt, seq, false);
    news.push(`New notification: “${item.text}” (event ${item.id}, answered after ${formatMs(input.heldMs)} held).`);
  }
  if (gap > 0) news.push(`${plural(gap, 'event')} left the server’s log before the feed could read them.`);
  if (duplicates > 0) news.push(`Dropped ${plural(duplicates, 'duplicate')}: ids the feed already showed.`);
  return news.join(' ');
}

/**
 * What the client does after a failed request, e.g. "Server error (503):
 * retrying in 1.5 s (full jitter: Retry-After 1 s + random 0–1 s; 1st failure in a row)."
 */
export function describeRetry(input: {
  seq: number;
  status: number | null;
  abandoned: boolean;
  cursor: number;
  retry: BackoffDelay;
  failures: number;
}): string {
  const { retry } = input;
  const jitter =
    retry.retryAfterMs > 0
      ? `full jitter: Retry-After ${formatMs(retry.retryAfterMs)} + random 0–${formatMs(retry.ceilingMs)}`
      : `full jitter: random 0–${formatMs(retry.ceilingMs)}`;
  const how = `retrying in ${formatMs(retry.delayMs)} (${jitter}; ${ordinal(input.failures)} failure in a row)`;
  if (input.status !== null) return `Server error (${input.status}): ${how}.`;
  const what = input.abandoned
    ? `No answer to request ${input.seq}: the client gave up waiting.`
    : 'Response lost: the connection closed before the answer arrived.';
  return `${what} ${how[0]!.toUpperCase()}${how.slice(1)} with the same cursor ${input.cursor}, so nothing is skipped.`;
}

/** A finished request in a few words, e.g. "brought 3 events after 1.2 s". */
export function describeOutcome(record: RequestRecord): string {
  const heldMs = record.receivedAt === null ? 0 : record.receivedAt - record.sentAt;
  switch (record.outcome) {
    case 'held':
      return 'is held by the server';
    case 'events': {
      let text = `brought ${plural(record.fresh, 'event')} after ${formatMs(heldMs)}`;
      if (record.duplicates > 0) text += ` (${plural(record.duplicates, 'duplicate')} dropped)`;
      if (record.recovered) text += `, recovered through cursor ${record.cursor} after the lost response`;
      return text;
    }
    case 'timeout':
      return `timed out with 204 after ${formatMs(heldMs)}: nothing new`;
    case 'lost':
      return 'was lost: no answer arrived';
    case 'error':
      return `failed with ${record.status ?? 'an error'}`;
    case 'cancelled':
      return 'was cancelled when you stopped listening';
  }
}

/** A request in one sentence, for its timeline row's accessible description. */
export function describeRequest(record: RequestRecord): string {
  const head = `Request ${record.seq}, cursor ${record.cursor}`;
  const after = record.nextCursor !== null && record.nextCursor !== record.cursor ? `; next cursor ${record.nextCursor}` : '';
  const retry = record.retry ? ` Retried after ${formatMs(record.retry.delayMs)}.` : '';
  return `${head}: ${describeOutcome(record)}${after}.${retry}`;
}

/**
 * The live sentence under the numbers: what the last request did, and what
 * is happening now (held, or waiting before a retry).
 */
export function describeNow(input: {
  phase: Phase;
  requests: readonly RequestRecord[];
  waiting: Waiting | null;
  holdMs: number;
  cursor: number;
  stats: LongPollStats;
}): string {
  const { phase, requests, waiting, holdMs, cursor, stats } = input;
  if (phase === 'idle') {
    return `Press “Start listening”: the client asks for the events after cursor ${cursor}, and the server holds the request until one arrives, or for ${formatInterval(holdMs)}.`;
  }
  if (phase === 'stopped') {
    return `Stopped after ${plural(stats.requests, 'request')}: ${stats.answered} answered with events, ${stats.timeouts} timed out (204), ${stats.failed} lost or failed; ${plural(stats.received, 'event')} received, ${plural(stats.duplicates, 'duplicate')} dropped.`;
  }
  const open = requests.at(-1)?.outcome === 'held' ? requests.at(-1)! : undefined;
  const last = requests.findLast((record) => record.outcome !== 'held');
  const before = last ? `Request ${last.seq} ${describeOutcome(last)}. ` : '';
  if (open) {
    return `${before}Request ${open.seq} is held with cursor ${open.cursor}: the server answers the moment an event after ${open.cursor} is published, or with 204 No Content after ${formatMs(open.timeoutMs)}.`;
  }
  if (waiting) {
    const why = waiting.reason === 'backoff' ? 'backing off' : 'so as not to spin';
    return `${before}Waiting ${formatMs(waiting.delayMs)} (${why}) before asking again with cursor ${cursor}.`;
  }
  return `${before}Asking again with cursor ${cursor}…`;
}
