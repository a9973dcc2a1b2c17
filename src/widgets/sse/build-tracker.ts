import { BUILD_EVENT_TYPES, type BuildDone, type BuildProgress } from '../../protocol/builds.ts';
import { SSE_RESET_EVENT, type SseResetData } from '../../protocol/sse.ts';

/**
 * Checks one build's stream the way the lesson asks the reader to: number the
 * log lines as they arrive, and use the events' ids to prove that nothing was
 * lost or delivered twice across reconnects.
 *
 * Ids are per channel and strictly increasing, one per event (WHATWG HTML
 * §9.2 leaves ids opaque; the companion server makes them integers so gaps
 * show). So, on this widget's private channel:
 * - an id ≤ the last id seen is a *repeat* (a resume that replayed too much);
 * - an id > last + 1 is a *gap*: the events in between never arrived;
 * - at the end, the lines counted must equal the build's `totalLines`.
 *
 * Pure functions over an immutable snapshot: the model keeps it in a signal.
 */

/** One numbered log line. */
export interface LogLine {
  /** 1, 2, 3… in arrival order, counting only first deliveries. */
  n: number;
  text: string;
  /** The id of the event that carried it. */
  eventId: number;
}

/** Event ids that never arrived, inclusive. */
export interface IdGap {
  from: number;
  to: number;
}

export interface BuildTrack {
  /** The build's id, once `POST /api/builds` answered. */
  buildId: string | null;
  /** Log lines the build will write, from the POST's answer. */
  totalLines: number | null;
  /** The highest event id seen. */
  lastId: number | null;
  /** Events seen, repeats included. */
  events: number;
  /** Log lines received on first delivery. */
  received: number;
  /** Log lines that came again (in events whose id had been seen). */
  repeatedLines: number;
  /** Events that came again. */
  repeatedEvents: number;
  /** Ids skipped: events that never arrived. */
  gaps: readonly IdGap[];
  /** The latest lines, oldest first, at most {@link MAX_KEPT_LINES}. */
  lines: readonly LogLine[];
  progress: BuildProgress | null;
  done: BuildDone | null;
  /** Set when the server said it could not resume (`event: reset`). */
  reset: SseResetData | null;
}

/** Lines kept for display; counting goes on beyond. */
export const MAX_KEPT_LINES = 400;

/**
 * A fresh track. `lastId`: the id of the last event the stream delivered
 * before the build started, if any, so that even a lost first event shows as
 * a gap (nothing else publishes on the widget's private channel).
 */
export function newTrack(lastId: number | null = null): BuildTrack {
  return {
    buildId: null,
    totalLines: null,
    lastId,
    events: 0,
    received: 0,
    repeatedLines: 0,
    repeatedEvents: 0,
    gaps: [],
    lines: [],
    progress: null,
    done: null,
    reset: null,
  };
}

/** The POST's answer arrived (possibly after the first events). */
export function withBuild(track: BuildTrack, buildId: string, totalLines: number): BuildTrack {
  return { ...track, buildId, totalLines };
}

/** An event as EventSource delivers it: `lastEventId` is a string, the data too. */
export interface DeliveredEvent {
  type: string;
  data: string;
  lastEventId: string;
}

/** Adds one delivered event. Events of another build (by `build` field) are ignored. */
export function track(state: BuildTrack, event: DeliveredEvent): BuildTrack {
  if (event.type === SSE_RESET_EVENT) return onReset(state, event);
  const id = parseId(event.lastEventId);
  let parsed: BuildProgress | BuildDone | null = null;
  if (event.type === BUILD_EVENT_TYPES.progress || event.type === BUILD_EVENT_TYPES.done) {
    parsed = parseJson<BuildProgress | BuildDone>(event.data);
    if (parsed && state.buildId !== null && parsed.build !== state.buildId) return state;
  }
  const next: BuildTrack = { ...state, events: state.events + 1 };
  const lineCount = event.type === BUILD_EVENT_TYPES.log ? splitLines(event.data).length : 0;
  if (id !== null && state.lastId !== null && id <= state.lastId) {
    next.repeatedEvents++;
    next.repeatedLines += lineCount;
    return next;
  }
  if (id !== null) {
    if (state.lastId !== null && id > state.lastId + 1) next.gaps = [...state.gaps, { from: state.lastId + 1, to: id - 1 }];
    next.lastId = id;
  }
  switch (event.type) {
    case BUILD_EVENT_TYPES.log: {
      const added = splitLines(event.data).map((text, index) => ({ n: state.received + index + 1, text, eventId: id ?? 0 }));
      next.received = state.received + added.length;
      const lines = [...state.lines, ...added];
      next.lines = lines.length > MAX_KEPT_LINES ? lines.slice(lines.length - MAX_KEPT_LINES) : lines;
      break;
    }
    case BUILD_EVENT_TYPES.progress:
      if (parsed) next.progress = parsed as BuildProgress;
      break;
    case BUILD_EVENT_TYPES.done:
      if (parsed) next.done = parsed as BuildDone;
      break;
    default:
      break;
  }
  return next;
}

function onReset(state: BuildTrack, event: DeliveredEvent): BuildTrack {
  const data = parseJson<SseResetData>(event.data);
  const latest = data?.latestId ?? parseId(event.lastEventId);
  const next: BuildTrack = { ...state, reset: data ?? { reason: 'invalid-last-event-id', latestId: latest ?? 0 } };
  // Everything after our last id up to the server's newest was skipped, that
  // newest event included: the reset stands in its place.
  if (latest !== null && state.lastId !== null && latest > state.lastId) {
    next.gaps = [...state.gaps, { from: state.lastId + 1, to: latest }];
    next.lastId = latest;
  } else if (latest !== null && state.lastId === null) {
    next.lastId = latest;
  }
  return next;
}

/** Events known lost: the ids in the gaps. */
export function skippedEvents(state: BuildTrack): number {
  return state.gaps.reduce((sum, gap) => sum + gap.to - gap.from + 1, 0);
}

/**
 * Missing lines: once the build is done, how many of its lines never came;
 * before that, nothing can be said about lines, so the skipped events count.
 */
export function missing(state: BuildTrack): number {
  const total = state.done?.lines ?? state.totalLines;
  if (state.done && total !== null) return Math.max(0, total - state.received);
  return skippedEvents(state);
}

/** True when the build ended with every line exactly once and no id out of order. */
export function complete(state: BuildTrack): boolean {
  if (!state.done) return false;
  const total = state.totalLines ?? state.done.lines;
  return (
    state.received === total && state.done.lines === total && state.gaps.length === 0 && state.repeatedEvents === 0 && state.reset === null
  );
}

/** "Lines received 42 of 120 · missing 0 · repeated 0". */
export function verificationText(state: BuildTrack): string {
  const total = state.totalLines ?? state.done?.lines ?? null;
  return `Lines received ${state.received} of ${total ?? '?'} · missing ${missing(state)} · repeated ${state.repeatedLines}`;
}

/** A log event's lines: the server sends one `data:` line per line, so `\n` splits them. */
export function splitLines(data: string): string[] {
  return data.split('\n');
}

/** An event id as the companion server writes them (decimal digits), or null. */
export function parseId(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : null;
}

function parseJson<T>(text: string): T | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as T) : null;
  } catch {
    return null;
  }
}
