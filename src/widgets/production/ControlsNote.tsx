import { useEffect } from 'preact/hooks';
import { EXPERIMENT_LIMITS } from '../../protocol/production.ts';
import { useNow } from '../shared/use-now.ts';

/**
 * Seconds until `retryAt` (the server's `Retry-After`, as a time), ticking
 * every second; 0 once it has passed or when there is none.
 */
export function useSecondsUntil(retryAt: number | null): number {
  const now = useNow(retryAt !== null, 1_000);
  return retryAt === null ? 0 : Math.max(0, Math.ceil((retryAt - now) / 1_000));
}

/** Gives back the widget's experiment when the page is reloaded or closed (`pagehide` fires for both). */
export function useLeaveOnPageHide(leave: () => void): void {
  useEffect(() => {
    addEventListener('pagehide', leave);
    return () => removeEventListener('pagehide', leave);
  }, [leave]);
}

/**
 * Why a lesson 7 widget's controls are disabled, and when they free up: a
 * reader facing greyed-out controls must never have to guess. Before the
 * script has loaded the controls are already usable (client:reachable holds a
 * press and replays it), so the note only says a press will run. Nothing when
 * they're usable.
 */
export function ControlsNote({
  hydrated,
  busy = null,
  secondsUntilFree = 0,
}: {
  hydrated: boolean;
  /** Why the controls are locked by the widget's own run, and until when (e.g. "…while the storm runs, until it ends"). */
  busy?: string | null;
  /** From the server's `Retry-After`: every experiment slot is in use by other readers. */
  secondsUntilFree?: number;
}) {
  let note: string | null = null;
  let reason = '';
  if (!hydrated) {
    reason = 'loading';
    note = 'Still loading: a press now runs as soon as this widget’s script has loaded.';
  } else if (busy) {
    reason = 'busy';
    note = busy;
  } else if (secondsUntilFree > 0) {
    reason = 'server-full';
    note =
      `The server runs at most ${EXPERIMENT_LIMITS.maxRunning} experiments at once, and other readers are using them all. ` +
      `You can start again in ${secondsUntilFree} s.`;
  }
  if (note === null) return null;
  return (
    <p class="widget-hint prod-controls-note" data-controls-note={reason}>
      {note}
    </p>
  );
}
