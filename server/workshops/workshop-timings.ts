import { WORKSHOP_TIMINGS } from '../../src/protocol/workshops.ts';
import type { PresenceTimings } from './presence.ts';

/** Presence timings and the sweep that applies them; tests shrink them. */
export interface WorkshopTimings extends PresenceTimings {
  /** How often presence is re-evaluated, so a member who went quiet turns offline on the host's grid. */
  sweepMs: number;
  /** A workshop with nobody online and no stream open here for this long leaves this instance's watch (the store keeps it). */
  unloadAfterMs: number;
}

export const DEFAULT_WORKSHOP_TIMINGS: WorkshopTimings = {
  presenceTtlMs: WORKSHOP_TIMINGS.presenceTtlMs,
  streamGraceMs: WORKSHOP_TIMINGS.streamGraceMs,
  sweepMs: 2_000,
  unloadAfterMs: 10 * 60_000,
};
