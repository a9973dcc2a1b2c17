import type { LabEvent } from './lane.ts';

/**
 * What one lane received, on the page's clock. Latencies are kept raw —
 * arrival time minus the server's publish time, two different clocks — and
 * the clock offset is added when they are shown, so a better offset estimate
 * later corrects every sample at once.
 */
export class LaneRecorder {
  /** The newest event id received: ids at or below it are repeats. */
  lastId = 0;
  received = 0;
  /** Raw latency of each event received, in arrival order. */
  readonly rawLatencies: number[] = [];
  /** Raw latency by event id − 1 (a sparse array: the chart's column for this lane). */
  readonly byId: (number | undefined)[] = [];
  /** HTTP answers, and those that brought nothing new. */
  answers = 0;
  empty = 0;
  /** Times the connection or a request failed and the client recovered by itself. */
  interruptions = 0;
  /** The latest interruption, for the lane's note. */
  lastInterruption: string | null = null;

  /**
   * Records the new events among `events` (id order), received at `receivedAt`
   * (page clock). Returns how many were new.
   */
  deliver(events: readonly LabEvent[], receivedAt: number): number {
    let fresh = 0;
    for (const event of events) {
      if (!Number.isSafeInteger(event.id) || event.id <= this.lastId) continue;
      this.lastId = event.id;
      this.received += 1;
      fresh += 1;
      if (!Number.isFinite(event.publishedAt)) continue;
      const raw = receivedAt - event.publishedAt;
      this.rawLatencies.push(raw);
      this.byId[event.id - 1] = raw;
    }
    return fresh;
  }

  answered(empty: boolean): void {
    this.answers += 1;
    if (empty) this.empty += 1;
  }

  interrupted(message: string): void {
    this.interruptions += 1;
    this.lastInterruption = message;
  }
}
