import { LAB_TECHNIQUES, type LabTechnique } from '../../protocol/lab.ts';
import type { Clock } from '../shared/clock.ts';
import { ClockOffsetEstimator } from '../shared/clock-offset.ts';
import type { LaneClient } from './lane.ts';
import { LaneRecorder } from './lane-recorder.ts';
import type { RATE_STEPS } from './settings.ts';

/** Everything of one run of the lab: its lanes, its timers, what it measured. */
export interface Session {
  labId: string;
  channel: string;
  recorders: Record<LabTechnique, LaneRecorder>;
  clients: LaneClient[];
  estimator: ClockOffsetEstimator;
  /** Settings of this run (the sliders may move meanwhile). */
  rate: (typeof RATE_STEPS)[number];
  intervalMs: number;
  durationMs: number;
  /** Server time the publisher started, and page time. */
  serverStartedAt: number | null;
  startedAt: number | null;
  /** Page time publishing stopped (end or Stop). */
  endedAt: number | null;
  stoppedEarly: boolean;
  bytes: { x: number[]; y: number[][] };
  /** The server's publish time of each event, by id − 1. */
  publishedAt: number[];
  timers: Set<unknown>;
  controller: AbortController;
  closed: boolean;
  /** Set once the run is being wound up, so that it happens once. */
  finishing: Promise<void> | null;
}

export function newSession(labId: string, channel: string, settings: Pick<Session, 'rate' | 'intervalMs' | 'durationMs'>): Session {
  return {
    labId,
    channel,
    recorders: Object.fromEntries(LAB_TECHNIQUES.map((technique) => [technique, new LaneRecorder()])) as Record<LabTechnique, LaneRecorder>,
    clients: [],
    estimator: new ClockOffsetEstimator(),
    ...settings,
    serverStartedAt: null,
    startedAt: null,
    endedAt: null,
    stoppedEarly: false,
    bytes: { x: [], y: LAB_TECHNIQUES.map(() => []) },
    publishedAt: [],
    timers: new Set(),
    controller: new AbortController(),
    closed: false,
    finishing: null,
  };
}

/** How long the run published by `now`: from its start to its end, Stop, or now, at most its duration. */
export function ranMs(session: Session, now: number): number {
  if (session.startedAt === null) return 0;
  return Math.max(0, Math.min(session.endedAt ?? now, session.startedAt + session.durationMs) - session.startedAt);
}

/** Runs `callback` after `ms`, unless the session closed meanwhile; the session's release cancels it. */
export function later(clock: Clock, session: Session, callback: () => void, ms: number): void {
  const handle = clock.setTimeout(() => {
    session.timers.delete(handle);
    if (!session.closed) callback();
  }, ms);
  session.timers.add(handle);
}

/** Resolves after `ms` (or never, once the session's timers are cleared). */
export function sleep(clock: Clock, session: Session, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const handle = clock.setTimeout(() => {
      session.timers.delete(handle);
      resolve();
    }, ms);
    session.timers.add(handle);
  });
}

/** Cancels the session's scheduled work: the end, the loops, the grace check. */
export function clearTimers(clock: Clock, session: Session): void {
  for (const handle of session.timers) clock.clearTimeout(handle);
  session.timers.clear();
}

export function closeLanes(session: Session): void {
  for (const client of session.clients.splice(0)) client.stop();
}

/** Closes everything the session holds; it is over. */
export function release(clock: Clock, session: Session): void {
  session.closed = true;
  closeLanes(session);
  clearTimers(clock, session);
  session.controller.abort();
}
