import { backoffCeiling, fullJitterBackoff, type BackoffPolicy } from './backoff.ts';

/**
 * Lesson 7, "In production": the experiments the companion server runs
 * against itself — a reconnect storm, an idle-killing hop, a slow consumer,
 * a channel drain — and what they report. Shared by the server
 * (`server/experiments/`), the widgets (`src/widgets/production/`) and the tests.
 *
 * Every experiment is scoped to a channel (the widget's). Its results are
 * published as events on that channel, so the widget follows them with the
 * SSE endpoint like any other feed (and resumes them after a reconnect).
 */

// ── Reconnect storm ─────────────────────────────────────────────────────────

/** How a fleet client waits after losing its connection or failing to reconnect. */
export const STORM_STRATEGIES = ['none', 'exponential', 'full-jitter'] as const;

export type StormStrategy = (typeof STORM_STRATEGIES)[number];

export function isStormStrategy(value: unknown): value is StormStrategy {
  return typeof value === 'string' && (STORM_STRATEGIES as readonly string[]).includes(value);
}

/** How each strategy is named to the reader. */
export const STORM_STRATEGY_LABELS: Record<StormStrategy, string> = {
  none: 'No backoff',
  exponential: 'Exponential backoff',
  'full-jitter': 'Full jitter',
};

export const STORM_LIMITS = {
  minClients: 10,
  /** A safe cap: the fleet runs inside the server it storms, next to every other reader's traffic. */
  maxClients: 200,
  defaultClients: 100,
  /** The server refuses every attempt for this long after the restart: the instance is "starting up". */
  outageMs: 2_000,
  /** Attempts are counted in bins of this width, from the restart. */
  binMs: 100,
  /** A storm gives up on the clients not back after this long, and reports them. */
  maxRecordMs: 20_000,
  /** The fleet must be connected within this time before the restart, or the storm is abandoned. */
  connectTimeoutMs: 5_000,
  /** Backoff of the `exponential` and `full-jitter` strategies. */
  backoff: { baseMs: 1_000, capMs: 8_000 } satisfies BackoffPolicy,
} as const;

// #region storm-strategies
/**
 * How long a fleet client waits before reconnect attempt number `failures`
 * (1 right after the restart cut it, 2 after the first refused attempt…):
 * - `none`: not at all — straight back, and straight back again on failure;
 * - `exponential`: base · 2^(failures − 1), capped — every client the same;
 * - `full-jitter`: a random point below that same ceiling (`random` ∈ [0, 1)).
 */
export function stormDelay(
  strategy: StormStrategy,
  failures: number,
  random: () => number = Math.random,
  policy: BackoffPolicy = STORM_LIMITS.backoff,
): number {
  switch (strategy) {
    case 'none':
      return 0;
    case 'exponential':
      return backoffCeiling(failures, policy);
    case 'full-jitter':
      return fullJitterBackoff(failures, policy, random).delayMs;
  }
}
// #endregion storm-strategies

/** Answer of `POST /api/production/storms` (202): the fleet is connecting; results follow on the channel. */
export interface StartStormResponse {
  id: string;
  channel: string;
  strategy: StormStrategy;
  clients: number;
  binMs: number;
  outageMs: number;
}

/** `storm-bin` event: the attempts the server saw in one bin, published as each bin closes. */
export interface StormBin {
  storm: string;
  strategy: StormStrategy;
  /** 0 for [0, binMs) after the restart, 1 for the next… */
  bin: number;
  /** Reconnect attempts that reached the server in this bin (refused or accepted). */
  attempts: number;
  /** Of those, the ones accepted (the outage was over). */
  accepted: number;
  /** Clients connected at the end of the bin, out of `clients`. */
  connected: number;
}

/** `storm-done` event: the storm is over. */
export interface StormDone {
  storm: string;
  strategy: StormStrategy;
  clients: number;
  /** The most attempts in one bin: the load the restarted server had to take at worst. */
  peak: number;
  /** The bin of the peak (the first one, if several tie). */
  peakBin: number;
  /** Attempts over the whole storm. */
  attempts: number;
  /** Attempts per bin, from the restart: the whole curve, in case a `storm-bin` was missed. */
  bins: number[];
  /** From the restart until the last client was back, or null if some never came back. */
  allBackMs: number | null;
  /** Clients back at the end. */
  back: number;
  /** Why it ended early, if it did (e.g. the server began draining). */
  aborted?: string;
}

