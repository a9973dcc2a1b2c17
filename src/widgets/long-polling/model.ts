import { batch, computed, effect, signal, type ReadonlySignal, type Signal } from '@preact/signals';
import type { ChannelEvent } from '../../protocol/events.ts';
import { broadcastLine, demoBroadcastOf } from '../shared/workshop-broadcast.ts';
import { FAULT_LIMITS } from '../../protocol/faults.ts';
import { LONG_POLL_LIMITS } from '../../protocol/long-polling.ts';
import { fullJitterBackoff, type BackoffDelay, type BackoffPolicy } from '../../protocol/backoff.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import { formatInterval, formatMs, plural } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import { ApiError, type LongPollingClient, type LongPollResult } from './client.ts';

export { systemClock, type Clock } from '../shared/clock.ts';

/**
 * The long-polling widget's state and poll loop, with no DOM and no JSX, so
 * node:test can drive it with a fake client and fake timers.
 *
 * The loop keeps exactly one request open: the next one is sent when the
 * previous one has ended — at once after a 200 (events) or a 204 (the hold
 * timed out), after a backoff with full jitter after a lost answer or a 5xx.
 * The cursor it sends is the highest event id the feed has shown, and it only
 * moves when an answer actually arrives; so a lost answer is asked for again
 * with the same cursor, and the server sends its events again. An id at or
 * below the cursor is a duplicate and is dropped, never shown twice.
 */

/** The reader's "Hold timeout" slider, in ms: how long the server may hold a request. */
export const HOLD = { min: 2_000, max: LONG_POLL_LIMITS.maxTimeoutMs, step: 1_000, initial: 10_000 } as const;

/** Retries after a lost answer or a server error: 1 s, 2 s, 4 s… ceilings, never above 10 s. */
export const BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 10_000 };

/**
 * A request still unanswered this long after its hold should have ended is
 * abandoned and counted as lost: something between us and the server (a
 * proxy, a dead Wi-Fi) ate it. Room for the slowest `slow` fault, plus 5 s.
 */
export const ANSWER_GRACE_MS = FAULT_LIMITS.maxDelayMs + 5_000;

/**
 * Pause before asking again when an answer brought nothing new and came back
 * far sooner than the hold (a 204 in a blink, a 200 of duplicates only): a
 * confused server or proxy must not make the client spin.
 */
export const SPIN_GUARD_MS = 1_000;

/** What "Slow network" asks of the server: answers with events leave 2 s late, for at most 2 min. */
export const SLOW = { delayMs: 2_000, durationMs: FAULT_LIMITS.maxDurationMs } as const;

/** How many polls "Cause server errors" turns into 503s. */
export const SERVER_ERROR_COUNT = 3;

/** How many notifications "Send 5 at once" publishes. */
export const BURST_SIZE = 5;

/** The event type of the widget's notifications; `data` is `{text}`. */
export const NOTIFICATION_TYPE = 'notification';

/**
 * The lesson's exercise, checked continuously while listening: lose a
 * response on purpose (the server takes the events, then drops the
 * connection), and show that the feed still gets every notification sent
 * since listening started exactly once. It needs a loss that mattered (the
 * retry with the same cursor brought events back), every acknowledged
 * notification received, none lost, none still on its way.
 */
export const EXERCISE = { lesson: 'long-polling', id: 'survive-a-lost-response' } as const;

/** Timeline rows and feed items kept for rendering; the counters keep counting past them. */
const MAX_REQUESTS_KEPT = 200;
const MAX_FEED_ITEMS = 100;

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

export interface LongPollingModelOptions {
  /** Randomness of the backoff's jitter; default Math.random. */
  random?: () => number;
  answerGraceMs?: number;
  spinGuardMs?: number;
  /** Called once, the first time the exercise passes. */
  onExerciseComplete?: () => void;
}

