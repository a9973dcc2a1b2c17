import { signal, type ReadonlySignal } from '@preact/signals';
import type { FaultRequest, FaultResponse } from '../../protocol/faults.ts';

/**
 * Arming a fault on the server (`POST /api/channels/{channel}/faults`) from a
 * widget's "Break things" controls: one request at a time per fault type,
 * with the type on its way shown (its button is busy), and a failure handed
 * back to the widget to explain.
 */
export interface FaultArming {
  /** The type of the fault on its way to the server, or null. */
  readonly sending: ReadonlySignal<FaultRequest['type'] | null>;
  /** Sends `fault` to the channel; resolves with the server's answer, or null when there is no channel or it failed. */
  arm(fault: FaultRequest): Promise<FaultResponse | null>;
}

export interface FaultArmingOptions {
  /** The widget's channel, or null before it has one. */
  channel(): string | null;
  send(channel: string, fault: FaultRequest): Promise<FaultResponse>;
  /** The request failed: say why. */
  onError(failure: unknown): void;
}

export function createFaultArming(options: FaultArmingOptions): FaultArming {
  const sending = signal<FaultRequest['type'] | null>(null);
  return {
    sending,
    async arm(fault) {
      const channel = options.channel();
      if (channel === null) return null;
      sending.value = fault.type;
      try {
        return await options.send(channel, fault);
      } catch (failure) {
        options.onError(failure);
        return null;
      } finally {
        if (sending.peek() === fault.type) sending.value = null;
      }
    },
  };
}
