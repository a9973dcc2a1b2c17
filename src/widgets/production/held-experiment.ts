import { signal, type ReadonlySignal } from '@preact/signals';
import { ApiError } from '../shared/http.ts';
import { systemClock, type Clock } from '../shared/clock.ts';
import type { ProductionClient } from './client.ts';

/**
 * The experiment a lesson 7 widget holds on the server (a storm, a slow
 * consumer, a drain), and when the server can take a new one. No DOM: the
 * widget calls {@link HeldExperiment.leave} on `pagehide`.
 */
export interface HeldExperiment {
  /**
   * When the server said its experiment slots may free up (ms, the clock's
   * time), after a `503` with `Retry-After`; null when nothing holds us back.
   */
  readonly retryAt: ReadonlySignal<number | null>;
  /** The experiment `id` started: ours until {@link done}. */
  hold(id: string): void;
  /** It ended (its last event came): nothing to give back. */
  done(): void;
  /**
   * A start failed: remembers `Retry-After` when the server was full. Returns
   * the error line to show, or null when the server was full: the controls
   * note says so, with its countdown, and an error line beside it would stay
   * after the countdown ends.
   */
  refused(failure: unknown): string | null;
  /** The page is going away: stop our experiment now, so its slot and its fleet are free at once. */
  leave(): void;
}

export function createHeldExperiment(client: Pick<ProductionClient, 'stopExperiment'>, clock: Clock = systemClock): HeldExperiment {
  const retryAt = signal<number | null>(null);
  let held: string | undefined;
  return {
    retryAt,
    hold(id) {
      held = id;
      retryAt.value = null;
    },
    done() {
      held = undefined;
    },
    refused(failure) {
      const full = failure instanceof ApiError && failure.status === 503 && failure.retryAfterMs !== undefined;
      retryAt.value = full ? clock.now() + failure.retryAfterMs! : null;
      if (full) return null;
      return failure instanceof Error ? failure.message : String(failure);
    },
    leave() {
      if (held === undefined) return;
      client.stopExperiment(held);
      held = undefined;
    },
  };
}