/** Lesson 7's exercise: flatten the storm. The widget shows it; the server verifies it from the storms it ran. */
export const STORM_EXERCISE = {
  lesson: 'in-production',
  id: 'flatten-the-storm',
  /** The fleet must be at least this big… */
  minClients: 100,
  /** …and full jitter's peak at most 1/this of no backoff's. */
  factor: 3,
} as const;

/** Two finished storms the exercise can compare: neither stopped early, the same fleet, big enough. */
export function stormsComparable(none: Pick<StormDone, 'clients' | 'aborted'>, jitter: Pick<StormDone, 'clients' | 'aborted'>): boolean {
  return !none.aborted && !jitter.aborted && none.clients === jitter.clients && none.clients >= STORM_EXERCISE.minClients;
}

/** The exercise's rule: full jitter's peak at most a third of no backoff's, on comparable storms. */
export function flattenedTheStorm(
  none: Pick<StormDone, 'clients' | 'aborted' | 'peak'>,
  jitter: Pick<StormDone, 'clients' | 'aborted' | 'peak'>,
): boolean {
  return stormsComparable(none, jitter) && jitter.peak * STORM_EXERCISE.factor <= none.peak;
}

// ── Idle-killing hop ────────────────────────────────────────────────────────

export const IDLE_HOP_LIMITS = {
  /** Shortest idle limit the hop accepts, in ms. */
  minIdleMs: 1_000,
  /** Longest idle limit, in ms (nginx's `proxy_read_timeout` and AWS ALB's default are 60 s). */
  maxIdleMs: 60_000,
  /** Connections through the hop at once, over all readers. */
  maxOpen: 500,
} as const;

/** The `Via` (RFC 9110 §7.6.3) the hop adds to what it forwards, so a reader can tell it was there. */
export const IDLE_HOP_VIA = '1.1 idle-hop';

/** The hop's response header stating its idle limit, in ms. */
export const IDLE_HOP_HEADER = 'x-idle-timeout-ms';

// ── Slow consumer ───────────────────────────────────────────────────────────

export const SLOW_CONSUMER_TRANSPORTS = ['sse', 'websocket'] as const;

export type SlowConsumerTransport = (typeof SLOW_CONSUMER_TRANSPORTS)[number];

export function isSlowConsumerTransport(value: unknown): value is SlowConsumerTransport {
  return typeof value === 'string' && (SLOW_CONSUMER_TRANSPORTS as readonly string[]).includes(value);
}

export const SLOW_CONSUMER_LIMITS = {
  /** The fast publisher: events per second on the firehose channel… */
  publishPerSecond: 640,
  /** …of about this many bytes each (JSON `data`), so about 650 kB/s. */
  eventBytes: 1_000,
  /** The consumer's reading speed, in bytes per second: 0 (stalled) up to this. */
  maxReadBytesPerSecond: 10_000_000,
  defaultReadBytesPerSecond: 20_000,
  /** The server's buffer is sampled this often. */
  sampleMs: 100,
  /** An experiment whose consumer is never cut ends after this long. */
  maxRunMs: 15_000,
} as const;

/** Answer of `POST /api/production/slow-consumers` (202). */
export interface StartSlowConsumerResponse {
  id: string;
  channel: string;
  /** The channel the publisher floods and the consumer follows. */
  firehose: string;
  transport: SlowConsumerTransport;
  readBytesPerSecond: number;
  /** The server's cap for this transport (`SSE_LIMITS` / `WS_LIMITS.maxBufferedBytes`). */
  capBytes: number;
}

/** `slow-sample` event: the state of the experiment every `sampleMs`. */
export interface SlowConsumerSample {
  run: string;
  /** ms since the consumer connected. */
  t: number;
  /** What the server's own buffer holds for the consumer (Node's writable buffer / `ws`'s `bufferedAmount`): what the cap watches. */
  serverBufferedBytes: number;
  /** Bytes the server has written for the consumer since it connected (framing included). */
  sentBytes: number;
  /** Bytes the consumer's code has read. */
  readBytes: number;
  /** Newest event id on the firehose. */
  publishedId: number;
  /** Id of the last event the consumer has read. */
  readId: number;
}

/** `slow-cut` event: the server gave up on the consumer. */
export interface SlowConsumerCut {
  run: string;
  t: number;
  transport: SlowConsumerTransport;
  /** How: the SSE stream was cut, or the WebSocket closed with 1013. */
  action: 'sse-stream-cut' | 'websocket-1013';
  serverBufferedBytes: number;
  /** Sent but not yet read by the consumer at the cut: the kernels' socket buffers and the server's. */
  unreadBytes: number;
}

