import { FAULT_LIMITS } from '../../protocol/faults.ts';
import { LONG_POLL_LIMITS } from '../../protocol/long-polling.ts';
import type { BackoffPolicy } from '../../protocol/backoff.ts';
import type { SliderRange } from '../shared/slider-range.ts';

/** The long-polling widget's settings and limits: what the reader can choose, and what the loop tolerates. */

/** The reader's "Hold timeout" slider, in ms: how long the server may hold a request. */
export const HOLD = { min: 2_000, max: LONG_POLL_LIMITS.maxTimeoutMs, step: 1_000, initial: 10_000 } as const satisfies SliderRange;

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
export const MAX_REQUESTS_KEPT = 200;
export const MAX_FEED_ITEMS = 100;
