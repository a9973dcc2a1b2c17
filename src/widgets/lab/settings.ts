import { LAB_LIMITS } from '../../protocol/lab.ts';
import { formatInterval } from '../shared/format.ts';

/** One stop of the event-rate slider. */
export interface RateStep {
  /** Average events per minute, as sent to the server. */
  perMinute: number;
  /** What the slider says: `1 per minute`, `20 per second`. */
  label: string;
  /** Compact, for tables: `1/min`, `20/s`. */
  short: string;
}

const perHour = (n: number): RateStep => ({ perMinute: n / 60, label: `${n} per hour`, short: `${n}/h` });
const perMinute = (n: number): RateStep => ({ perMinute: n, label: `${n} per minute`, short: `${n}/min` });
const perSecond = (n: number): RateStep => ({ perMinute: n * 60, label: `${n} per second`, short: `${n}/s` });

/**
 * The event rates the reader can pick, from one an hour to 50 a second: a
 * logarithmic scale in friendly steps, since what matters is the order of
 * magnitude (an event a minute and an event a second are different worlds).
 */
export const RATE_STEPS: readonly RateStep[] = [
  perHour(1),
  perHour(10),
  perMinute(1),
  perMinute(6),
  perMinute(20),
  perSecond(1),
  perSecond(2),
  perSecond(5),
  perSecond(10),
  perSecond(20),
  perSecond(50),
];

/** 1 per second. */
export const DEFAULT_RATE_INDEX = 5;

/** Polling intervals, ms (both short-polling lanes use the same one). */
export const INTERVAL_STEPS: readonly number[] = [250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000];
export const DEFAULT_INTERVAL_MS = 5_000;

/** How long a run publishes, ms. */
export const DURATION_STEPS: readonly number[] = [10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
export const DEFAULT_DURATION_MS = 30_000;

/** The long-poll hold, ms: the server's default, below the usual 60 s proxy idle limits (lesson 3). */
export const LONG_POLL_HOLD_MS = 25_000;

/** The longest run at `perMinute` that stays within the server's `maxEventsPerRun`. */
export function maxDurationFor(perMinute: number): number {
  const limit = Math.floor((LAB_LIMITS.maxEventsPerRun / perMinute) * 60_000);
  return Math.min(LAB_LIMITS.maxDurationMs, limit);
}

/** `30000` → `30 s`, `120000` → `2 min`, `3600000` → `1 h`. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  return formatInterval(ms);
}

/** The step closest to `value` in `steps` (for restoring a setting). */
export function nearestIndex(steps: readonly number[], value: number): number {
  let best = 0;
  for (const [index, step] of steps.entries()) {
    if (Math.abs(step - value) < Math.abs((steps[best] ?? 0) - value)) best = index;
  }
  return best;
}
