import { batch } from '@preact/signals';
import type { FaultRequest, FaultResponse } from '../../protocol/faults.ts';
import { errorMessage } from '../shared/http.ts';
import { buildActive, type SseState } from './sse-state.ts';
import { cutText, heartbeatsText, retryText } from './sse-text.ts';

/**
 * The faults the reader arms on the channel's streams (server/faults/):
 * cut them (kill or restart), silence the heartbeats, change `retry:`.
 */

/** Sends one fault request; null (and the error shown) when it failed. */
async function sendFault(state: SseState, request: FaultRequest): Promise<FaultResponse | null> {
  const ch = state.channel.peek();
  if (!ch || state.disposed) return null;
  batch(() => {
    state.sending.value = request.type;
    state.error.value = null;
  });
  try {
    return await state.client.sendFault(ch, request);
  } catch (failure) {
    if (!state.disposed) state.error.value = errorMessage(failure);
    return null;
  } finally {
    if (!state.disposed && state.sending.peek() === request.type) state.sending.value = null;
  }
}

/** "Kill the connection" (sockets destroyed) or "Restart the stream" (streams ended cleanly). */
export async function cutStreams(state: SseState, type: 'kill' | 'restart'): Promise<void> {
  const during = buildActive(state);
  state.lastFault = { type, at: state.clock.now() };
  const answer = await sendFault(state, { type: type === 'kill' ? 'kill-streams' : 'restart-streams' });
  if (!answer || state.disposed) return;
  if (answer.affected === 0) {
    state.status.value = 'No stream of this channel was open on the server, so nothing was cut.';
    return;
  }
  if (type === 'kill' && during) state.buildKills.value++;
  state.status.value = cutText(type, answer.affected, state.retryMs.peek());
}

export async function setHeartbeats(state: SseState, enabled: boolean): Promise<void> {
  const before = state.heartbeats.peek();
  state.heartbeats.value = enabled;
  const answer = await sendFault(state, { type: 'heartbeats', enabled });
  if (state.disposed) return;
  if (!answer) {
    state.heartbeats.value = before;
    return;
  }
  state.heartbeatsOffAt = enabled ? null : state.clock.now();
  state.status.value = heartbeatsText(enabled);
}

export async function setRetry(state: SseState, ms: number): Promise<void> {
  const before = state.retryMs.peek();
  state.retryMs.value = ms;
  const answer = await sendFault(state, { type: 'retry', retryMs: ms });
  if (state.disposed) return;
  if (!answer) {
    state.retryMs.value = before;
    return;
  }
  state.status.value = retryText(ms);
}

/**
 * The channel (kept across reloads) may still have heartbeats off from an
 * earlier visit: make the server match the checkbox, once. Retry needs no
 * sync: the stream's first line says it, and the select follows.
 */
export function syncHeartbeats(state: SseState): void {
  if (state.settingsSynced) return;
  state.settingsSynced = true;
  void state.client.sendFault(state.channel.peek()!, { type: 'heartbeats', enabled: state.heartbeats.peek() }).catch(() => {});
}
