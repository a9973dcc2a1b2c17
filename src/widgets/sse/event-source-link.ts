import { batch } from '@preact/signals';
import { BUILD_EVENT_TYPES } from '../../protocol/builds.ts';
import { SSE_RESET_EVENT, type SseResetData } from '../../protocol/sse.ts';
import { BROADCAST_EVENT_TYPE } from '../../protocol/workshops.ts';
import { completeExercise } from '../shared/exercise-completion.ts';
import { formatMs } from '../shared/format.ts';
import { ApiError, errorMessage } from '../shared/http.ts';
import { broadcastLine, demoBroadcastOf } from '../shared/workshop-broadcast.ts';
import { parseId, track as trackEvent, type BuildTrack } from './build-tracker.ts';
import { READY_STATE, type EventSourceLike } from './client.ts';
import type { ReconnectRecord } from './model.ts';
import { buildActive, type SseState } from './sse-state.ts';
import { buildEndText, connectionLostText, reconnectedText, resetText } from './sse-text.ts';

/**
 * The browser's own `EventSource` on the widget's channel, which the lesson
 * is about: it delivers the build's events, reconnects by itself after
 * `retry:` ms and sends `Last-Event-ID` (WHATWG HTML §9.2.3). This module
 * records each reconnect, feeds the build tracker and ends the build.
 */

/** Workshop broadcasts the demo keeps on show (the newest last). */
export const MAX_BROADCASTS = 5;

/** A fault counts as the cause of a lost connection that follows within this time. */
const CAUSE_WINDOW_MS = 5_000;

// A workshop's broadcast arrives on the same channel with an id of its own: it
// goes through the build tracker too, so its id does not look like a gap.
const EVENT_TYPES = [
  BUILD_EVENT_TYPES.log,
  BUILD_EVENT_TYPES.progress,
  BUILD_EVENT_TYPES.done,
  SSE_RESET_EVENT,
  BROADCAST_EVENT_TYPE,
  'message',
];

/** Opens the EventSource; `resumeFrom` goes in the query, as a new EventSource cannot send `Last-Event-ID`. */
export function openSource(state: SseState, resumeFrom?: string): void {
  const ch = state.channel.peek();
  if (!ch || state.disposed) return;
  const url = state.client.streamUrl(ch, { heartbeatMs: state.heartbeatMs, lastEventId: resumeFrom || undefined });
  let es: EventSourceLike;
  try {
    es = state.client.openEventSource(url);
  } catch (failure) {
    batch(() => {
      state.connection.value = 'closed';
      state.error.value = errorMessage(failure);
    });
    return;
  }
  state.source = es;
  state.lostAt = null;
  state.connection.value = 'connecting';
  es.onopen = () => {
    if (state.source === es) onOpen(state);
  };
  es.onerror = () => {
    if (state.source === es) onError(state, es);
  };
  for (const type of EVENT_TYPES) {
    es.addEventListener(type, (event) => {
      if (state.source === es) onEvent(state, type, event);
    });
  }
}

function onOpen(state: SseState): void {
  const { lostAt, lastFault, stats } = state;
  batch(() => {
    if (lostAt !== null) {
      const openedAt = state.clock.now();
      const record: ReconnectRecord = {
        n: stats.peek().reconnects + 1,
        cause: lastFault && lostAt - lastFault.at <= CAUSE_WINDOW_MS && lastFault.at <= lostAt ? lastFault.type : 'network',
        lostAt,
        openedAt,
        afterMs: openedAt - lostAt,
        sentLastEventId: state.lostLastEventId,
        nextEventId: null,
      };
      state.lastReconnect.value = record;
      stats.value = { ...stats.peek(), reconnects: record.n };
      if (buildActive(state)) state.buildReconnects.value++;
      state.status.value = reconnectedText(record);
      state.lostAt = null;
    }
    state.connection.value = 'open';
  });
  const waiters = state.openWaiters;
  state.openWaiters = [];
  for (const waiter of waiters) waiter.resolve();
}

function onError(state: SseState, es: EventSourceLike): void {
  if (es.readyState === READY_STATE.closed) {
    // A non-200 status or a wrong content type: the browser will not try again (§9.2.3 "fail the connection").
    state.source = null;
    batch(() => {
      state.connection.value = 'closed';
      state.error.value =
        'The browser closed the stream for good: the server answered with an error or not with text/event-stream. “Start build” opens a new one.';
    });
    rejectWaiters(state, new ApiError('The stream could not be opened.'));
    return;
  }
  // readyState CONNECTING: the connection broke (or could not be made); the browser retries after `retry` ms.
  if (state.connection.peek() === 'open') {
    state.lostAt = state.clock.now();
    state.lostLastEventId = state.lastDelivered;
    batch(() => {
      state.connection.value = 'reconnecting';
      state.status.value = connectionLostText(state.retryMs.peek(), state.lastDelivered);
    });
  }
}

function onEvent(state: SseState, type: string, event: MessageEvent<string>): void {
  const { clock, stats, build } = state;
  state.lastDelivered = event.lastEventId;
  const id = parseId(event.lastEventId);
  batch(() => {
    stats.value = { ...stats.peek(), events: stats.peek().events + 1 };
    const record = state.lastReconnect.peek();
    if (record && record.nextEventId === null && id !== null) state.lastReconnect.value = { ...record, nextEventId: id };
    const broadcast = demoBroadcastOf(type, event.data);
    if (broadcast) {
      const entry = { key: event.lastEventId || String(clock.now()), line: broadcastLine(broadcast), at: clock.now() };
      state.broadcasts.value = [...state.broadcasts.peek().filter((item) => item.key !== entry.key), entry].slice(-MAX_BROADCASTS);
    }
    if (type === SSE_RESET_EVENT) state.status.value = resetText(safeJson<SseResetData>(event.data), event.lastEventId);
    const current = build.peek();
    if (!current || !buildActive(state)) return;
    const next = trackEvent(current, { type, data: event.data, lastEventId: event.lastEventId });
    build.value = next;
    if (next.done && !current.done && (next.buildId === null || next.done.build === next.buildId)) finishBuild(state, next);
  });
}

function finishBuild(state: SseState, track: BuildTrack): void {
  if (state.lostTimer !== null) state.clock.clearTimeout(state.lostTimer);
  state.lostTimer = null;
  state.phase.value = track.done!.status === 'failed' ? 'failed' : 'passed';
  state.status.value = buildEndText(track);
  if (state.exercise.peek().passed) completeExercise(state.exerciseDone, state.options.onExerciseComplete);
}

/** Resolves once the EventSource is open; rejects after `openTimeoutMs`, or when the stream fails for good. */
export function waitForOpen(state: SseState): Promise<void> {
  if (state.connection.peek() === 'open') return Promise.resolve();
  const { clock, openTimeoutMs } = state;
  return new Promise<void>((resolve, reject) => {
    const waiter = {
      resolve: () => {
        clock.clearTimeout(timer);
        resolve();
      },
      reject: (failure: Error) => {
        clock.clearTimeout(timer);
        reject(failure);
      },
    };
    const timer = clock.setTimeout(() => {
      state.openWaiters = state.openWaiters.filter((item) => item !== waiter);
      reject(new ApiError(`The stream did not open within ${formatMs(openTimeoutMs)}. Is the companion server running?`));
    }, openTimeoutMs);
    state.openWaiters.push(waiter);
  });
}

export function rejectWaiters(state: SseState, failure: Error): void {
  const waiters = state.openWaiters;
  state.openWaiters = [];
  for (const waiter of waiters) waiter.reject(failure);
}

function safeJson<T>(text: string): T | null {
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
