import { signal, type ReadonlySignal } from '@preact/signals';
import type { Clock } from '../shared/clock.ts';

/** Messages "Flood" sends at once: twice the server's burst, so about half are refused. */
export const FLOOD_COUNT = 40;

/** A flood's report is final when every message was answered, or this long after it started. */
export const FLOOD_SETTLE_MS = 3_000;

export interface FloodReport {
  sent: number;
  /** Acknowledged: stored and broadcast. */
  delivered: number;
  /** Answered `rate-limited`. */
  refused: number;
  startedAt: number;
  /** Every message answered, the socket closed, or {@link FLOOD_SETTLE_MS} passed. */
  done: boolean;
}

/** One pane's flood: which messages belong to it, and the report the server's answers fill in. */
export interface FloodTracker {
  readonly report: ReadonlySignal<FloodReport | null>;
  /** A new flood of these messages (their clientIds) starts now. */
  start(clientIds: readonly string[]): void;
  /** Whether this message was sent by the current flood. */
  has(clientId: string): boolean;
  /** Whether a flood is waiting for answers. */
  readonly running: boolean;
  /** Counts one answer. */
  count(answer: 'delivered' | 'refused'): void;
  /** Ends the wait: the report is final. */
  settle(): void;
}

export function createFloodTracker(clock: Clock): FloodTracker {
  const report = signal<FloodReport | null>(null);
  let ids = new Set<string>();
  let timer: unknown = null;

  function settle(): void {
    if (timer !== null) clock.clearTimeout(timer);
    timer = null;
    const current = report.peek();
    if (current && !current.done) report.value = { ...current, done: true };
  }

  return {
    report,
    start(clientIds) {
      settle();
      ids = new Set(clientIds);
      report.value = { sent: ids.size, delivered: 0, refused: 0, startedAt: clock.now(), done: ids.size === 0 };
      timer = clock.setTimeout(() => {
        timer = null;
        settle();
      }, FLOOD_SETTLE_MS);
    },
    has: (clientId) => ids.has(clientId),
    get running() {
      const current = report.peek();
      return current !== null && !current.done;
    },
    count(answer) {
      const current = report.peek();
      if (!current) return;
      const next = { ...current, [answer]: current[answer] + 1 };
      report.value = next;
      if (next.delivered + next.refused >= next.sent) settle();
    },
    settle,
  };
}