export interface LongPollingModel {
  // Settings the reader changes.
  /** The hold the next request asks for, {@link HOLD}.min–max. Use {@link setHold} to clamp. */
  readonly holdMs: Signal<number>;
  /** The widget's channel; null until the view sets it (after mount, from sessionStorage). */
  readonly channel: Signal<string | null>;

  // State, for rendering.
  readonly phase: ReadonlySignal<Phase>;
  /** The highest event id the feed has shown: the cursor the next request sends. */
  readonly cursor: ReadonlySignal<number>;
  /** When listening last started (timeline origin), client clock. */
  readonly startedAt: ReadonlySignal<number | null>;
  readonly requests: ReadonlySignal<readonly RequestRecord[]>;
  /** Newest first. */
  readonly feed: ReadonlySignal<readonly FeedItem[]>;
  readonly publishes: ReadonlySignal<readonly PublishRecord[]>;
  readonly inFlight: ReadonlySignal<boolean>;
  readonly waiting: ReadonlySignal<Waiting | null>;
  /** Publishes awaiting their 201. */
  readonly publishing: ReadonlySignal<number>;
  readonly faults: ReadonlySignal<FaultState>;
  readonly stats: ReadonlySignal<LongPollStats>;
  readonly verification: ReadonlySignal<Verification>;
  readonly exercise: ReadonlySignal<ExerciseCheck>;
  /** True once the exercise has passed (in this model's life). */
  readonly exerciseDone: ReadonlySignal<boolean>;
  /** The latest change, in a sentence (for an aria-live region). */
  readonly status: ReadonlySignal<string>;
  /** The latest error's explanation (the server's problem `detail` when it sent one), or null. */
  readonly error: ReadonlySignal<string | null>;
  /** What is happening right now, in a sentence or two. */
  readonly summary: ReadonlySignal<string>;

  // Actions.
  setHold(ms: number): void;
  /** Before the first `start()`: continue after this event id (the cursor saved before a reload). */
  resumeFrom(cursor: number): void;
  /** Starts listening: counters restart, the cursor carries on. */
  start(): void;
  /** Stops listening: aborts the held request, cancels a pending retry. */
  stop(): void;
  /** Publishes one notification to the channel (while listening). */
  send(text?: string): Promise<void>;
  /** Publishes {@link BURST_SIZE} notifications at once. */
  sendBurst(count?: number): Promise<void>;
  /** Arms `drop-next-response` on the server. */
  loseNextResponse(): Promise<void>;
  /** Arms `server-errors` ({@link SERVER_ERROR_COUNT}) on the server. */
  causeServerErrors(count?: number): Promise<void>;
  /** Turns the server's `slow` fault on ({@link SLOW}) or off. */
  setSlow(on: boolean): Promise<void>;
  /** Stops everything and releases timers and effects; the model is unusable afterwards. */
  dispose(): void;
}

/** Everything that belongs to one stretch of listening; `start()` makes a new one. */
interface Session {
  /** False once stopped: its late answers and timers are ignored. */
  active: boolean;
  /** The open request's controller; null when none is open. Never two. */
  controller: AbortController | null;
  /** The pending timer of the next request (backoff, spin guard). */
  timer: unknown;
  seq: number;
  publishSeq: number;
  /** Failed requests in a row: the backoff's exponent. */
  failures: number;
  /** The cursor of a lost request, until the next answer arrives: that answer recovers it. */
  lostCursor: number | null;
  /** `epoch:id` of every event the feed received in this session → when and through which request. */
  delivered: Map<string, { receivedAt: number; requestSeq: number }>;
}

const emptyStats: LongPollStats = {
  requests: 0,
  answered: 0,
  timeouts: 0,
  lost: 0,
  errors: 0,
  failed: 0,
  received: 0,
  duplicates: 0,
  bytes: 0,
  bodyBytes: 0,
  recoveries: 0,
  recoveredEvents: 0,
  largestBatch: 0,
};

const noFaults: FaultState = { lossArmed: false, serverErrors: 0, slow: false, slowUntil: null, busy: false };

