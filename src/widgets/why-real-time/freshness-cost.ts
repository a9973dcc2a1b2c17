/**
 * The arithmetic behind lesson 1's freshness-cost calculator: what short
 * polling costs a fleet of readers per hour, next to pushing each event once.
 * Pure functions, no DOM: the widget renders them and the unit tests pin them.
 */

/** What the reader sets with the sliders. */
export interface FreshnessInputs {
  /** Browsers watching the same data. */
  readers: number;
  /** Seconds between two polls of one reader. */
  intervalSeconds: number;
  /** Changes to the data per hour, arriving at random moments. */
  eventsPerHour: number;
  /** Bytes one poll request puts on the wire (headers; a GET has no body). */
  requestBytes: number;
  /** Bytes one poll response puts on the wire (headers plus body). */
  responseBytes: number;
  /** Bytes one pushed message puts on the wire (payload plus framing). */
  pushMessageBytes: number;
}

/**
 * A push connection is not silent when nothing happens: it sends heartbeats so
 * proxies keep it open and dead peers are noticed. Figures: an SSE comment
 * heartbeat `:\n\n` is 3 bytes (WHATWG HTML §9.2), sent every 15 s here.
 */
export const HEARTBEAT = { everySeconds: 15, bytes: 3 } as const;

const SECONDS_PER_HOUR = 3600;

export interface PollingCost {
  /** Requests all readers send per hour. */
  requestsPerHour: number;
  /**
   * Share (0–1) of polls that find nothing new. Events arrive at random
   * (a Poisson process of rate λ), so a poll finds nothing new when no event
   * fell in the interval before it: e^(−λ·interval).
   */
  emptyShare: number;
  /** Bytes on the wire per hour, both directions, all readers. */
  bytesPerHour: number;
  /** A change waits on average half an interval for the next poll. */
  averageStalenessSeconds: number;
  /** …and at worst a whole interval. */
  worstStalenessSeconds: number;
}

export interface PushCost {
  /** One message per event per reader. */
  messagesPerHour: number;
  /** Heartbeats all readers receive per hour. */
  heartbeatsPerHour: number;
  /** Messages plus heartbeats, in bytes per hour, all readers. */
  bytesPerHour: number;
  /** Connections held open at all times: one per reader. */
  openConnections: number;
}

export interface FreshnessCost {
  polling: PollingCost;
  push: PushCost;
  /** Polling bytes divided by push bytes (Infinity when push sends nothing). */
  bytesRatio: number;
}

/** Share of polls that find nothing new (see {@link PollingCost.emptyShare}). */
export function emptyPollShare(eventsPerHour: number, intervalSeconds: number): number {
  const eventsPerSecond = Math.max(0, eventsPerHour) / SECONDS_PER_HOUR;
  return Math.exp(-eventsPerSecond * Math.max(0, intervalSeconds));
}

export function pollingCost(input: FreshnessInputs): PollingCost {
  const { readers, intervalSeconds, eventsPerHour, requestBytes, responseBytes } = input;
  if (!(intervalSeconds > 0)) throw new RangeError('intervalSeconds must be greater than 0');
  const requestsPerHour = (readers * SECONDS_PER_HOUR) / intervalSeconds;
  return {
    requestsPerHour,
    emptyShare: emptyPollShare(eventsPerHour, intervalSeconds),
    bytesPerHour: requestsPerHour * (requestBytes + responseBytes),
    averageStalenessSeconds: intervalSeconds / 2,
    worstStalenessSeconds: intervalSeconds,
  };
}

export function pushCost(input: FreshnessInputs): PushCost {
  const { readers, eventsPerHour, pushMessageBytes } = input;
  const messagesPerHour = readers * eventsPerHour;
  const heartbeatsPerHour = (readers * SECONDS_PER_HOUR) / HEARTBEAT.everySeconds;
  return {
    messagesPerHour,
    heartbeatsPerHour,
    bytesPerHour: messagesPerHour * pushMessageBytes + heartbeatsPerHour * HEARTBEAT.bytes,
    openConnections: readers,
  };
}

export function freshnessCost(input: FreshnessInputs): FreshnessCost {
  const polling = pollingCost(input);
  const push = pushCost(input);
  const bytesRatio = push.bytesPerHour > 0 ? polling.bytesPerHour / push.bytesPerHour : Infinity;
  return { polling, push, bytesRatio };
}

/** Starting point: 100 readers polling every 5 s for a change a minute, with the lesson's header sizes. */
export const DEFAULT_INPUTS: FreshnessInputs = {
  readers: 100,
  intervalSeconds: 5,
  eventsPerHour: 60,
  requestBytes: 700,
  responseBytes: 400,
  pushMessageBytes: 60,
};

/**
 * Values the sliders step through (readers, intervals and rates span orders of
 * magnitude). The 40 s interval and the 2,200 changes per hour are there so the
 * slider reaches lesson 1's exercise answers (freshness-exercise.ts).
 */
export const STEPS = {
  readers: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000],
  intervalSeconds: [0.25, 0.5, 1, 2, 3, 4, 5, 10, 15, 20, 30, 40, 60, 120, 300],
  eventsPerHour: [0, 1, 2, 4, 6, 12, 30, 60, 120, 360, 720, 1_200, 1_800, 2_200, 3_000, 3_600],
} as const;

/** Index of the step closest to `value` (for a slider over {@link STEPS}). */
export function nearestStep(steps: readonly number[], value: number): number {
  let best = 0;
  for (let i = 1; i < steps.length; i++) {
    if (Math.abs(steps[i] - value) < Math.abs(steps[best] - value)) best = i;
  }
  return best;
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** Decimal units (1 kB = 1 000 B), three significant digits: `1.58 GB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '∞';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 999.5 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : formatSignificant(value);
  return `${text} ${BYTE_UNITS[unit]}`;
}

/** `1234567` → `1.23 M`, `950` → `950`, `12_300` → `12.3 k`. */
export function formatCount(count: number): string {
  if (!Number.isFinite(count)) return '∞';
  if (Math.abs(count) < 1000) return String(Math.round(count));
  const units = ['k', 'M', 'G'] as const;
  let value = count;
  let unit = -1;
  while (Math.abs(value) >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${formatSignificant(value)} ${units[unit]}`;
}

/** `0.25` → `250 ms`, `2.5` → `2.5 s`, `90` → `1.5 min`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${formatSignificant(seconds)} s`;
  return `${formatSignificant(seconds / 60)} min`;
}

/**
 * `0.9835` → `98 %`, `0.9987` → `99.8 %`, `0.0046` → `0.5 %`, `0.00004` → `< 0.1 %`.
 * Never rounds a share that is not exactly 0 or 1 to `0 %` or `100 %`.
 */
export function formatShare(share: number): string {
  const percent = share * 100;
  if (percent <= 0 || percent >= 100) return `${Math.round(percent)} %`;
  if (percent < 0.1) return '< 0.1 %';
  if (percent > 99.9) return '> 99.9 %';
  if (percent < 1) return `${Number(percent.toFixed(1))} %`;
  if (percent > 99) return `${Math.floor(percent * 10) / 10} %`;
  return `${Math.round(percent)} %`;
}

function formatSignificant(value: number): string {
  return String(Number(value.toPrecision(3)));
}
