import type { BackoffDelay } from '../../protocol/backoff.ts';

/** What the long-polling widget records and shows: its requests, feed, publishes, counters and checks. */

export type Phase = 'idle' | 'listening' | 'stopped';

/**
 * How a request ended: `held` (still open), `events` (200), `timeout` (204),
 * `lost` (no answer: the connection broke, or we gave up waiting), `error`
 * (an HTTP error, e.g. 503), `cancelled` (the reader stopped listening).
 */
export type RequestOutcome = 'held' | 'events' | 'timeout' | 'lost' | 'error' | 'cancelled';

/** Why the client waited before a request. */
export type WaitReason = 'backoff' | 'spin-guard';

/** One long-poll request, as the timeline shows it. Times are the client clock, ms since the epoch. */
export interface RequestRecord {
  /** 1, 2, 3… since listening started. */
  seq: number;
  /** The cursor it sent: "events after this id, please". */
  cursor: number;
  /** The hold it asked for (`timeout=`). */
  timeoutMs: number;
  sentAt: number;
  /** When it ended; null while held. */
  receivedAt: number | null;
  outcome: RequestOutcome;
  /** HTTP status, or null (held, lost, cancelled). */
  status: number | null;
  /** Events in the answer. */
  events: number;
  /** Of those, the new ones, shown in the feed. */
  fresh: number;
  /** Of those, ids the feed already had: dropped. */
  duplicates: number;
  /** The cursor after this answer (200 and 204). */
  nextCursor: number | null;
  /** Response bytes: status line, headers and body, counted from the response (see client.ts). */
  bytes: number;
  /** True when this answer brought back what a lost one carried (same cursor, after a loss). */
  recovered: boolean;
  /** The server could not continue from the cursor (`reset`): its log moved on or it restarted. */
  reset: boolean;
  /** Events evicted from the server's log before we could read them (a `reset` for an old cursor). */
  gap: number;
  /** How long the client waited before sending it, and why (0 and null: at once). */
  waitedMs: number;
  waitReason: WaitReason | null;
  /** For `lost` and `error`: the backoff chosen before the retry. */
  retry: BackoffDelay | null;
  /** For `lost` and `error`: what went wrong, for the reader. */
  error: string | null;
}

/** One notification in the feed. */
export interface FeedItem {
  /** Unique across server restarts: `epoch:id`. */
  key: string;
  id: number;
  /** Bumped when the server's ids began again (it restarted). */
  epoch: number;
  type: string;
  /** `data.text` for a notification; `From <workshop>: <text>` for a workshop broadcast; the JSON of `data` otherwise. */
  text: string;
  /** A workshop's broadcast (src/protocol/workshops.ts), which the feed calls out. */
  broadcast: boolean;
  /** Server time it was published. */
  ts: number;
  receivedAt: number;
  /** The request whose answer brought it. */
  requestSeq: number;
  /** It came back through the cursor after a lost response. */
  recovered: boolean;
}

export type PublishStatus = 'sending' | 'waiting' | 'received' | 'failed';

/** One notification this widget published (since listening started). */
export interface PublishRecord {
  seq: number;
  text: string;
  status: PublishStatus;
  clickedAt: number;
  /** When the server's 201 arrived. */
  ackAt: number | null;
  /** The id the server gave it. */
  id: number | null;
  epoch: number | null;
  /** When the feed received it, and through which request. */
  receivedAt: number | null;
  requestSeq: number | null;
  error: string | null;
}

export interface LongPollStats {
  /** Requests sent since listening started, including one held now. */
  requests: number;
  /** 200 with events. */
  answered: number;
  /** 204: the hold ran out with nothing new. */
  timeouts: number;
  /** No answer (connection broken, or given up). */
  lost: number;
  /** HTTP errors (503…). */
  errors: number;
  /** `lost + errors`. */
  failed: number;
  /** New events shown in the feed. */
  received: number;
  /** Events dropped because the feed already had their id. */
  duplicates: number;
  /** Response bytes of all answers (200 and 204): status lines, headers, bodies. */
  bytes: number;
  /** Of {@link bytes}, the JSON bodies. */
  bodyBytes: number;
  /** Answers that brought back what a lost answer carried, and the events they brought. */
  recoveries: number;
  recoveredEvents: number;
  /** The most events one answer carried. */
  largestBatch: number;
}

/** Is every notification this widget sent since listening started in the feed, once? */
export interface Verification {
  /** Notifications the server acknowledged (it gave them an id). */
  sent: number;
  /** Of those, in the feed. */
  received: number;
  /** Of those, never to arrive: the cursor moved past their id (or the server forgot them). */
  lost: number;
  /** Of those, not yet arrived: their id is after the cursor. */
  pending: number;
  /** Publishes awaiting the server's 201. */
  sending: number;
  /** Publishes the server refused or never got. */
  failed: number;
  duplicatesDropped: number;
  /** "Sent 6 · received 6 · lost 0 · duplicates dropped 0". */
  text: string;
}

export interface ExerciseCheck {
  /** Requests whose answer never arrived. */
  responsesLost: number;
  /** At least one retry with the same cursor brought back what a lost answer carried. */
  recovered: boolean;
  /** At least one notification sent, each received exactly once, none lost or still travelling. */
  allReceived: boolean;
  passed: boolean;
}

/** The faults the reader armed on the server, as far as the widget knows. */
export interface FaultState {
  /** "Lose the next response" is armed and no answer has been lost since. */
  lossArmed: boolean;
  /** 503s still to come from "Cause server errors". */
  serverErrors: number;
  /** "Slow network" is on (until `slowUntil`, the server's limit). */
  slow: boolean;
  slowUntil: number | null;
  /** A fault request is on its way to the server. */
  busy: boolean;
}

/** The wait before the next request, while there is one. */
export interface Waiting {
  reason: WaitReason;
  delayMs: number;
  until: number;
}
