import { batch } from '@preact/signals';
import { LAB_TECHNIQUES } from '../../protocol/lab.ts';
import { completeExercise } from '../shared/exercise-completion.ts';
import { formatInterval, plural } from '../shared/format.ts';
import type { TimedStats } from './lab-api.ts';
import { noteBytes, notePublishTimes } from './lab-charts.ts';
import { runRecord } from './lab-exercise.ts';
import { clearTimers, closeLanes, later, newSession, ranMs, release, sleep, type Session } from './lab-session.ts';
import { refresh, type LabState } from './lab-state.ts';
import { RATE_STEPS, formatDuration, maxDurationFor } from './settings.ts';
import type { RunDescription } from './summary.ts';

/**
 * One run of the lab: start a lab on the server, open the five lanes (each a
 * real client of its technique), start the publisher, then every half second
 * refresh the figures and every second fetch what the server counted; at
 * the end, wait for the pollers' last answer, close everything and keep the
 * final table.
 */

/** How often the figures refresh, and how often the server's counters are fetched. */
export const REFRESH_MS = 500;
export const STATS_EVERY_MS = 1_000;
/** Clock-offset samples taken before a run. */
const SYNC_SAMPLES = 4;
/** How long the lanes get to connect before the publisher starts. */
const CONNECT_TIMEOUT_MS = 5_000;
/** After the lanes close, the wait before the last stats, so the server has seen the closes. */
const SETTLE_MS = 400;
/** Longest wait for the pollers' last answer once the run has ended. */
const MAX_GRACE_MS = 31_000;

function applyStats(state: LabState, session: Session, timed: TimedStats): void {
  session.estimator.add(timed.sentAt, timed.receivedAt, timed.serverTime);
  batch(() => {
    state.offset.value = session.estimator.current;
    state.traffic.value = timed.stats.traffic;
    if (timed.stats.run) state.run.value = timed.stats.run;
  });
  noteBytes(session, timed);
}

async function fetchStats(state: LabState, session: Session): Promise<void> {
  try {
    applyStats(state, session, await state.options.api.stats(session.labId, session.controller.signal));
  } catch {
    // A missed stats poll is harmless (a dropped connection can take one with it): the next one catches up.
  }
}

function statsLoop(state: LabState, session: Session): void {
  const next = () =>
    void fetchStats(state, session).then(() => {
      if (!session.closed) statsLoop(state, session);
    });
  later(state.clock, session, next, STATS_EVERY_MS);
}

function refreshLoop(state: LabState, session: Session): void {
  const next = () => {
    refresh(state);
    refreshLoop(state, session);
  };
  later(state.clock, session, next, REFRESH_MS);
}

/** Opens the five lanes, each recording what it receives; resolves once all listen, or after {@link CONNECT_TIMEOUT_MS}. */
async function openLanes(state: LabState, session: Session): Promise<void> {
  const { options, clock } = state;
  const baseUrl = options.baseUrl();
  const listening = LAB_TECHNIQUES.map((technique) => {
    const recorder = session.recorders[technique];
    const client = options.lanes[technique]({
      technique,
      baseUrl,
      labId: session.labId,
      channel: session.channel,
      intervalMs: session.intervalMs,
      clock,
      deliver: (events) => {
        const receivedAt = clock.now();
        notePublishTimes(session, events);
        return recorder.deliver(events, receivedAt);
      },
      answered: (empty) => recorder.answered(empty),
      interrupted: (message) => recorder.interrupted(message),
    });
    session.clients.push(client);
    return client.start();
  });
  await Promise.race([Promise.all(listening), sleep(clock, session, CONNECT_TIMEOUT_MS)]);
}

