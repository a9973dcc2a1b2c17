import { batch, computed, signal, type ReadonlySignal } from '@preact/signals';
import { FAULT_LIMITS } from '../../protocol/faults.ts';
import type { Clock } from '../shared/clock.ts';
import { createFaultArming } from '../shared/fault-arming.ts';
import { formatMs, plural } from '../shared/format.ts';
import { errorMessage } from '../shared/http.ts';
import type { LongPollingClient } from './client.ts';
import type { FaultState } from './records.ts';
import { SERVER_ERROR_COUNT, SLOW } from './settings.ts';
import type { LongPollState } from './state.ts';

/** The "Break things" controls: faults armed on the server for the widget's channel, as far as the widget knows. */
export interface FaultControls {
  readonly faults: ReadonlySignal<FaultState>;
  /** Arms `drop-next-response`. */
  loseNextResponse(): Promise<void>;
  /** Arms `server-errors` (`errors` 503s). */
  causeServerErrors(errors?: number): Promise<void>;
  /** Turns the `slow` fault on ({@link SLOW}) or off. */
  setSlow(on: boolean): Promise<void>;
  /** A request failed: a lost answer disarms the loss, a 503 uses up one of the errors. */
  struck(lost: boolean, httpStatus: number | null): void;
  dispose(): void;
}

type Armed = Omit<FaultState, 'busy'>;

export function createFaultControls(state: LongPollState, client: LongPollingClient, clock: Clock): FaultControls {
  const armed = signal<Armed>({ lossArmed: false, serverErrors: 0, slow: false, slowUntil: null });
  const arming = createFaultArming({
    channel: () => state.channel.peek(),
    send: (channel, fault) => client.injectFault(channel, fault),
    onError: (failure) => {
      state.error.value = `Could not arm the fault: ${errorMessage(failure)}`;
    },
  });
  const faults = computed<FaultState>(() => ({ ...armed.value, busy: arming.sending.value !== null }));
  const change = (update: Partial<Armed>) => {
    armed.value = { ...armed.peek(), ...update };
  };
  let slowTimer: unknown = null;
  /** Bumped by each setSlow(): a late answer to an older toggle must not undo a newer one. */
  let slowToggle = 0;

  const clearSlowTimer = () => {
    if (slowTimer !== null) clock.clearTimeout(slowTimer);
    slowTimer = null;
  };

  /** Announces a fault the server took. */
  const armedNow = (update: Partial<Armed>, text: string) =>
    batch(() => {
      change(update);
      state.error.value = null;
      state.status.value = text;
    });

  async function loseNextResponse(): Promise<void> {
    if (!(await arming.arm({ type: 'drop-next-response' }))) return;
    armedNow(
      { lossArmed: true },
      'Armed: the server will take the next events it answers with, then drop the connection before sending a byte.' +
        (state.phase.peek() === 'listening'
          ? ' Send a notification to trigger it.'
          : ' Start listening and send a notification to trigger it.'),
    );
  }

  async function causeServerErrors(errors = SERVER_ERROR_COUNT): Promise<void> {
    if (!(await arming.arm({ type: 'server-errors', count: errors }))) return;
    armedNow(
      { serverErrors: errors },
      `Armed: the next ${plural(errors, 'request')} get 503 Service Unavailable with Retry-After: 1.${
        state.inFlight.peek() ? ' The request held now is not affected: send a notification to end it sooner.' : ''
      }`,
    );
  }

  async function setSlow(on: boolean): Promise<void> {
    const toggle = ++slowToggle;
    const before = armed.peek().slow;
    change({ slow: on });
    const ok = await arming.arm(
      on
        ? { type: 'slow', delayMs: SLOW.delayMs, durationMs: SLOW.durationMs }
        : { type: 'slow', delayMs: 0, durationMs: FAULT_LIMITS.minDurationMs },
    );
    if (toggle !== slowToggle) return; // The reader toggled again meanwhile: that one decides.
    clearSlowTimer();
    if (!ok) {
      change({ slow: before });
      return;
    }
    if (on) {
      // The server forgets the fault after its duration: untick the box then, so it never lies.
      slowTimer = clock.setTimeout(() => {
        slowTimer = null;
        batch(() => {
          change({ slow: false, slowUntil: null });
          state.status.value = `Slow network ended: the server keeps it for ${formatMs(SLOW.durationMs)} at most. Tick it again to go on.`;
        });
      }, SLOW.durationMs);
    }
    armedNow(
      { slow: on, slowUntil: on ? clock.now() + SLOW.durationMs : null },
      on
        ? `Slow network: every answer carrying events now leaves the server ${formatMs(SLOW.delayMs)} late (for ${formatMs(SLOW.durationMs)} at most). The events were taken already; they are just late.`
        : 'Slow network off: answers leave the server at once again.',
    );
  }

  function struck(lost: boolean, httpStatus: number | null): void {
    const now = armed.peek();
    if (lost && now.lossArmed) change({ lossArmed: false });
    if (httpStatus === 503 && now.serverErrors > 0) change({ serverErrors: now.serverErrors - 1 });
  }

  return { faults, loseNextResponse, causeServerErrors, setSlow, struck, dispose: clearSlowTimer };
}
