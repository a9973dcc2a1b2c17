import type { ChannelEvent } from '../../protocol/events.ts';
import type { LongPollResponse } from '../../protocol/long-polling.ts';

/** What a 200 brought, against what the feed already has. */
export interface AnswerReading {
  /** The server's ids began again (it restarted and lost its log): the feed starts a new epoch. */
  restarted: boolean;
  /** Events with ids after the feed's highest: shown. */
  fresh: ChannelEvent[];
  /** Events at or below it: already shown, dropped. */
  duplicates: number;
  /** Events evicted from the server's log before we could read them (a `reset` for an old cursor). */
  gap: number;
  /** The feed's highest id after this answer: the next cursor. */
  highest: number;
}

/**
 * Reads a 200 sent for `cursorSent` when the feed's highest id is `highest`.
 * An id at or below it is a duplicate (a retry after a lost answer brings the
 * same events again) and is never shown twice.
 */
export function readAnswer(body: LongPollResponse, cursorSent: number, highest: number): AnswerReading {
  // `reset` with ids at or below our cursor: the server's ids began again (it
  // restarted and lost its log). They are new events, not duplicates.
  const restarted = body.reset === true && (body.cursor < cursorSent || body.events.some((event) => event.id <= cursorSent));
  let top = restarted ? 0 : highest;
  const fresh: ChannelEvent[] = [];
  let duplicates = 0;
  for (const event of body.events) {
    if (event.id <= top) {
      duplicates++; // Seen already (or older than what we have): showing it would be a duplicate.
    } else {
      fresh.push(event);
      top = event.id;
    }
  }
  // `reset` for a cursor older than the log: the events between it and the log's oldest are gone.
  const gap = body.reset && !restarted && fresh.length > 0 ? Math.max(0, fresh[0]!.id - cursorSent - 1) : 0;
  return { restarted, fresh, duplicates, gap, highest: top };
}