/** Creates the lab, measures the clock offset, opens the lanes and starts the publisher. */
export async function startRun(state: LabState): Promise<void> {
  const { options, clock, phase, status } = state;
  if (phase.peek() === 'starting' || phase.peek() === 'running' || phase.peek() === 'finishing') return;
  if (state.session && !state.session.closed) release(clock, state.session);
  batch(() => {
    phase.value = 'starting';
    state.error.value = null;
    state.run.value = null;
    state.traffic.value = null;
    state.offset.value = null;
    state.elapsedMs.value = 0;
    state.dropped.value = null;
    state.finalDescription.value = null;
    status.value = 'Creating a lab on the server…';
  });
  let session: Session | null = null;
  try {
    const created = await options.api.create();
    const rate = RATE_STEPS[state.rateIndex.peek()]!;
    const durationMs = Math.min(state.durationMs.peek(), maxDurationFor(rate.perMinute));
    session = newSession(created.id, created.channel, { rate, intervalMs: state.intervalMs.peek(), durationMs });
    const current = session;
    state.session = current;
    state.version.value += 1;
    state.chartVersion.value += 1;

    status.value = "Measuring the offset between your clock and the server's…";
    for (let sample = 0; sample < SYNC_SAMPLES && !current.closed; sample++) await fetchStats(state, current);
    if (current.closed) return;

    status.value = 'Connecting the five clients…';
    await openLanes(state, current);
    if (current.closed) return;

    const settings = { ratePerMinute: current.rate.perMinute, durationMs: current.durationMs };
    const started = await options.api.run(current.labId, settings, current.controller.signal);
    if (current.closed) return;
    current.serverStartedAt = started.startedAt;
    current.startedAt = clock.now();
    batch(() => {
      state.run.value = started;
      phase.value = 'running';
      status.value = `Running: ${current.rate.label} on average for ${formatDuration(current.durationMs)}, polling every ${formatInterval(current.intervalMs)}.`;
    });
    refreshLoop(state, current);
    statsLoop(state, current);
    later(clock, current, () => endOfRun(state, current), current.durationMs);
  } catch (failure) {
    if (session?.closed) return;
    if (session) release(clock, session);
    batch(() => {
      phase.value = 'idle';
      state.error.value = failure instanceof Error ? failure.message : String(failure);
      status.value = 'The lab could not start.';
    });
  }
}

/** The run ended on time: wait until every lane has every event, or one polling interval (+1 s), then finish. */
function endOfRun(state: LabState, session: Session): void {
  const { clock, run } = state;
  session.endedAt = clock.now();
  const graceMs = Math.min(session.intervalMs + 1_000, MAX_GRACE_MS);
  state.phase.value = 'finishing';
  state.status.value = `The run has ended. Waiting up to ${formatInterval(graceMs)} for the pollers' last answers…`;
  const deadline = clock.now() + graceMs;
  const check = () => {
    const last = run.peek()?.lastEventId ?? 0;
    const complete = run.peek()?.state !== 'running' && LAB_TECHNIQUES.every((technique) => session.recorders[technique].lastId >= last);
    if (complete || clock.now() >= deadline) void finish(state, session);
    else later(clock, session, check, 250);
  };
  // First make sure the server's count of published events is final.
  void fetchStats(state, session).then(() => {
    if (!session.closed) check();
  });
}

/** Stop: before the run began, it just ends; after, the run is wound up as at its end. */
export async function stopRun(state: LabState): Promise<void> {
  const { clock, phase, status } = state;
  const session = state.session;
  if (!session || session.closed) return;
  const was = phase.peek();
  if (was === 'starting') {
    release(clock, session);
    batch(() => {
      phase.value = 'idle';
      status.value = 'Stopped before the run began.';
    });
    return;
  }
  if (was !== 'running' && was !== 'finishing') return;
  if (session.finishing) return session.finishing;
  if (was === 'running') {
    session.endedAt = clock.now();
    session.stoppedEarly = true;
  }
  phase.value = 'finishing';
  status.value = 'Stopping…';
  // Cancel the scheduled end, the loops and the grace check; finish() takes it from here.
  clearTimers(clock, session);
  try {
    await state.options.api.stop(session.labId, session.controller.signal);
  } catch {
    // The publisher also stops by itself at the end of the duration.
  }
  await finish(state, session);
}

/** Closes the lanes, takes the last stats, keeps the final table. Once per run. */
function finish(state: LabState, session: Session): Promise<void> {
  session.finishing ??= wrapUp(state, session);
  return session.finishing;
}

async function wrapUp(state: LabState, session: Session): Promise<void> {
  const { clock } = state;
  closeLanes(session);
  await sleep(clock, session, SETTLE_MS);
  await fetchStats(state, session);
  const publishedInAll = state.published.peek();
  const ran = ranMs(session, clock.now());
  release(clock, session);
  const described: RunDescription = {
    rate: session.rate,
    intervalMs: session.intervalMs,
    ranMs: ran,
    published: publishedInAll,
    stoppedEarly: session.stoppedEarly,
  };
  batch(() => {
    state.finalDescription.value = described;
    state.elapsedMs.value = ran;
    state.version.value += 1;
    state.chartVersion.value += 1;
    state.phase.value = 'done';
    state.status.value = `Done: ${plural(publishedInAll, 'event')} in ${formatDuration(Math.round(ran / 1000) * 1000)}. The table below can be copied; press Start for another run.`;
  });
  recordRun(state, described);
}

function recordRun(state: LabState, described: RunDescription): void {
  const counted = state.traffic.peek();
  if (!counted) return;
  state.runs.value = [...state.runs.peek(), runRecord(described, counted)];
  const check = state.exercise.peek();
  if (check.fewer && check.more) completeExercise(state.exerciseDone, state.options.onExerciseComplete);
}