/** Creates the model. Starts nothing by itself: no request and no timer until `start()`. */
export function createLongPollingModel(
  client: LongPollingClient,
  clock: Clock = systemClock,
  options: LongPollingModelOptions = {},
): LongPollingModel {
  const random = options.random ?? Math.random;
  const answerGraceMs = options.answerGraceMs ?? ANSWER_GRACE_MS;
  const spinGuardMs = options.spinGuardMs ?? SPIN_GUARD_MS;

  const holdMs = signal<number>(HOLD.initial);
  const channel = signal<string | null>(null);

  const phase = signal<Phase>('idle');
  const cursor = signal(0);
  const epoch = signal(0);
  const startedAt = signal<number | null>(null);
  const requests = signal<readonly RequestRecord[]>([]);
  const feed = signal<readonly FeedItem[]>([]);
  const publishes = signal<readonly PublishRecord[]>([]);
  const inFlight = signal(false);
  const waiting = signal<Waiting | null>(null);
  const publishing = signal(0);
  const faults = signal<FaultState>(noFaults);
  const counters = signal<LongPollStats>(emptyStats);
  const status = signal('');
  const error = signal<string | null>(null);
  const exerciseDone = signal(false);

  let session: Session | null = null;
  let slowTimer: unknown = null;
  /** Bumped by each setSlow(): a late answer to an older toggle must not undo a newer one. */
  let slowToggle = 0;

  const stats = computed<LongPollStats>(() => {
    const counted = counters.value;
    return { ...counted, failed: counted.lost + counted.errors };
  });

  const verification = computed<Verification>(() => {
    const list = publishes.value;
    const currentEpoch = epoch.value;
    const at = cursor.value;
    let sent = 0;
    let received = 0;
    let lost = 0;
    let sending = 0;
    let failed = 0;
    for (const entry of list) {
      if (entry.status === 'sending') sending++;
      else if (entry.status === 'failed') failed++;
      else {
        sent++;
        if (entry.status === 'received') received++;
        // The cursor passed its id without the feed seeing it: it will never come.
        else if (entry.epoch! < currentEpoch || entry.id! <= at) lost++;
      }
    }
    const duplicatesDropped = counters.value.duplicates;
    return {
      sent,
      received,
      lost,
      pending: sent - received - lost,
      sending,
      failed,
      duplicatesDropped,
      text: `Sent ${sent} · received ${received} · lost ${lost} · duplicates dropped ${duplicatesDropped}`,
    };
  });

  const exercise = computed<ExerciseCheck>(() => {
    const check = verification.value;
    const counts = counters.value;
    const recovered = counts.recoveries > 0;
    const allReceived = check.sent > 0 && check.received === check.sent && check.lost === 0 && check.sending === 0;
    return { responsesLost: counts.lost, recovered, allReceived, passed: recovered && allReceived };
  });

  // The exercise is checked on every change; completing it is reported once.
  const disposeExerciseWatch = effect(() => {
    if (!exercise.value.passed || exerciseDone.peek()) return;
    exerciseDone.value = true;
    options.onExerciseComplete?.();
  });

  const summary = computed(() =>
    describeNow({
      phase: phase.value,
      requests: requests.value,
      waiting: waiting.value,
      holdMs: holdMs.value,
      cursor: cursor.value,
      stats: stats.value,
    }),
  );

  function setHold(ms: number): void {
    const stepped = Math.round(ms / HOLD.step) * HOLD.step;
    holdMs.value = Math.min(HOLD.max, Math.max(HOLD.min, Number.isFinite(stepped) ? stepped : HOLD.initial));
  }

  function resumeFrom(value: number): void {
    if (phase.peek() !== 'idle' || !Number.isSafeInteger(value) || value < 0) return;
    cursor.value = value;
  }

  function count(change: (draft: LongPollStats) => void): void {
    const next = { ...counters.peek() };
    change(next);
    counters.value = next;
  }

  function countBytes(result: LongPollResult): void {
    count((draft) => {
      draft.bytes += result.bytes;
      draft.bodyBytes += result.bodyBytes;
    });
  }

  function addRequest(record: RequestRecord): void {
    const list = [...requests.peek(), record];
    requests.value = list.length > MAX_REQUESTS_KEPT ? list.slice(-MAX_REQUESTS_KEPT) : list;
  }

  function updateRequest(seq: number, change: Partial<RequestRecord>): void {
    requests.value = requests.peek().map((record) => (record.seq === seq ? { ...record, ...change } : record));
  }

  /** Sends the next request at once (`delayMs` 0) or after a wait; only ever one pending. */
  function schedule(current: Session, delayMs: number, reason: WaitReason | null): void {
    if (!current.active) return;
    if (delayMs <= 0 || reason === null) {
      void pollOnce(current, 0, null);
      return;
    }
    waiting.value = { reason, delayMs, until: clock.now() + delayMs };
    current.timer = clock.setTimeout(() => {
      current.timer = null;
      void pollOnce(current, delayMs, reason);
    }, delayMs);
  }

  async function pollOnce(current: Session, waitedMs: number, waitReason: WaitReason | null): Promise<void> {
    const name = channel.peek();
    if (!current.active || current.controller || name === null) return;
    const controller = new AbortController();
    current.controller = controller;
    const seq = ++current.seq;
    const cursorSent = cursor.peek();
    const timeoutMs = holdMs.peek();
    const sentAt = clock.now();
    let abandoned = false;
    const watchdog = clock.setTimeout(() => {
      abandoned = true;
      controller.abort();
    }, timeoutMs + answerGraceMs);
    batch(() => {
      addRequest({
        seq,
        cursor: cursorSent,
        timeoutMs,
        sentAt,
        receivedAt: null,
        outcome: 'held',
        status: null,
        events: 0,
        fresh: 0,
        duplicates: 0,
        nextCursor: null,
        bytes: 0,
        recovered: false,
        reset: false,
        gap: 0,
        waitedMs,
        waitReason,
        retry: null,
        error: null,
      });
      count((draft) => draft.requests++);
      inFlight.value = true;
      waiting.value = null;
    });

    let result: LongPollResult | undefined;
    let failure: unknown;
    try {
      result = await client.poll(name, cursorSent, timeoutMs, controller.signal);
    } catch (caught) {
      failure = caught ?? new Error('The request failed.');
    }
    clock.clearTimeout(watchdog);
    if (current.controller === controller) current.controller = null;
    if (!current.active) return; // Stopped meanwhile: stop() already closed the record.

    if (!result) {
      const message = abandoned
        ? `No answer within ${formatMs(timeoutMs + answerGraceMs)}: the client gave up on request ${seq}.`
        : errorMessage(failure);
      onFailure(current, seq, cursorSent, failure, message, abandoned);
    } else if (result.status === 204) {
      onTimeout(current, seq, cursorSent, timeoutMs, result);
    } else {
      onEvents(current, seq, cursorSent, timeoutMs, result);
    }
  }

  /** 204: the hold ran out with nothing after the cursor. Ask again, same cursor. */
  function onTimeout(current: Session, seq: number, cursorSent: number, timeoutMs: number, result: LongPollResult): void {
    const heldMs = result.receivedAt - result.sentAt;
    const tooSoon = heldMs < timeoutMs / 2;
    const afterLoss = current.lostCursor !== null;
    current.failures = 0;
    current.lostCursor = null;
    batch(() => {
      updateRequest(seq, {
        outcome: 'timeout',
        status: 204,
        receivedAt: result.receivedAt,
        nextCursor: cursorSent,
        bytes: result.bytes,
      });
      count((draft) => draft.timeouts++);
      countBytes(result);
      inFlight.value = false;
      error.value = null;
      if (afterLoss) status.value = 'The retry timed out with 204: the lost answer carried nothing the feed is missing.';
      if (tooSoon) {
        status.value = `The server answered 204 after ${formatMs(heldMs)} instead of holding for ${formatMs(timeoutMs)}: waiting ${formatMs(spinGuardMs)} before asking again, so the client cannot spin.`;
      }
      schedule(current, tooSoon ? spinGuardMs : 0, tooSoon ? 'spin-guard' : null);
    });
  }

  /** 200: deliver what is new, drop what the feed has, move the cursor, ask again at once. */
  function onEvents(current: Session, seq: number, cursorSent: number, timeoutMs: number, result: LongPollResult): void {
    const body = result.body!;
    let currentEpoch = epoch.peek();
    let highest = cursor.peek();
    // `reset` with ids at or below our cursor: the server's ids began again (it
    // restarted and lost its log). They are new events, not duplicates.
    const restarted = body.reset === true && (body.cursor < cursorSent || body.events.some((event) => event.id <= cursorSent));
    if (restarted) {
      currentEpoch++;
      highest = 0;
    }
    const fresh: ChannelEvent[] = [];
    let duplicates = 0;
    for (const event of body.events) {
      if (event.id <= highest) {
        duplicates++; // Seen already (or older than what we have): showing it would be a duplicate.
      } else {
        fresh.push(event);
        highest = event.id;
      }
    }
    // `reset` for a cursor older than the log: the events between it and the log's oldest are gone.
    const gap = body.reset && !restarted && fresh.length > 0 ? Math.max(0, fresh[0]!.id - cursorSent - 1) : 0;
    const recovered = current.lostCursor === cursorSent && fresh.length > 0;
    const receivedAt = result.receivedAt;
    for (const event of fresh) current.delivered.set(keyOf(currentEpoch, event.id), { receivedAt, requestSeq: seq });
    current.failures = 0;
    current.lostCursor = null;

    batch(() => {
      updateRequest(seq, {
        outcome: 'events',
        status: 200,
        receivedAt,
        events: body.events.length,
        fresh: fresh.length,
        duplicates,
        nextCursor: highest,
        bytes: result.bytes,
        recovered,
        reset: body.reset === true,
        gap,
      });
      count((draft) => {
        draft.answered++;
        draft.received += fresh.length;
        draft.duplicates += duplicates;
        draft.largestBatch = Math.max(draft.largestBatch, fresh.length);
        if (recovered) {
          draft.recoveries++;
          draft.recoveredEvents += fresh.length;
        }
      });
      countBytes(result);
      if (fresh.length > 0) {
        const items = fresh.map((event) => toFeedItem(event, currentEpoch, receivedAt, seq, recovered)).reverse();
        feed.value = [...items, ...feed.peek()].slice(0, MAX_FEED_ITEMS);
      }
      publishes.value = publishes.peek().map((entry) => {
        if (entry.status !== 'waiting') return entry;
        const seen = current.delivered.get(keyOf(entry.epoch!, entry.id!));
        return seen ? { ...entry, status: 'received' as const, receivedAt: seen.receivedAt, requestSeq: seen.requestSeq } : entry;
      });
      epoch.value = currentEpoch;
      cursor.value = highest;
      inFlight.value = false;
      error.value = null;

      const heldMs = receivedAt - result.sentAt;
      const news: string[] = [];
      if (recovered) {
        news.push(
          `Recovered ${plural(fresh.length, 'event')} through cursor ${cursorSent}: the retry sent the same cursor, so the server sent again what the lost answer carried. Nothing lost, nothing shown twice.`,
        );
      } else if (restarted) {
        news.push(
          `The server no longer knows cursor ${cursorSent}: it restarted and its ids began again. The feed starts over from its log.`,
        );
      } else if (fresh.length > 1) {
        news.push(
          `Request ${seq} carried ${fresh.length} events in one answer: everything in the log after cursor ${cursorSent} goes out together.`,
        );
      } else if (fresh.length === 1) {
        const item = toFeedItem(fresh[0]!, currentEpoch, receivedAt, seq, false);
        news.push(`New notification: “${item.text}” (event ${item.id}, answered after ${formatMs(heldMs)} held).`);
      }
      if (gap > 0) news.push(`${plural(gap, 'event')} left the server’s log before the feed could read them.`);
      if (duplicates > 0) news.push(`Dropped ${plural(duplicates, 'duplicate')}: ids the feed already showed.`);
      if (news.length > 0) status.value = news.join(' ');

      // Nothing new and far too soon: a server that keeps doing this must not make us spin.
      const idle = fresh.length === 0 && !restarted && heldMs < timeoutMs / 2;
      schedule(current, idle ? spinGuardMs : 0, idle ? 'spin-guard' : null);
    });
  }

  /** No answer, or an HTTP error: back off with full jitter, then ask again with the same cursor. */
  function onFailure(current: Session, seq: number, cursorSent: number, failure: unknown, message: string, abandoned: boolean): void {
    const httpStatus = failure instanceof ApiError ? failure.status : null;
    const lost = httpStatus === null;
    const receivedAt = clock.now();
    // Other 4xx: our request is wrong, and asking again cannot help. 408 and 429 mean "later".
    const hopeless = httpStatus !== null && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 408 && httpStatus !== 429;
    if (hopeless) {
      current.active = false;
      batch(() => {
        updateRequest(seq, { outcome: 'error', status: httpStatus, receivedAt, error: message });
        count((draft) => draft.errors++);
        inFlight.value = false;
        phase.value = 'stopped';
        error.value = message;
        status.value = `Stopped listening: the server refused request ${seq} (${httpStatus}), and asking again would not help.`;
      });
      return;
    }

    current.failures++;
    if (lost) current.lostCursor = cursorSent;
    const retryAfterMs = failure instanceof ApiError ? (failure.retryAfterMs ?? 0) : 0;
    const retry = fullJitterBackoff(current.failures, BACKOFF, random, retryAfterMs);
    batch(() => {
      updateRequest(seq, { outcome: lost ? 'lost' : 'error', status: httpStatus, receivedAt, retry, error: message });
      count((draft) => (lost ? draft.lost++ : draft.errors++));
      const armed = faults.peek();
      if (lost && armed.lossArmed) faults.value = { ...armed, lossArmed: false };
      if (httpStatus === 503 && armed.serverErrors > 0) faults.value = { ...faults.peek(), serverErrors: armed.serverErrors - 1 };
      inFlight.value = false;
      error.value = message;
      status.value = describeRetry({ seq, status: httpStatus, abandoned, cursor: cursorSent, retry, failures: current.failures });
      schedule(current, retry.delayMs, 'backoff');
    });
  }

  function endSession(): void {
    const current = session;
    if (!current) return;
    current.active = false;
    current.controller?.abort();
    current.controller = null;
    if (current.timer !== null) clock.clearTimeout(current.timer);
    current.timer = null;
  }

  function start(): void {
    if (phase.peek() === 'listening') return;
    if (channel.peek() === null) {
      error.value = 'The demo is not ready yet: it has no channel.';
      return;
    }
    endSession();
    const current: Session = {
      active: true,
      controller: null,
      timer: null,
      seq: 0,
      publishSeq: 0,
      failures: 0,
      lostCursor: null,
      delivered: new Map(),
    };
    session = current;
    batch(() => {
      requests.value = [];
      publishes.value = [];
      counters.value = emptyStats;
      startedAt.value = clock.now();
      phase.value = 'listening';
      error.value = null;
      waiting.value = null;
      status.value = `Listening. Request 1 asks for the events after cursor ${cursor.peek()}; the server holds it until one arrives, or for ${formatInterval(holdMs.peek())}.`;
      void pollOnce(current, 0, null);
    });
  }

  function stop(): void {
    if (phase.peek() !== 'listening') return;
    const wasHeld = inFlight.peek();
    endSession();
    const now = clock.now();
    batch(() => {
      requests.value = requests
        .peek()
        .map((record) => (record.outcome === 'held' ? { ...record, outcome: 'cancelled' as const, receivedAt: now } : record));
      inFlight.value = false;
      waiting.value = null;
      phase.value = 'stopped';
      // The last failure belonged to the session that just ended: no retry is coming to resolve it.
      error.value = null;
      status.value =
        (wasHeld
          ? 'Stopped listening: the held request was aborted, and the server let it go when the connection closed.'
          : 'Stopped listening: the pending retry was called off.') +
        ` The cursor stays at ${cursor.peek()}: listen again and the server sends everything after it at once.`;
    });
  }

  async function send(text?: string): Promise<void> {
    const current = session;
    const name = channel.peek();
    if (!current?.active || name === null) {
      error.value = 'Start listening first: the check counts what was sent while the feed listens.';
      return;
    }
    const seq = ++current.publishSeq;
    const entry: PublishRecord = {
      seq,
      text: text?.trim() || notificationText(seq),
      status: 'sending',
      clickedAt: clock.now(),
      ackAt: null,
      id: null,
      epoch: null,
      receivedAt: null,
      requestSeq: null,
      error: null,
    };
    const update = (change: Partial<PublishRecord>) => {
      publishes.value = publishes.peek().map((item) => (item.seq === seq ? { ...item, ...change } : item));
    };
    batch(() => {
      publishes.value = [...publishes.peek(), entry];
      publishing.value++;
    });
    let id: number;
    try {
      ({ id } = await client.publish(name, NOTIFICATION_TYPE, { text: entry.text }));
    } catch (failure) {
      if (session !== current) return; // Listening restarted: this record is gone with the old session.
      batch(() => {
        publishing.value--;
        update({ status: 'failed', error: errorMessage(failure) });
        error.value = `Could not send “${entry.text}”: ${errorMessage(failure)}`;
      });
      return;
    }
    if (session !== current) return;
    const ackEpoch = epoch.peek();
    // The held request can bring the event back before the 201 arrives: then it is received already.
    const seen = current.delivered.get(keyOf(ackEpoch, id));
    batch(() => {
      publishing.value--;
      update({
        status: seen ? 'received' : 'waiting',
        id,
        epoch: ackEpoch,
        ackAt: clock.now(),
        receivedAt: seen?.receivedAt ?? null,
        requestSeq: seen?.requestSeq ?? null,
      });
    });
  }

  async function sendBurst(count = BURST_SIZE): Promise<void> {
    if (!session?.active) {
      error.value = 'Start listening first: the check counts what was sent while the feed listens.';
      return;
    }
    status.value = `Sending ${count} notifications at once: watch how many answers they take.`;
    await Promise.all(Array.from({ length: count }, () => send()));
  }

  async function arm(request: Parameters<LongPollingClient['injectFault']>[1]): Promise<boolean> {
    const name = channel.peek();
    if (name === null) return false;
    faults.value = { ...faults.peek(), busy: true };
    try {
      await client.injectFault(name, request);
      return true;
    } catch (failure) {
      error.value = `Could not arm the fault: ${errorMessage(failure)}`;
      return false;
    } finally {
      faults.value = { ...faults.peek(), busy: false };
    }
  }

  async function loseNextResponse(): Promise<void> {
    if (!(await arm({ type: 'drop-next-response' }))) return;
    batch(() => {
      faults.value = { ...faults.peek(), lossArmed: true };
      error.value = null;
      status.value =
        'Armed: the server will take the next events it answers with, then drop the connection before sending a byte.' +
        (phase.peek() === 'listening' ? ' Send a notification to trigger it.' : ' Start listening and send a notification to trigger it.');
    });
  }

  async function causeServerErrors(errors = SERVER_ERROR_COUNT): Promise<void> {
    if (!(await arm({ type: 'server-errors', count: errors }))) return;
    batch(() => {
      faults.value = { ...faults.peek(), serverErrors: errors };
      error.value = null;
      status.value = `Armed: the next ${plural(errors, 'request')} get 503 Service Unavailable with Retry-After: 1.${
        inFlight.peek() ? ' The request held now is not affected: send a notification to end it sooner.' : ''
      }`;
    });
  }

  async function setSlow(on: boolean): Promise<void> {
    const toggle = ++slowToggle;
    const before = faults.peek();
    faults.value = { ...before, slow: on };
    const ok = await arm(
      on
        ? { type: 'slow', delayMs: SLOW.delayMs, durationMs: SLOW.durationMs }
        : { type: 'slow', delayMs: 0, durationMs: FAULT_LIMITS.minDurationMs },
    );
    if (toggle !== slowToggle) return; // The reader toggled again meanwhile: that one decides.
    if (slowTimer !== null) clock.clearTimeout(slowTimer);
    slowTimer = null;
    if (!ok) {
      faults.value = { ...faults.peek(), slow: before.slow };
      return;
    }
    if (on) {
      // The server forgets the fault after its duration: untick the box then, so it never lies.
      slowTimer = clock.setTimeout(() => {
        slowTimer = null;
        batch(() => {
          faults.value = { ...faults.peek(), slow: false, slowUntil: null };
          status.value = `Slow network ended: the server keeps it for ${formatMs(SLOW.durationMs)} at most. Tick it again to go on.`;
        });
      }, SLOW.durationMs);
    }
    batch(() => {
      faults.value = { ...faults.peek(), slow: on, slowUntil: on ? clock.now() + SLOW.durationMs : null };
      error.value = null;
      status.value = on
        ? `Slow network: every answer carrying events now leaves the server ${formatMs(SLOW.delayMs)} late (for ${formatMs(SLOW.durationMs)} at most). The events were taken already; they are just late.`
        : 'Slow network off: answers leave the server at once again.';
    });
  }

  function dispose(): void {
    endSession();
    session = null;
    if (slowTimer !== null) clock.clearTimeout(slowTimer);
    slowTimer = null;
    disposeExerciseWatch();
  }

  return {
    holdMs,
    channel,
    phase,
    cursor,
    startedAt,
    requests,
    feed,
    publishes,
    inFlight,
    waiting,
    publishing,
    faults,
    stats,
    verification,
    exercise,
    exerciseDone,
    status,
    error,
    summary,
    setHold,
    resumeFrom,
    start,
    stop,
    send,
    sendBurst,
    loseNextResponse,
    causeServerErrors,
    setSlow,
    dispose,
  };
}

