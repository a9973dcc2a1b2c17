import { FAULT_LIMITS, type FaultRequest } from '../../src/protocol/faults.ts';

/** Bounds and clock of a {@link FaultRegistry}; tests shrink them. */
export interface FaultRegistryOptions {
  /** An armed fault nothing triggered is forgotten after this long; default `FAULT_LIMITS.armedTtlMs`. */
  armedTtlMs?: number;
  /** Channels remembered at once; the least recently armed goes first. Default `FAULT_LIMITS.maxChannels`. */
  maxChannels?: number;
  /** The clock; default `Date.now`. */
  now?: () => number;
}

/** The faults armed on one channel; each member is absent when that fault is off. */
interface ChannelFaults {
  /** `drop-next-response`: armed until this time. */
  dropNextResponseUntil?: number;
  serverErrors?: { remaining: number; until: number };
  slow?: { delayMs: number; until: number };
  /** `heartbeats {enabled: false}`: heartbeats stay off until this time. */
  heartbeatsOffUntil?: number;
  retry?: { retryMs: number; until: number };
}

/**
 * The faults a reader armed, per channel, that change how later requests and
 * streams of the channel behave. (Faults that act at once — `kill-streams`,
 * `restart-streams` — act on the open streams and leave nothing here.)
 *
 * Memory is bounded without timers: every fault carries an expiry, checked
 * when it is read, and at most `maxChannels` channels are remembered (the
 * least recently armed is forgotten first). Arming a fault again replaces it:
 * `server-errors {count: 3}` twice means 3 errors, not 6.
 */
export class FaultRegistry {
  readonly #armedTtlMs: number;
  readonly #maxChannels: number;
  readonly #now: () => number;
  /** Map order is insertion order: re-inserting on arm keeps the least recently armed first. */
  readonly #channels = new Map<string, ChannelFaults>();

  constructor(options: FaultRegistryOptions = {}) {
    this.#armedTtlMs = options.armedTtlMs ?? FAULT_LIMITS.armedTtlMs;
    this.#maxChannels = options.maxChannels ?? FAULT_LIMITS.maxChannels;
    this.#now = options.now ?? Date.now;
  }

  /** Number of channels with at least one fault remembered (expired ones may still count until read). */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** Arms `fault` on `channel` (a checked request; see `faultRequest` in src/protocol/request-bodies.ts). */
  arm(channel: string, fault: FaultRequest): void {
    const until = this.#now() + this.#armedTtlMs;
    const faults = this.#channels.get(channel) ?? {};
    switch (fault.type) {
      case 'drop-next-response':
        faults.dropNextResponseUntil = until;
        break;
      case 'server-errors':
        faults.serverErrors = { remaining: fault.count, until };
        break;
      case 'slow':
        // `delayMs: 0` is how a reader turns the slowness off early.
        faults.slow = fault.delayMs > 0 ? { delayMs: fault.delayMs, until: this.#now() + fault.durationMs } : undefined;
        break;
      case 'heartbeats':
        faults.heartbeatsOffUntil = fault.enabled ? undefined : until;
        break;
      case 'retry':
        faults.retry = { retryMs: fault.retryMs, until };
        break;
      case 'kill-streams':
      case 'restart-streams':
        // They act on the streams open right now; nothing to remember.
        return;
    }
    this.#channels.delete(channel);
    this.#channels.set(channel, faults);
    this.#prune(channel, faults);
    while (this.#channels.size > this.#maxChannels) {
      this.#channels.delete(this.#channels.keys().next().value as string);
    }
  }

  /** Long polling: true (once) when the next answer carrying events must be lost. */
  takeDropNextResponse(channel: string): boolean {
    const faults = this.#read(channel);
    if (faults?.dropNextResponseUntil === undefined) return false;
    faults.dropNextResponseUntil = undefined;
    this.#prune(channel, faults);
    return true;
  }

  /** Long polling: true when this request must fail with a 503 (uses up one of `count`). */
  takeServerError(channel: string): boolean {
    const faults = this.#read(channel);
    if (!faults?.serverErrors) return false;
    faults.serverErrors.remaining -= 1;
    if (faults.serverErrors.remaining <= 0) faults.serverErrors = undefined;
    this.#prune(channel, faults);
    return true;
  }

  /** Long polling: how long to delay an answer now, 0 when the channel is not slow. */
  slowDelayMs(channel: string): number {
    return this.#read(channel)?.slow?.delayMs ?? 0;
  }

  /** SSE: whether streams of the channel send heartbeat comments now. */
  heartbeatsEnabled(channel: string): boolean {
    return this.#read(channel)?.heartbeatsOffUntil === undefined;
  }

  /** SSE: the `retry:` a new stream of the channel gets, or `undefined` for the default. */
  retryMs(channel: string): number | undefined {
    return this.#read(channel)?.retry?.retryMs;
  }

  /** The channel's faults with the expired ones dropped; does not count as a use. */
  #read(channel: string): ChannelFaults | undefined {
    const faults = this.#channels.get(channel);
    if (!faults) return undefined;
    const now = this.#now();
    if (faults.dropNextResponseUntil !== undefined && faults.dropNextResponseUntil <= now) {
      faults.dropNextResponseUntil = undefined;
    }
    if (faults.serverErrors && faults.serverErrors.until <= now) faults.serverErrors = undefined;
    if (faults.slow && faults.slow.until <= now) faults.slow = undefined;
    if (faults.heartbeatsOffUntil !== undefined && faults.heartbeatsOffUntil <= now) {
      faults.heartbeatsOffUntil = undefined;
    }
    if (faults.retry && faults.retry.until <= now) faults.retry = undefined;
    return this.#prune(channel, faults) ? undefined : faults;
  }

  /** Forgets the channel when nothing is armed on it any more; returns true if it did. */
  #prune(channel: string, faults: ChannelFaults): boolean {
    const empty = Object.values(faults).every((value) => value === undefined);
    if (empty) this.#channels.delete(channel);
    return empty;
  }
}
