import { batch } from '@preact/signals';
import type { StartBuildResponse } from '../../protocol/builds.ts';
import { errorMessage } from '../shared/http.ts';
import { newTrack, parseId, withBuild } from './build-tracker.ts';
import { waitForOpen } from './event-source-link.ts';
import { buildActive, type SseState } from './sse-state.ts';
import { buildStartedText } from './sse-text.ts';

/** A build with no `done` this long after its expected end is declared lost (the server restarted?). */
export const LOST_GRACE_MS = 30_000;

/**
 * "Start build": opens the streams (`connect`), waits for the EventSource to
 * be open, then starts a build on the channel: its events go only to streams
 * open when they are published, so opening first means the first line is not
 * missed. The build's end comes as its `done` event (event-source-link.ts).
 */
export async function startBuild(state: SseState, connect: () => void): Promise<void> {
  const ch = state.channel.peek();
  if (state.disposed || !ch || buildActive(state)) return;
  if (state.connection.peek() === 'paused') {
    state.error.value = 'Stop the experiment first: it closed this demo’s streams.';
    return;
  }
  batch(() => {
    state.phase.value = 'starting';
    state.build.value = newTrack(parseId(state.lastDelivered));
    state.buildKills.value = 0;
    state.buildReconnects.value = 0;
    state.error.value = null;
    state.status.value = state.connection.peek() === 'open' ? 'Starting a build…' : 'Opening the stream first, so that no event is missed…';
  });
  const notStarted = (failure: unknown, message: string) => {
    if (state.disposed) return;
    batch(() => {
      state.phase.value = 'idle';
      state.build.value = null;
      state.error.value = errorMessage(failure);
      state.status.value = message;
    });
  };
  connect();
  try {
    await waitForOpen(state);
  } catch (failure) {
    notStarted(failure, '');
    return;
  }
  let started: StartBuildResponse;
  try {
    started = await state.client.startBuild({ channel: ch, durationMs: state.buildDurationMs });
  } catch (failure) {
    notStarted(failure, 'Could not start a build.');
    return;
  }
  if (state.disposed || state.phase.peek() !== 'starting') return;
  batch(() => {
    state.build.value = withBuild(state.build.peek() ?? newTrack(), started.id, started.totalLines);
    state.phase.value = 'running';
    state.status.value = buildStartedText(started.id, started.totalLines, state.buildDurationMs);
  });
  state.lostTimer = state.clock.setTimeout(() => {
    state.lostTimer = null;
    if (state.phase.peek() !== 'running') return;
    batch(() => {
      state.phase.value = 'lost';
      state.status.value = 'The build never said it was done: the server may have restarted and forgotten it. Start another one.';
    });
  }, state.buildDurationMs + LOST_GRACE_MS);
}
