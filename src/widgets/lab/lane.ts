import type { LabTechnique } from '../../protocol/lab.ts';
import type { Clock } from '../shared/clock.ts';

/** An event of the lab's feed as a lane received it. */
export interface LabEvent {
  /** The channel's event id: the same for every lane. */
  id: number;
  /** The server's clock when the event was published (`LabTick.publishedAt`). */
  publishedAt: number;
}

/** What a lane client is given, and how it reports back to the model. */
export interface LaneContext {
  technique: LabTechnique;
  /** Origin of the companion server. */
  baseUrl: string;
  labId: string;
  channel: string;
  /** Short polling: ms between an answer and the next request. */
  intervalMs: number;
  clock: Clock;
  /**
   * Hands over the events an answer (or a message) carried, in id order.
   * Returns how many were new: the lane drops ids it already had.
   */
  deliver(events: readonly LabEvent[]): number;
  /** An HTTP answer arrived; `empty` when it brought nothing new (304, 204, an unchanged 200). */
  answered(empty: boolean): void;
  /** The connection or a request failed; the client recovers by itself. `message` says how. */
  interrupted(message: string): void;
}

/** One technique's client. Creating it touches no browser API; `start` connects. */
export interface LaneClient {
  /** Connects and listens. Resolves once it listens (a stream is open, a first answer came). */
  start(): Promise<void>;
  /** Stops for good: aborts the request, closes the stream or socket, clears every timer. Idempotent. */
  stop(): void;
}

export type LaneFactory = (context: LaneContext) => LaneClient;

/** `<base>/api/…?…&lab=…&via=…` made absolute. */
export function laneUrl(context: Pick<LaneContext, 'baseUrl'>, pathAndQuery: string, tag: string): string {
  const separator = pathAndQuery.includes('?') ? '&' : '?';
  return new URL(`${pathAndQuery}${separator}${tag}`, context.baseUrl).href;
}

/** Reads `publishedAt` from an event's `data` (a `LabTick`); NaN when it is not one. */
export function publishedAtOf(data: unknown): number {
  const value = (data as { publishedAt?: unknown } | null)?.publishedAt;
  return typeof value === 'number' ? value : NaN;
}