/** `slow-resumed` event: the consumer reconnected with its cursor. */
export interface SlowConsumerResumed {
  run: string;
  t: number;
  /** The id it resumed from (`Last-Event-ID` / `subscribe.cursor`). */
  cursor: number;
  /** Newest event id at that moment. */
  latestId: number;
  /** `replay`: the log still held everything after the cursor; `reset`: it did not. */
  outcome: 'replay' | 'reset';
  /** Events replayed (0 after a reset). */
  replayed: number;
}

/** `slow-done` event. */
export interface SlowConsumerDone {
  run: string;
  t: number;
  /** True when the server cut the consumer. */
  cut: boolean;
  /** Highest server buffer sampled. */
  maxServerBufferedBytes: number;
  aborted?: string;
}

// ── Graceful restart: draining one channel ──────────────────────────────────

export const DRAIN_LIMITS = {
  /** Simulated EventSource clients the server adds to the channel (0 for none). */
  maxFleet: 200,
  defaultFleet: 100,
  minRetryMs: 500,
  maxRetryMs: 10_000,
  defaultRetryMs: 2_000,
  /** Up to this much random extra `retry:` per stream (0: every stream gets the same). */
  maxSpreadMs: 10_000,
  binMs: 100,
  maxRecordMs: 25_000,
} as const;

/** Answer of `POST /api/production/drains` (202). */
export interface StartDrainResponse {
  id: string;
  channel: string;
  fleet: number;
  retryMs: number;
  spreadMs: number;
  binMs: number;
}

/** What draining a channel did, at once. */
export interface ChannelDrainResult {
  /** SSE streams sent `retry:` and ended. */
  sse: number;
  /** WebSockets subscribed to the channel, closed with 1012. */
  webSockets: number;
  /** Held long polls answered 503 with `Retry-After`. */
  longPolls: number;
  retryMs: number;
  spreadMs: number;
  retryAfterSeconds: number;
}

/** `drain-started` event, published just after the channel is drained: its readers find it when they come back. */
export interface DrainStarted {
  drain: string;
  fleet: number;
  retryMs: number;
  spreadMs: number;
}

/** `drain-bin` event: reconnects of the fleet in one bin after the drain. */
export interface DrainBin {
  drain: string;
  bin: number;
  reconnects: number;
  /** Fleet clients back at the end of the bin. */
  back: number;
}

/** `drain-done` event. */
export interface DrainDone {
  drain: string;
  fleet: number;
  retryMs: number;
  spreadMs: number;
  /** What the drain acted on (the fleet's streams included). */
  drained: ChannelDrainResult;
  peak: number;
  peakBin: number;
  bins: number[];
  /** From the drain until the last fleet client was back; null if some never came back. */
  allBackMs: number | null;
  back: number;
  aborted?: string;
}

/** Reason of the 1012 close a drained channel's WebSockets get (≤ 123 bytes, RFC 6455 §5.5.1). */
export function drainCloseReason(retryMs: number): string {
  return `Channel restarting: reconnect in about ${Math.ceil(retryMs / 1000)} s`;
}

// ── Events and errors ───────────────────────────────────────────────────────

/** Types of the events the experiments publish on the widget's channel. */
export const PRODUCTION_EVENTS = {
  stormBin: 'storm-bin',
  stormDone: 'storm-done',
  slowSample: 'slow-sample',
  slowCut: 'slow-cut',
  slowResumed: 'slow-resumed',
  slowDone: 'slow-done',
  drainStarted: 'drain-started',
  drainBin: 'drain-bin',
  drainDone: 'drain-done',
} as const;

/** Type of the events the slow consumer's publisher floods its firehose channel with. */
export const FIREHOSE_EVENT_TYPE = 'firehose';

export const EXPERIMENT_LIMITS = {
  /** Experiments (storms, slow consumers, drains) running at once over all channels. */
  maxRunning: 3,
} as const;

/** The most events in one bin, and where: the first bin holding it. */
export function peakOf(bins: readonly number[]): { peak: number; peakBin: number } {
  let peak = 0;
  let peakBin = 0;
  for (const [bin, count] of bins.entries()) {
    if (count > peak) {
      peak = count;
      peakBin = bin;
    }
  }
  return { peak, peakBin };
}
