import { signal, type ReadonlySignal } from '@preact/signals';

/**
 * Lesson 4's six-connection experiment needs every HTTP/1.1 connection the
 * browser allows per host, and page-wide streams hold one too (the workshop
 * bar's). While it runs, such streams close, and reopen after, resuming by
 * `Last-Event-ID`: the experiment counts only its own streams, and nothing
 * sent meanwhile is lost. One value per page (Vite shares this module's chunk).
 */
const lent = signal(false);

/** True while an experiment has asked page-wide streams to give their connection back. */
export const connectionsLent: ReadonlySignal<boolean> = lent;

/** Asks page-wide streams to close (`true`) or lets them reopen (`false`). */
export function lendConnections(lending: boolean): void {
  lent.value = lending;
}