function keyOf(epoch: number, id: number): string {
  return `${epoch}:${id}`;
}

/** One event as the feed shows it. */
export function toFeedItem(event: ChannelEvent, epoch: number, receivedAt: number, requestSeq: number, recovered: boolean): FeedItem {
  const broadcast = demoBroadcastOf(event.type, event.data);
  const data = event.data as { text?: unknown } | null;
  const text = broadcast
    ? broadcastLine(broadcast)
    : data && typeof data === 'object' && typeof data.text === 'string'
      ? data.text
      : JSON.stringify(event.data ?? null);
  return {
    key: keyOf(epoch, event.id),
    id: event.id,
    epoch,
    type: event.type,
    text,
    broadcast: broadcast !== null,
    ts: event.ts,
    receivedAt,
    requestSeq,
    recovered,
  };
}

const SAMPLES = [
  'Ada commented on your draft',
  'Build passed on main',
  'Grace shared a file with you',
  'Your order has shipped',
  'Linus mentioned you',
  'Deploy finished in 42 s',
  'New sign-in from Firefox',
  'Margaret liked your post',
] as const;

/** `#3 Build passed on main`: numbered, so the reader can follow each one. */
export function notificationText(seq: number): string {
  return `#${seq} ${SAMPLES[(seq - 1) % SAMPLES.length]}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `${n}${suffix}`;
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
